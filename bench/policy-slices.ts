/**
 * Synthetic graph slices (policies/README.md input contract) for the policy benchmark: what the store hands the
 * policy for a flat company, a 5-level tree and a 500-org tree.
 */
interface SliceOrg {
  parent: string | null;
  status: string;
  inheritRoles: boolean;
  path: string[];
}

function org(id: string, parent: SliceOrg | null): [string, SliceOrg] {
  return [id, { parent: parent ? (parent.path.at(-1) ?? null) : null, status: "active", inheritRoles: true, path: [...(parent?.path ?? []), id] }];
}

/** A tree of `size` orgs, breadth-first with `fanout` children each, at most `depth` levels; ids T0, T1, … */
export function tree(size: number, fanout: number, depth: number): Map<string, SliceOrg> {
  const orgs = new Map<string, SliceOrg>([org("T0", null)]);
  const queue = ["T0"];
  let next = 1;
  while (queue.length > 0 && next < size) {
    const parentId = queue.shift() as string;
    const parent = orgs.get(parentId) as SliceOrg;
    if (parent.path.length >= depth) continue;
    for (let i = 0; i < fanout && next < size; i++) {
      const [id, child] = org(`T${next++}`, parent);
      orgs.set(id, child);
      queue.push(id);
    }
  }
  return orgs;
}

const user = { id: "u1", status: "active" };

/** The slice for acting at `actingOrg` with the given memberships, carrying `orgIds` (which must include the path). */
export function slice(orgs: Map<string, SliceOrg>, orgIds: Iterable<string>, memberships: unknown[]) {
  return {
    user,
    tree: { root: "T0", size: orgs.size, overLimit: "approval" },
    orgs: Object.fromEntries([...new Set(orgIds)].map((id) => [id, orgs.get(id)])),
    memberships,
    roles: {},
  };
}

export function deepestOrg(orgs: Map<string, SliceOrg>): string {
  let best = "T0";
  for (const [id, o] of orgs) if (o.path.length > (orgs.get(best)?.path.length ?? 0)) best = id;
  return best;
}

export function pathOf(orgs: Map<string, SliceOrg>, id: string): string[] {
  return orgs.get(id)?.path ?? [];
}
