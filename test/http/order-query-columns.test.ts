import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The `columns` of POST /v1/orders/query name the host's columns, whatever they are called: reserved words
 * (`user` is CURRENT_USER to PostgreSQL, `current_user` likewise), mixed case and table-qualified names must select
 * the same orders as POST /v1/orders/filter keeps, run against a real PostgreSQL table whose columns have those names.
 */
let t: TestSidecar;
let db: pg.Pool;
let graphToken: string;
let dbRole: string;

// Orders of two orgs; "postgres" (named like the database role the host connects as) is one of the buyers.
const orders = [
  { id: "q1", org: "QC-A", buyer: "dbrole" },
  { id: "q2", org: "QC-A", buyer: "someone" },
  { id: "q3", org: "QC-B", buyer: "dbrole" },
  { id: "q4", org: "QC-B", buyer: "other" },
];

beforeAll(async () => {
  t = await startTestSidecar("order_columns");
  db = new pg.Pool({ connectionString: t.databaseUrl });
  dbRole = (await db.query<{ r: string }>("select current_user as r")).rows[0]!.r;
  for (const o of orders) if (o.buyer === "dbrole") o.buyer = dbRole;
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  await t.sidecar.graph.putRole("own_viewer", { name: "Own orders", permissions: [{ code: "order.view", level: 1 }] });
  const imported = await t.call("POST", "/v1/import", {
    actor: "staff:ops-1",
    body: {
      orgs: [
        { id: "QC-A", name: "A", parent: null, status: "active", inheritRoles: true },
        { id: "QC-B", name: "B", parent: "QC-A", status: "active", inheritRoles: true },
      ],
      users: [{ id: dbRole, status: "active" }, { id: "lena", status: "active" }],
      memberships: [
        { user: dbRole, org: "QC-A", roles: ["own_viewer"], inheritable: true },
        { user: "lena", org: "QC-A", roles: ["bc_senior_buyer"], inheritable: true },
      ],
    },
  });
  expect(imported.status, JSON.stringify(imported.body)).toBe(200);
  graphToken = imported.body.graphToken;
  // Column names PostgreSQL would otherwise read as keywords, functions or folded lower case.
  await db.query(`create table host_orders (id text primary key, "user" text, "Org_Id" text, "current_user" text, "null" text,
                    org_id text, buyer_id text)`);
  await db.query(
    `insert into host_orders (id, "user", "Org_Id", "current_user", "null", org_id, buyer_id)
       select i, b, o, b, o, o, b from unnest($1::text[], $2::text[], $3::text[]) as x(i, o, b)`,
    [orders.map((o) => o.id), orders.map((o) => o.org), orders.map((o) => o.buyer)],
  );
  // Only the mixed-case column: a name folded to lower case finds nothing to read.
  await db.query(`create table mixed_orders as select id, "Org_Id", buyer_id from host_orders`);
});
afterAll(async () => {
  await db?.end();
  await t?.sidecar.close();
});

async function visibleBySql(subject: string, columns: { org: string; buyer: string }, from = "host_orders"): Promise<string[]> {
  const query = await t.call("POST", "/v1/orders/query", {
    key: CHECK_KEY,
    body: { subject: { id: subject }, org: "QC-A", columns, consistency: { atLeast: graphToken } },
  });
  expect(query.status, JSON.stringify(query.body)).toBe(200);
  const { rows } = await db.query<{ id: string }>(`select id from ${from} where ${query.body.sql.where} order by id`, query.body.sql.params);
  return rows.map((r) => r.id);
}

async function visibleByFilter(subject: string): Promise<string[]> {
  const filtered = await t.call("POST", "/v1/orders/filter", {
    key: CHECK_KEY,
    body: { subject: { id: subject }, org: "QC-A", orders, consistency: { atLeast: graphToken } },
  });
  expect(filtered.status).toBe(200);
  return [...(filtered.body.visible as string[])].sort();
}

describe("order query columns against a real table", () => {
  it("a buyer column named user is the column, not CURRENT_USER: a buyer named like the role sees only its own orders", async () => {
    const expected = await visibleByFilter(dbRole);
    expect(expected).toContain("q1");
    expect(expected).not.toContain("q2");
    expect(await visibleBySql(dbRole, { org: "org_id", buyer: "user" })).toEqual(expected);
    expect(await visibleBySql(dbRole, { org: "org_id", buyer: "current_user" })).toEqual(expected);
  });

  it("keeps the case of a mixed-case column", async () => {
    expect(await visibleBySql(dbRole, { org: "Org_Id", buyer: "buyer_id" }, "mixed_orders")).toEqual(await visibleByFilter(dbRole));
    const lena = await visibleByFilter("lena");
    expect(lena).toContain("q2");
    expect(await visibleBySql("lena", { org: "Org_Id", buyer: "buyer_id" }, "mixed_orders")).toEqual(lena);
  });

  it("takes a column named null as the column", async () => {
    const lena = await visibleByFilter("lena");
    expect(lena.length).toBeGreaterThan(0);
    expect(await visibleBySql("lena", { org: "null", buyer: "user" })).toEqual(lena);
    expect(await visibleBySql(dbRole, { org: "null", buyer: "user" })).toEqual(await visibleByFilter(dbRole));
  });

  it("quotes table-qualified columns part by part", async () => {
    const query = await t.call("POST", "/v1/orders/query", {
      key: CHECK_KEY,
      body: { subject: { id: dbRole }, org: "QC-A", columns: { org: "o.org_id", buyer: "o.user" }, consistency: { atLeast: graphToken } },
    });
    expect(query.body.sql.where).toBe('("o"."org_id" = ANY($1) AND "o"."user" = $2)');
    expect(await visibleBySql(dbRole, { org: "o.Org_Id", buyer: "o.user" }, "host_orders o")).toEqual(await visibleByFilter(dbRole));
  });

  it("still refuses with 400 what cannot be an identifier", async () => {
    for (const org of ['org_id"; drop table host_orders; --', "a.b.c", "1abc", "x".repeat(64), ""]) {
      const res = await t.call("POST", "/v1/orders/query", { key: CHECK_KEY, body: { subject: { id: dbRole }, org: "QC-A", columns: { org } } });
      expect(res.status, org).toBe(400);
      expect(res.body.error.details[0].path).toBe("columns.org");
    }
  });
});
