import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * Administration as an attacker tries it, over real HTTP with the machine's PostgreSQL and Redis: an admin of one
 * tree reaching a user's standing in another, staff-only attributes slipped into a creation, the cascade of an
 * inheritable membership, and orgs a reader may not view showing in a tree. The graph is the demo document.
 */
let t: TestSidecar;
const staff = "staff:ops-1";

beforeAll(async () => {
  t = await startTestSidecar("admin_scope");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: staff, body: demoDocument })).status).toBe(200);
});
afterAll(async () => {
  await t?.sidecar.close();
});

const reasonCodes = (body: { error: { details: { path: string }[] } }) => body.error.details.map((d) => d.path);
const orgsOf = (body: { memberships: { org: string }[] }) => body.memberships.map((m) => m.org).sort();

describe("a user's account across trees", () => {
  it("refuses an admin of another tree who made the user a member there (403 outside_scope), and changes nothing", async () => {
    // frank is GLOBEX's org_admin; alice belongs to ACME. frank adds alice to his tree, then tries to take her over.
    const added = await t.call("PUT", "/v1/orgs/GLOBEX-OPS/members/alice", { actor: "user:frank", body: { roles: ["viewer"] } });
    expect(added.status).toBe(201);
    const takeover = await t.call("PUT", "/v1/users/alice?org=GLOBEX-OPS", {
      actor: "user:frank",
      body: { email: "owned@evil.test", status: "disabled" },
    });
    expect(takeover.status).toBe(403);
    expect(reasonCodes(takeover.body)).toEqual(["outside_scope"]);
    const alice = await t.call("GET", "/v1/users/alice", { actor: staff });
    expect(alice.body).toMatchObject({ id: "alice", email: "alice@acme.test", status: "active" });
  });

  it("refuses an admin editing a user who also belongs to another tree", async () => {
    // alice manages all of ACME, but frank is also GLOBEX's admin.
    const res = await t.call("PUT", "/v1/users/frank?org=ACME", { actor: "user:alice", body: { email: "frank@acme.test" } });
    expect(res.status).toBe(403);
    expect(reasonCodes(res.body)).toEqual(["outside_scope"]);
  });

  it("lets an admin edit a user whose every org it manages", async () => {
    const res = await t.call("PUT", "/v1/users/dave?org=ACME", { actor: "user:alice", body: { email: "dave@acme.example" } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: "dave", email: "dave@acme.example", status: "active" });
  });

  it("shows a buyer only the memberships in orgs it may view, and the email only when it may edit the user", async () => {
    const frank = await t.call("GET", "/v1/users/frank?org=ACME", { actor: "user:alice" });
    expect(frank.status).toBe(200);
    expect(orgsOf(frank.body)).toEqual(["ACME-US"]);
    expect(frank.body).not.toHaveProperty("email");

    const dave = await t.call("GET", "/v1/users/dave?org=ACME", { actor: "user:alice" });
    expect(dave.body).toMatchObject({ id: "dave", email: "dave@acme.example", status: "active" });
    expect(orgsOf(dave.body)).toEqual(["ACME-BER"]);

    // gina's only org opts out of inheritance: alice's admin role does not reach it.
    const gina = await t.call("GET", "/v1/users/gina?org=ACME", { actor: "user:alice" });
    expect(gina.status).toBe(403);
    expect(reasonCodes(gina.body)).toEqual(["outside_scope"]);

    // Staff and the user itself see everything.
    const byStaff = await t.call("GET", "/v1/users/frank", { actor: staff });
    expect(orgsOf(byStaff.body)).toEqual(["ACME-US", "GLOBEX"]);
    expect(byStaff.body.email).toBe("frank@globex.test");
    const self = await t.call("GET", "/v1/users/frank?org=GLOBEX", { actor: "user:frank" });
    expect(orgsOf(self.body)).toEqual(["ACME-US", "GLOBEX"]);
    expect(self.body.email).toBe("frank@globex.test");
  });
});

