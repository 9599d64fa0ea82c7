import { hierarchy, tree, type HierarchyPointNode } from "d3-hierarchy";
import type { OrgNode } from "./api.ts";

/** The size of one org's box in the drawing, and the gaps between boxes. */
export const NODE_WIDTH = 176;
export const NODE_HEIGHT = 116;
const GAP_X = 20;
const GAP_Y = 44;
const MARGIN = 12;

export interface PlacedOrg {
  org: OrgNode;
  /** Top-left corner of the org's box, in pixels from the drawing's origin. */
  x: number;
  y: number;
  depth: number;
  parentId: string | null;
}

export interface Edge {
  from: { x: number; y: number };
  to: { x: number; y: number };
  /** The child opts out of inheritance (`inheritRoles: false`): roles held above do not cross this edge. */
  cut: boolean;
  childId: string;
}

export interface TreeLayout {
  orgs: PlacedOrg[];
  edges: Edge[];
  width: number;
  height: number;
}

/** A top-down tidy tree (d3-hierarchy's Reingold-Tilford layout) of fixed-size boxes that never overlap. */
export function layoutTree(root: OrgNode): TreeLayout {
  const laid = tree<OrgNode>()
    .nodeSize([NODE_WIDTH + GAP_X, NODE_HEIGHT + GAP_Y])
    .separation(() => 1)(hierarchy(root, (org) => org.children));
  const nodes: HierarchyPointNode<OrgNode>[] = laid.descendants();
  const minX = Math.min(...nodes.map((n) => n.x));
  const place = (n: HierarchyPointNode<OrgNode>) => ({ x: n.x - minX + MARGIN, y: n.y + MARGIN });
  const orgs = nodes.map((n) => ({ org: n.data, ...place(n), depth: n.depth, parentId: n.parent?.data.id ?? null }));
  const edges = laid.links().map((link) => {
    const from = place(link.source);
    const to = place(link.target);
    return {
      from: { x: from.x + NODE_WIDTH / 2, y: from.y + NODE_HEIGHT },
      to: { x: to.x + NODE_WIDTH / 2, y: to.y },
      cut: !link.target.data.inheritRoles,
      childId: link.target.data.id,
    };
  });
  return {
    orgs,
    edges,
    width: Math.max(...orgs.map((o) => o.x)) + NODE_WIDTH + MARGIN,
    height: Math.max(...orgs.map((o) => o.y)) + NODE_HEIGHT + MARGIN,
  };
}
