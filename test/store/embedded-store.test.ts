import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { eventually, openGraph } from "./graph-test-support.ts";

/** No DATABASE_URL: PostgreSQL in the process (PGlite behind pglite-socket), with the demo graph. */
describe("embedded PostgreSQL with the demo graph", () => {
  let graph: OrgGraph;
  let sql: pg.Client;

  beforeAll(async () => {
    graph = await openGraph({ DATABASE_URL: undefined, REDIS_URL: undefined });
    const status = await graph.status();
    sql = new pg.Client({ connectionString: status.embedded!.url });
    await sql.connect();
  });
  afterAll(async () => {
    await sql?.end();
    await graph?.close();
  });

  it("runs the migrations and loads the demo graph", async () => {
    const status = await graph.status();
    expect(status).toMatchObject({ store: "embedded", reachable: true, counts: { orgs: 10, trees: 3, users: 9, memberships: 10, roles: 2, staff: 1 } });
    const { rows } = await sql.query<{ name: string }>("select name from schema_migrations order by name");
    expect(rows.map((r) => r.name)).toEqual(["001_org_graph.sql", "002_store_identity.sql"]);
  });

  it("shows every feature of the model in slices", async () => {
    // inherited role from ACME, cut at ACME-FR (inheritRoles false)
    expect((await graph.slice({ subject: { id: "alice" }, org: "ACME-BER" })).graph.memberships).toEqual([
      { org: "ACME", roles: ["org_admin"], inheritable: true },
    ]);
    expect((await graph.slice({ subject: { id: "alice" }, org: "ACME-FR" })).graph.orgs["ACME-FR"]?.inheritRoles).toBe(false);
    // non-inherited role
    expect((await graph.slice({ subject: { id: "bob" }, org: "ACME-DE" })).graph.memberships).toEqual([{ org: "ACME-EU", roles: ["buyer"], inheritable: false }]);
    // requester with approval checkout
    expect((await graph.slice({ subject: { id: "dave" }, org: "ACME-BER" })).graph.roles.requester?.checkout).toBe("approval");
    // inactive unit, pending company, deny tree, disabled user
    expect((await graph.slice({ subject: { id: "frank" }, org: "ACME-LAB" })).graph.orgs["ACME-LAB"]?.status).toBe("inactive");
    expect((await graph.slice({ subject: { id: "ivan" }, org: "INITECH" })).graph.orgs.INITECH?.status).toBe("pending");
    expect((await graph.slice({ subject: { id: "frank" }, org: "GLOBEX-OPS" })).graph.tree).toEqual({ root: "GLOBEX", size: 2, overLimit: "deny" });
    expect((await graph.slice({ subject: { id: "henry" }, org: "ACME-DE" })).graph.user?.status).toBe("disabled");
    // a user in two trees sees only the acting tree's memberships
    expect((await graph.slice({ subject: { id: "frank" }, org: "ACME-US" })).graph.memberships.map((m) => m.org)).toEqual(["ACME-US"]);
  });

  it("writes and reads its own writes through the API", async () => {
    const { graphToken } = await graph.deleteMembership("ACME-EU", "bob");
    expect((await graph.slice({ subject: { id: "bob" }, org: "ACME-DE", atLeast: graphToken })).graph.memberships).toEqual([]);
  });

  it("hears direct SQL writes through LISTEN/NOTIFY", async () => {
    expect((await graph.slice({ subject: { id: "gina" }, org: "ACME-FR" })).graph.memberships).toHaveLength(1);
    await sql.query("delete from memberships where user_id = 'gina'");
    await eventually(async () => (await graph.slice({ subject: { id: "gina" }, org: "ACME-FR" })).graph.memberships.length === 0, "gina removed");
  });

  it("holds a demo orders table for the order-query SQL", async () => {
    const { rows } = await sql.query<{ id: string }>("select id from orders where org_id = any($1) order by id", [["ACME-DE", "ACME-BER"]]);
    expect(rows.map((r) => r.id)).toEqual(["o3", "o4", "o5", "o6"]);
  });
});
