import { useMemo, useRef } from "preact/hooks";
import type { Effective, OrderScope, OrgNode } from "./api.ts";
import { howHeld, mayAct, reachedAtLevel3 } from "./describe.ts";
import { layoutTree, NODE_HEIGHT, NODE_WIDTH, type PlacedOrg } from "./tree-layout.ts";

interface Props {
  root: OrgNode;
  selected: string;
  onSelect: (org: string) => void;
  /** The subject's effective permissions per org (POST /v1/permissions/tree), when a subject is picked. */
  effective: Map<string, Effective> | null;
  scope: OrderScope | null;
}

/**
 * The company's org tree, laid out by d3-hierarchy. Every org is a focusable tree item: Tab walks them in tree
 * order, the arrow keys move to the parent (up), the first child (down) and the siblings (left, right).
 */
export function TreeView({ root, selected, onSelect, effective, scope }: Props) {
  const layout = useMemo(() => layoutTree(root), [root]);
  const items = useRef(new Map<string, HTMLDivElement>());
  const byId = useMemo(() => new Map(layout.orgs.map((o) => [o.org.id, o])), [layout]);

  const move = (from: PlacedOrg, key: string): string | undefined => {
    const siblings = from.parentId ? (byId.get(from.parentId)?.org.children ?? []) : [from.org];
    const index = siblings.findIndex((c) => c.id === from.org.id);
    if (key === "ArrowUp") return from.parentId ?? undefined;
    if (key === "ArrowDown") return from.org.children[0]?.id;
    if (key === "ArrowLeft") return siblings[index - 1]?.id;
    if (key === "ArrowRight") return siblings[index + 1]?.id;
    if (key === "Home") return root.id;
    return undefined;
  };

  const onKeyDown = (from: PlacedOrg) => (event: KeyboardEvent) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onSelect(from.org.id);
      return;
    }
    const target = move(from, event.key);
    if (target === undefined) return;
    event.preventDefault();
    items.current.get(target)?.focus();
    onSelect(target);
  };

  return (
    <div class="tree-canvas" role="tree" aria-label={`org tree of ${root.id}`} style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
      <svg class="tree-edges" width={layout.width} height={layout.height} aria-hidden="true">
        {layout.edges.map((edge) => {
          const midY = (edge.from.y + edge.to.y) / 2;
          return (
            <g key={edge.childId} class={edge.cut ? "edge cut" : "edge"} data-child={edge.childId}>
              <path d={`M${edge.from.x},${edge.from.y} C${edge.from.x},${midY} ${edge.to.x},${midY} ${edge.to.x},${edge.to.y}`} />
              {edge.cut ? (
                <text x={edge.to.x + 6} y={edge.to.y - 10} class="cut-label">
                  ✂ cut: no inherited roles
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      {layout.orgs.map((placed) => (
        <OrgBox
          key={placed.org.id}
          placed={placed}
          selected={placed.org.id === selected}
          effective={effective?.get(placed.org.id)}
          scope={scope}
          onSelect={onSelect}
          onKeyDown={onKeyDown(placed)}
          register={(element) => {
            if (element) items.current.set(placed.org.id, element);
            else items.current.delete(placed.org.id);
          }}
        />
      ))}
    </div>
  );
}

function OrgBox(props: {
  placed: PlacedOrg;
  selected: boolean;
  effective: Effective | undefined;
  scope: OrderScope | null;
  onSelect: (org: string) => void;
  onKeyDown: (event: KeyboardEvent) => void;
  register: (element: HTMLDivElement | null) => void;
}) {
  const { placed, selected, effective, scope } = props;
  const { org } = placed;
  const inScope = scope?.scope.orgs.includes(org.id) ?? false;
  const ownOnly = scope?.scope.ownOrgs.includes(org.id) ?? false;
  const reached = effective ? reachedAtLevel3(effective) : [];
  const classes = ["org", `status-${org.status}`, selected ? "selected" : "", inScope ? "in-scope" : "", ownOnly ? "own-scope" : ""];
  return (
    <div
      ref={props.register}
      class={classes.filter(Boolean).join(" ")}
      role="treeitem"
      tabIndex={0}
      aria-selected={selected}
      aria-level={placed.depth + 1}
      data-org={org.id}
      style={{ left: `${placed.x}px`, top: `${placed.y}px`, width: `${NODE_WIDTH}px`, height: `${NODE_HEIGHT}px` }}
      onClick={() => props.onSelect(org.id)}
      onKeyDown={props.onKeyDown}
    >
      <div class="org-head">
        <span class="org-id">{org.id}</span>
        <span class={`badge status status-${org.status}`}>{org.status}</span>
      </div>
      <div class="org-name" title={org.name}>
        {org.name}
      </div>
      <div class="org-flags">
        {org.inheritRoles ? null : <span class="badge cut-badge">✂ cut</span>}
        {inScope ? <span class="badge scope-badge">orders</span> : null}
        {ownOnly ? <span class="badge own-badge">own orders</span> : null}
        {effective ? (
          <span class={mayAct(effective) ? "badge acts" : "badge no-act"}>{mayAct(effective) ? "may act" : "no action"}</span>
        ) : null}
      </div>
      {effective ? (
        <ul class="org-roles">
          {effective.roles.slice(0, 2).map((role) => (
            <li key={`${role.key}@${role.from}`} class={`role via-${role.via}`}>
              <span class="role-key">{role.key}</span> <span class="role-how">{howHeld(role, org.id)}</span>
            </li>
          ))}
          {effective.roles.length > 2 ? <li class="more">+{effective.roles.length - 2} more</li> : null}
          {effective.roles.length === 0 && reached.length > 0 ? (
            <li class="role via-level3_reach">
              <span class="role-key">{reached[0]?.code}</span> <span class="role-how">level 3 from {reached[0]?.from.join(", ")}</span>
            </li>
          ) : null}
        </ul>
      ) : null}
    </div>
  );
}
