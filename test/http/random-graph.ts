/**
 * Randomized org graphs for the order-visibility tests (seeded, so a failure replays): up to 40 orgs five levels
 * deep with mixed statuses and inheritance, six users with one to three memberships, 150 orders, and 25
 * subject/acting-org pairs. The import document uses the roles below; `scoped_viewer` is a custom role
 * prepareForRandomGraphs creates, with the staff member that imports.
 */
import { expect } from "vitest";
import type { TestSidecar } from "./sidecar-test-support.ts";

export const IMPORTER = "ops-1";

/** The staff member that imports the graphs (and sees every order of a tree) and the custom role they use. */
export async function prepareForRandomGraphs(t: TestSidecar): Promise<void> {
  await t.sidecar.graph.putStaff(IMPORTER, { roles: ["store_admin"] });
  await t.sidecar.graph.putRole("scoped_viewer", {
    name: "Scoped viewer",
    permissions: [{ code: "order.view", level: 3 }, { code: "catalog.browse", level: 2 }],
  });
}

/** Imports the graph of `seed`; its orders, its pairs (and the staff pair) and the token that sees the import. */
export async function importRandomGraph(t: TestSidecar, seed: number) {
  const { document, orders, pairs } = randomGraph(seed);
  const imported = await t.call("POST", "/v1/import", { actor: `staff:${IMPORTER}`, body: document });
  expect(imported.status, JSON.stringify(imported.body)).toBe(200);
  const subjects: { subject: { id: string; kind?: "staff" }; org: string }[] = [
    ...pairs.map((pair) => ({ subject: { id: pair.subject }, org: pair.org })),
    { subject: { id: IMPORTER, kind: "staff" }, org: document.orgs[0]!.id },
  ];
  return { orders, subjects, consistency: { atLeast: imported.body.graphToken as string } };
}
export function prng(seed: number) {
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


/** The graph's orders as rows of the host's `orders` table (id, org_id, buyer_id). */
export async function insertOrders(db: { query(text: string, values: unknown[]): Promise<unknown> }, orders: readonly RandomOrder[]): Promise<void> {
  await db.query("insert into orders (id, org_id, buyer_id) select * from unnest($1::text[], $2::text[], $3::text[])", [
    orders.map((o) => o.id),
    orders.map((o) => o.org),
    orders.map((o) => o.buyer),
  ]);
}

export type RandomOrder = ReturnType<typeof randomGraph>["orders"][number];
