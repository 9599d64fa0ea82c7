import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomGraph, seedRandomGraphStore } from "./random-order-graph.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The SQL that POST /v1/orders/query returns, run against a real orders table in PostgreSQL, selects exactly
 * the orders POST /v1/orders/filter keeps: over randomized graphs (seeded, so a failure replays).
 */
let t: TestSidecar;
let db: pg.Pool;

beforeAll(async () => {
  t = await startTestSidecar("order_query");
  await seedRandomGraphStore(t.sidecar.graph);
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
