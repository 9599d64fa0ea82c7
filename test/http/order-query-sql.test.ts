import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importRandomGraph, insertOrders, prepareForRandomGraphs } from "./random-graph.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The SQL that POST /v1/orders/query returns, run against a real orders table in PostgreSQL, selects exactly
 * the orders POST /v1/orders/filter keeps: over randomized graphs (seeded, so a failure replays).
 */
let t: TestSidecar;
let db: pg.Pool;

beforeAll(async () => {
  t = await startTestSidecar("order_query");
  await prepareForRandomGraphs(t);
  db = new pg.Pool({ connectionString: t.databaseUrl });
  await db.query("create table if not exists orders (id text primary key, org_id text not null, buyer_id text not null)");
});
afterAll(async () => {
  await db?.end();
  await t?.sidecar.close();
});

describe.each([11, 23, 37, 41, 59, 73])("random graph seed %i", (seed) => {
  it("selects the same orders with the returned SQL as the filter keeps", async () => {
    const { orders, subjects, consistency } = await importRandomGraph(t, seed);
    await insertOrders(db, orders);
    let nonEmpty = 0;
    for (const { subject, org } of subjects) {
      const query = await t.call("POST", "/v1/orders/query", { key: CHECK_KEY, body: { subject, org, consistency } });
      expect(query.status).toBe(200);
      const { rows } = await db.query<{ id: string }>(
        `select id from orders where id like $${query.body.sql.params.length + 1} and (${query.body.sql.where}) order by id`,
        [...query.body.sql.params, `R${seed}-%`],
      );
      const filtered = await t.call("POST", "/v1/orders/filter", { key: CHECK_KEY, body: { subject, org, orders, consistency } });
      expect(filtered.status).toBe(200);
      expect(rows.map((row) => row.id)).toEqual([...filtered.body.visible].sort());
      if (rows.length > 0) nonEmpty++;
    }
    // The comparison must not be vacuous: some subjects see orders.
    expect(nonEmpty).toBeGreaterThan(0);
  });
});
