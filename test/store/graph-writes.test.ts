import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { smallGraph, tearDown } from "./graph-test-support.ts";

describe("graph writes", () => {
  let url: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    ({ url, graph } = await smallGraph("writes", { MAX_TREE_DEPTH: "5", MAX_TREE_ORGS: "8" }));
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url] });
  });

  it("creates an org with defaults and its path, and the token shows in the next slice", async () => {
    const { org, graphToken } = await graph.createOrg({ id: "BER-2", name: "Berlin 2", parent: "DE" });
    expect(org).toEqual({
      id: "BER-2",
      name: "Berlin 2",
      parent: "DE",
      status: "active",
      inheritRoles: true,
      attributes: {},
      path: ["ACME", "EU", "DE", "BER-2"],
    });
    const { graph: g } = await graph.slice({ subject: { id: "alice" }, org: "BER-2", atLeast: graphToken });
    expect(g.orgs["BER-2"]?.path).toEqual(["ACME", "EU", "DE", "BER-2"]);
    expect(g.tree?.size).toBe(7);
  });

  it("creates a top-level org with its tree setting", async () => {
    const { org } = await graph.createOrg({ id: "INITECH", name: "Initech", status: "pending", overLimit: "deny" });
    expect(org).toMatchObject({ parent: null, status: "pending", overLimit: "deny", path: ["INITECH"] });
    await expect(graph.createOrg({ id: "INITECH", name: "again" })).rejects.toMatchObject({ code: "conflict" });
  });

  it("gives a buyer-created org's creator its roles in the same write", async () => {
    const { graphToken } = await graph.createOrg({ id: "INI-1", name: "Ini unit", parent: "INITECH", status: "inactive" }, { user: "bob", roles: ["org_admin"] });
    const { graph: g } = await graph.slice({ subject: { id: "bob" }, org: "INI-1", atLeast: graphToken });
    expect(g.memberships).toEqual([{ org: "INI-1", roles: ["org_admin"], inheritable: true }]);
    expect(g.orgs["INI-1"]?.status).toBe("inactive");
  });

  it("refuses an unknown parent, too deep, too many", async () => {
    await expect(graph.createOrg({ id: "X", name: "x", parent: "NOPE" })).rejects.toMatchObject({ code: "not_found" });
    await graph.createOrg({ id: "L5", name: "level 5", parent: "BER" });
    // The store's re-check under its lock reports the policy's reason codes as the detail paths (b2b.trees).
    await expect(graph.createOrg({ id: "L6", name: "level 6", parent: "L5" })).rejects.toMatchObject({
      code: "unprocessable",
      details: [{ path: "depth_limit", message: "tree ACME would be 6 levels deep (org L6); a tree has at most 5 levels" }],
    });
    // ACME has 8 orgs now (limit 8)
    await expect(graph.createOrg({ id: "US-2", name: "one too many", parent: "US" })).rejects.toMatchObject({
      code: "unprocessable",
      message: expect.stringContaining("at most 8") as string,
      details: [{ path: "size_limit", message: "tree ACME would have 9 orgs; a tree has at most 8 orgs" }],
    });
  });

  it("updates fields and keeps what the patch leaves out", async () => {
    const { org } = await graph.updateOrg("FR", { status: "suspended", attributes: { vat: "FR1" } });
    expect(org).toMatchObject({ name: "Acme FR", status: "suspended", inheritRoles: false, attributes: { vat: "FR1" } });
    await expect(graph.updateOrg("FR", {})).rejects.toMatchObject({ code: "invalid_request" });
    await expect(graph.updateOrg("NOPE", { name: "n" })).rejects.toMatchObject({ code: "not_found" });
  });

  it("re-parents within limits and refuses cycles", async () => {
    await expect(graph.updateOrg("EU", { parent: "BER" })).rejects.toMatchObject({
      code: "conflict",
      details: [{ path: "cycle", message: "org BER is EU or one of its descendants" }],
    });
    await expect(graph.updateOrg("EU", { parent: "EU" })).rejects.toMatchObject({ code: "conflict" });
    // EU's subtree is 4 levels high (EU, DE, BER, L5): under GX-OPS (level 2) it would reach level 6
    await expect(graph.updateOrg("EU", { parent: "GX-OPS" })).rejects.toMatchObject({ code: "unprocessable" });
    const { org, graphToken } = await graph.updateOrg("FR", { parent: "GX-OPS" });
    expect(org.path).toEqual(["GLOBEX", "GX-OPS", "FR"]);
    const { graph: g } = await graph.slice({ subject: { id: "alice" }, org: "FR", atLeast: graphToken });
    expect(g.tree?.root).toBe("GLOBEX");
    expect(g.memberships).toEqual([]); // alice's ACME role does not follow FR into another tree
    const moved = await graph.updateOrg("FR", { parent: null });
    expect(moved.org).toMatchObject({ parent: null, path: ["FR"], overLimit: "approval" });
  });

  it("reads orgs, trees, members", async () => {
    expect((await graph.getOrg("DE")).path).toEqual(["ACME", "EU", "DE"]);
    const { root, size, tree } = await graph.getTree("EU");
    expect(root).toBe("ACME");
    expect(size).toBe(7);
    expect(tree.id).toBe("EU");
    expect(tree.children.map((c) => c.id)).toEqual(["DE"]);
    expect(tree.children[0]?.children.map((c) => c.id).sort()).toEqual(["BER", "BER-2"]);
    expect(await graph.listMembers("DE")).toEqual([{ user: "carol", org: "DE", roles: ["requester", "buyer"], inheritable: true, limits: { maxOrderTotal: 500 } }]);
    await expect(graph.listMembers("NOPE")).rejects.toMatchObject({ code: "not_found" });
    expect((await graph.listTrees()).map((t) => t.root)).toEqual(["ACME", "FR", "GLOBEX", "INITECH"]);
  });

  it("puts and deletes memberships", async () => {
    const put = await graph.putMembership("US", "bob", { roles: ["buyer", "viewer"], limits: { maxOrderTotal: 100 } });
    expect(put).toMatchObject({ created: true, membership: { user: "bob", org: "US", roles: ["buyer", "viewer"], inheritable: true } });
    const again = await graph.putMembership("US", "bob", { roles: ["buyer"], inheritable: false });
    expect(again.created).toBe(false);
    expect(again.membership).toEqual({ user: "bob", org: "US", roles: ["buyer"], inheritable: false });
    await expect(graph.putMembership("US", "bob", { roles: [] })).rejects.toMatchObject({ code: "invalid_request" });
    await expect(graph.putMembership("US", "bob", { roles: ["a", "b", "c", "d", "e", "f"] })).rejects.toMatchObject({ code: "invalid_request" });
    await expect(graph.putMembership("US", "ghost", { roles: ["buyer"] })).rejects.toMatchObject({ code: "not_found" });
    await expect(graph.putMembership("NOPE", "bob", { roles: ["buyer"] })).rejects.toMatchObject({ code: "not_found" });
    const del = await graph.deleteMembership("US", "bob");
    expect(del.membership.user).toBe("bob");
    await expect(graph.deleteMembership("US", "bob")).rejects.toMatchObject({ code: "not_found" });
  });

  it("puts users and reads them with their memberships", async () => {
    const { user, created, graphToken } = await graph.putUser("dan", { email: "dan@acme.test" });
    expect({ user, created }).toEqual({ user: { id: "dan", email: "dan@acme.test", status: "active" }, created: true });
    await graph.putMembership("DE", "dan", { roles: ["buyer"] });
    expect(await graph.getUser("dan")).toEqual({
      id: "dan",
      email: "dan@acme.test",
      status: "active",
      memberships: [{ user: "dan", org: "DE", roles: ["buyer"], inheritable: true }],
    });
    const disabled = await graph.putUser("dan", { email: "dan@acme.test", status: "disabled" });
    const { graph: g } = await graph.slice({ subject: { id: "dan" }, org: "DE", atLeast: disabled.graphToken });
    expect(g.user).toEqual({ id: "dan", status: "disabled" });
    expect(graphToken).not.toBe(disabled.graphToken);
    await expect(graph.getUser("ghost")).rejects.toMatchObject({ code: "not_found" });
  });

  it("puts custom roles and the slice carries the new definition", async () => {
    const { role, graphToken } = await graph.putRole("requester", {
      name: "Requester v2",
      permissions: [{ code: "order.place", level: 2 }, { code: "order.view", level: 1 }],
      checkout: "approval",
      limits: { maxOrderTotal: 50 },
    });
    expect(role).toEqual({
      key: "requester",
      name: "Requester v2",
      permissions: [{ code: "order.place", level: 2 }, { code: "order.view", level: 1 }],
      assignableByBuyers: false,
      checkout: "approval",
      limits: { maxOrderTotal: 50 },
    });
    const { graph: g } = await graph.slice({ subject: { id: "carol" }, org: "DE", atLeast: graphToken });
    expect(g.roles.requester?.name).toBe("Requester v2");
    expect((await graph.listRoles()).map((r) => r.key)).toEqual(["requester"]);
  });

  it("puts staff", async () => {
    const { graphToken } = await graph.putStaff("ops-2", { roles: ["store_admin"] });
    const { graph: g } = await graph.slice({ subject: { id: "ops-2", kind: "staff" }, org: "DE", atLeast: graphToken });
    expect(g.staff).toEqual({ id: "ops-2", roles: ["store_admin"] });
    expect((await graph.listStaff()).map((s) => s.id)).toEqual(["ops-1", "ops-2"]);
  });

  it("keeps database constraints for writers that bypass the API", async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await expect(client.query("update orgs set parent = 'BER' where id = 'ACME'")).rejects.toThrow(/descendant/);
      await expect(client.query("insert into memberships (org_id, user_id, roles) values ('DE', 'alice', '{a,b,c,d,e,f}')")).rejects.toThrow(
        /check constraint/,
      );
      await expect(client.query("insert into orgs (id, name, status) values ('Z', 'z', 'weird')")).rejects.toThrow(/check constraint/);
      await expect(client.query("insert into users (id, status) values ('zed', 'gone')")).rejects.toThrow(/check constraint/);
    } finally {
      await client.end();
    }
  });

  it("reports its status", async () => {
    const status = await graph.status();
    expect(status).toMatchObject({ store: "postgres", reachable: true, redis: { configured: false }, feed: { mode: "postgres", connected: true } });
    expect(status.counts?.orgs).toBeGreaterThan(5);
  });
});
