import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The SQL that POST /v1/orders/query returns, run against a real orders table in PostgreSQL, selects exactly
 * the orders POST /v1/orders/filter keeps: over randomized graphs (seeded, so a failure replays).
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

function randomGraph(seed: number) {
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

let t: TestSidecar;
let db: pg.Pool;

beforeAll(async () => {
  t = await startTestSidecar("order_query");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  await t.sidecar.graph.putRole("scoped_viewer", {
    name: "Scoped viewer",
    permissions: [{ code: "order.view", level: 3 }, { code: "catalog.browse", level: 2 }],
  });
  db = new pg.Pool({ connectionString: t.databaseUrl });
  await db.query("create table if not exists orders (id text primary key, org_id text not null, buyer_id text not null)");
});
afterAll(async () => {
  await db?.end();
  await t?.sidecar.close();
});

describe.each([11, 23, 37, 41, 59, 73])("random graph seed %i", (seed) => {
  it("selects the same orders with the returned SQL as the filter keeps", async () => {
    const { document, orders, pairs } = randomGraph(seed);
    const imported = await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: document });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    await db.query("insert into orders (id, org_id, buyer_id) select * from unnest($1::text[], $2::text[], $3::text[])", [
      orders.map((o) => o.id),
      orders.map((o) => o.org),
      orders.map((o) => o.buyer),
    ]);
    let nonEmpty = 0;
    for (const pair of [...pairs, { subject: "ops-1", org: document.orgs[0]!.id, staff: true }]) {
      const subject = "staff" in pair ? { id: pair.subject, kind: "staff" } : { id: pair.subject };
      const consistency = { atLeast: imported.body.graphToken };
      const query = await t.call("POST", "/v1/orders/query", { key: CHECK_KEY, body: { subject, org: pair.org, consistency } });
      expect(query.status).toBe(200);
      const { rows } = await db.query<{ id: string }>(
        `select id from orders where id like $${query.body.sql.params.length + 1} and (${query.body.sql.where}) order by id`,
        [...query.body.sql.params, `R${seed}-%`],
      );
      const filtered = await t.call("POST", "/v1/orders/filter", { key: CHECK_KEY, body: { subject, org: pair.org, orders, consistency } });
      expect(filtered.status).toBe(200);
      expect(rows.map((row) => row.id)).toEqual([...filtered.body.visible].sort());
      if (rows.length > 0) nonEmpty++;
    }
    // The comparison must not be vacuous: some subjects see orders.
    expect(nonEmpty).toBeGreaterThan(0);
  });
});
