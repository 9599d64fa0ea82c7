/**
 * Seeded random org graphs with orders (a failure replays from its seed), shared by the suites that check an order
 * filter's compiled form (the sidecar's SQL, the client's ORM adapters) against POST /v1/orders/filter.
 */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

const statuses = ["active", "active", "active", "active", "inactive", "suspended", "pending", "disabled"] as const;
const roles = ["org_admin", "buyer", "viewer", "bc_junior_buyer", "bc_senior_buyer", "ep_buyer", "emp_shared_orders", "scoped_viewer"];

export function randomGraph(seed: number) {
  const r = prng(seed);
  const prefix = `R${seed}`;
  const orgs: { id: string; name: string; parent: string | null; status: string; inheritRoles: boolean; depth: number }[] = [];
  const size = 5 + r.int(36);
  orgs.push({ id: `${prefix}-0`, name: "root", parent: null, status: "active", inheritRoles: true, depth: 1 });
  for (let i = 1; i < size; i++) {
    const candidates = orgs.filter((o) => o.depth < 5);
    const parent = r.pick(candidates);
    orgs.push({
      id: `${prefix}-${i}`,
      name: `org ${i}`,
      parent: parent.id,
      status: r.pick(statuses),
      inheritRoles: r.chance(0.8),
      depth: parent.depth + 1,
    });
  }
  const users = Array.from({ length: 6 }, (_, i) => ({ id: `${prefix}-u${i}`, status: i === 5 ? "disabled" : "active" }));
  const memberships = [];
  for (const user of users) {
    const at = new Set<string>();
    for (let k = 0; k < 1 + r.int(3); k++) {
      const org = r.pick(orgs).id;
      if (at.has(org)) continue;
      at.add(org);
      memberships.push({ user: user.id, org, roles: [r.pick(roles)], inheritable: r.chance(0.6) });
    }
  }
  const orders = Array.from({ length: 150 }, (_, i) => ({
    id: `${prefix}-o${i}`,
    org: r.pick(orgs).id,
    buyer: r.pick(users).id,
  }));
  const document = {
    orgs: orgs.map(({ depth: _depth, ...o }) => o),
    users,
    memberships,
  };
  const pairs = Array.from({ length: 25 }, () => ({ subject: r.pick(users).id, org: r.pick(orgs).id }));
  return { document, orders, pairs };
}

/** What every random graph expects of the store besides its document: a staff member and the scoped_viewer role. */
export async function seedRandomGraphStore(graph: { putStaff: (id: string, staff: { roles: string[] }) => Promise<unknown>; putRole: (key: string, role: { name: string; permissions: { code: string; level: number }[] }) => Promise<unknown> }): Promise<void> {
  await graph.putStaff("ops-1", { roles: ["store_admin"] });
  await graph.putRole("scoped_viewer", {
    name: "Scoped viewer",
    permissions: [{ code: "order.view", level: 3 }, { code: "catalog.browse", level: 2 }],
  });
}