describe("staff-only attributes on creation", () => {
  it("refuses a buyer creating a child org that sets inheritRoles (403 naming the field)", async () => {
    const res = await t.call("POST", "/v1/orgs", {
      actor: "user:alice",
      body: { id: "ACME-US-SHADOW", name: "Shadow", parent: "ACME-US", inheritRoles: false },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.details).toEqual([{ path: "staff_only", message: "changing inheritRoles is reserved to staff" }]);
    expect((await t.call("GET", "/v1/orgs/ACME-US-SHADOW", { actor: staff })).status).toBe(404);
  });

  it("keeps the status staff asked for", async () => {
    const res = await t.call("POST", "/v1/orgs", { actor: staff, body: { id: "VANDELAY", name: "Vandelay", status: "pending" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: "VANDELAY", status: "pending" });
    expect((await t.call("GET", "/v1/orgs/VANDELAY", { actor: staff })).body.status).toBe("pending");
  });
});

describe("inheritable memberships written by a level-2 admin", () => {
  beforeAll(async () => {
    for (const id of ["kim", "lee", "max"]) {
      expect((await t.call("PUT", `/v1/users/${id}`, { actor: staff, body: { email: `${id}@acme.test` } })).status).toBe(201);
    }
    // commercetools admins ("Others" permissions: level 2) of a leaf unit and of a unit with an inheriting child.
    await t.call("PUT", "/v1/orgs/ACME-BER/members/kim", { actor: staff, body: { roles: ["ct_admin"], inheritable: false } });
    await t.call("PUT", "/v1/orgs/ACME-DE/members/lee", { actor: staff, body: { roles: ["ct_admin"], inheritable: false } });
  });

  it("accepts the default request at an org with nothing below it", async () => {
    const res = await t.call("PUT", "/v1/orgs/ACME-BER/members/max", { actor: "user:kim", body: { roles: ["ct_buyer"] } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ user: "max", org: "ACME-BER", roles: ["ct_buyer"], inheritable: true });
  });

  it("refuses one that would cascade into an org beyond its reach, and accepts it not inheritable", async () => {
    const cascading = await t.call("PUT", "/v1/orgs/ACME-DE/members/max", { actor: "user:lee", body: { roles: ["ct_buyer"] } });
    expect(cascading.status).toBe(403);
    expect(reasonCodes(cascading.body)).toEqual(["escalation"]);
    expect(cascading.body.error.details[0].message).toContain("ACME-BER");
    const explicit = await t.call("PUT", "/v1/orgs/ACME-DE/members/max", {
      actor: "user:lee",
      body: { roles: ["ct_buyer"], inheritable: false },
    });
    expect(explicit.status).toBe(201);
  });
});

describe("GET /v1/orgs/{id}/tree", () => {
  it("hides an org cut off by inheritRoles false, and its subtree, from a reader whose view comes from above", async () => {
    await t.call("POST", "/v1/orgs", { actor: staff, body: { id: "ACME-FR-PAR", name: "Paris", parent: "ACME-FR" } });
    expect((await t.call("GET", "/v1/orgs/ACME-FR", { actor: "user:alice" })).status).toBe(403);
    const byAlice = await t.call("GET", "/v1/orgs/ACME-EU/tree", { actor: "user:alice" });
    expect(byAlice.status).toBe(200);
    const ids = (node: { id: string; children: unknown[] }): string[] => [node.id, ...node.children.flatMap((c) => ids(c as typeof node))];
    expect(ids(byAlice.body.tree).sort()).toEqual(["ACME-BER", "ACME-DE", "ACME-EU"]);
    const byStaff = await t.call("GET", "/v1/orgs/ACME-EU/tree", { actor: staff });
    expect(ids(byStaff.body.tree).sort()).toEqual(["ACME-BER", "ACME-DE", "ACME-EU", "ACME-FR", "ACME-FR-PAR"]);
  });
});

describe("probing another tree", () => {
  // frank is a buyer in ACME-US and GLOBEX's org_admin; alice is ACME's org_admin (and a viewer in GLOBEX-OPS since
  // frank added her above).
  it.each([
    ["lists the members of a foreign org", "GET", "/v1/orgs/GLOBEX/members", "user:alice", undefined, "not_associated"],
    ["lists the members of a foreign org it only views", "GET", "/v1/orgs/GLOBEX-OPS/members", "user:alice", undefined, "missing_permission"],
    ["reads a foreign tree", "GET", "/v1/orgs/GLOBEX/tree", "user:alice", undefined, "not_associated"],
    ["creates a child under a foreign parent", "POST", "/v1/orgs", "user:alice", { id: "GLOBEX-X", name: "X", parent: "GLOBEX" }, "not_associated"],
    ["edits a user acting in a foreign tree", "PUT", "/v1/users/frank?org=GLOBEX", "user:alice", { email: "f@acme.test" }, "not_associated"],
    ["reads a user acting in a foreign tree", "GET", "/v1/users/frank?org=GLOBEX", "user:alice", undefined, "not_associated"],
    ["assigns a role where it only buys", "PUT", "/v1/orgs/ACME-US/members/alice", "user:frank", { roles: ["viewer"] }, "missing_permission"],
    ["removes a membership where it only buys", "DELETE", "/v1/orgs/ACME-US/members/frank", "user:frank", undefined, "missing_permission"],
    ["edits its own account from the tree it administers", "PUT", "/v1/users/frank?org=GLOBEX", "user:frank", { email: "f@x.test" }, "outside_scope"],
  ])("refuses an admin who %s (403)", async (_what, method, path, actor, body, code) => {
    const res = await t.call(method, path, { actor, ...(body ? { body } : {}) });
    expect(res.status).toBe(403);
    expect(reasonCodes(res.body)).toEqual([code]);
  });
});
