import { OPAClient } from "@open-policy-agent/opa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { ADMIN_KEY, CHECK_KEY, decisionTransports, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";
import { futureToken } from "../store/graph-test-support.ts";

/**
 * The HTTP API of README's API section end to end: real HTTP, the machine's PostgreSQL and Redis, the committed
 * policy bundle. The graph is the demo document (src/store/demo-graph.ts), imported through POST /v1/import.
 */
let t: TestSidecar;
const staff = "staff:ops-1";

beforeAll(async () => {
  t = await startTestSidecar("api");
  // The first staff member comes from the operator (command-line import), not through the API it would authorize.
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  const imported = await t.call("POST", "/v1/import", { actor: staff, body: demoDocument });
  expect(imported.status).toBe(200);
});
afterAll(async () => {
  await t?.sidecar.close();
});

const check = (body: unknown, key: string = CHECK_KEY) => t.call("POST", "/v1/check", { body, key });
const placeAtDe = (subject: string, total: number) => ({
  subject: { id: subject },
  org: "ACME-DE",
  action: "order.place",
  resource: { type: "order", org: "ACME-DE", buyer: subject, attributes: { total } },
});

/**
 * The decision endpoints through both transports that serve them: the same suite against a sidecar with the fast
 * path and against one that answers them from the express routes of the same route table.
 */
describe.each(decisionTransports)("decisions through the %s", (transport, options) => {
  let t: TestSidecar;
  beforeAll(async () => {
    t = await startTestSidecar(`api_${options.fastPath ? "fast" : "express"}`, {}, undefined, options);
    await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
    expect((await t.call("POST", "/v1/import", { actor: staff, body: demoDocument })).status).toBe(200);
  });
  afterAll(async () => {
    await t?.sidecar.close();
  });
  const check = (body: unknown, key: string = CHECK_KEY) => t.call("POST", "/v1/check", { body, key });

  it(`answers every decision endpoint in the shape its route declares (${transport})`, async () => {
    const bodies: Record<string, unknown> = {
      "/v1/check": placeAtDe("carol", 800),
      "/v1/check/batch": { subject: { id: "carol" }, org: "ACME-DE", checks: [{ action: "order.place" }, { action: "order.view" }] },
      "/v1/permissions": { subject: { id: "bob" }, org: "ACME-EU" },
      "/v1/permissions/tree": { subject: { id: "carol" }, org: "ACME" },
      "/v1/orders/query": { subject: { id: "carol" }, org: "ACME-DE" },
      "/v1/orders/filter": { subject: { id: "carol" }, org: "ACME-DE", orders: [{ id: "o3", org: "ACME-DE", buyer: "carol" }] },
    };
    const served = t.sidecar.routes.filter((route) => route.fastPath);
    expect(served.map((route) => route.path).sort()).toEqual(Object.keys(bodies).sort());
    for (const route of served) {
      const res = await t.call("POST", route.path, { key: CHECK_KEY, body: bodies[route.path] });
      expect(res.status, route.path).toBe(200);
      expect(route.response?.safeParse(res.body).error, route.path).toBeUndefined();
    }
  });

  describe("POST /v1/check", () => {
    it("allows an inherited org admin, saying how, with decision id, policy revision and graph token", async () => {
      const { status, body } = await check({ subject: { id: "alice" }, org: "ACME-BER", action: "order.view" });
      expect(status).toBe(200);
      expect(body).toMatchObject({ decision: "allow", allow: true, policyRevision: t.sidecar.engine.revision });
      expect(body.reasons[0]).toMatchObject({ code: "inherited_role", role: "org_admin", org: "ACME" });
      expect(body.decisionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(body.graphToken).toEqual(expect.any(String));
    });

    it("answers approval_required over the membership's limit, naming the approvers", async () => {
      const { body } = await check(placeAtDe("carol", 800));
      expect(body).toMatchObject({ decision: "approval_required", allow: false, approvers: { org: "ACME-DE", permission: "approval.decide" } });
      expect(body.reasons.map((r: { code: string }) => r.code)).toContain("over_limit");
    });

    it("allows the same order within the limit", async () => {
      const { body } = await check(placeAtDe("carol", 300));
      expect(body).toMatchObject({ decision: "allow", allow: true });
      expect(body).not.toHaveProperty("approvers");
    });

    it.each([
      ["an unknown org", { subject: { id: "alice" }, org: "NOPE", action: "order.view" }, "unknown_org"],
      ["an unknown subject", { subject: { id: "mallory" }, org: "ACME", action: "order.view" }, "unknown_subject"],
      ["a disabled user", { subject: { id: "henry" }, org: "ACME-DE", action: "order.view" }, "user_disabled"],
      ["a pending company", { subject: { id: "ivan" }, org: "INITECH", action: "catalog.browse" }, "org_pending"],
      ["a non-inheriting division", { subject: { id: "alice" }, org: "ACME-FR", action: "order.view" }, "not_associated"],
      ["another tree", { subject: { id: "alice" }, org: "GLOBEX", action: "order.view" }, "not_associated"],
    ])("denies %s with a reason, not an error", async (_what, body, code) => {
      const res = await check(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ decision: "deny", allow: false });
      expect(res.body.reasons.map((r: { code: string }) => r.code)).toContain(code);
    });

    it("answers a repeated check from the decision memo, still with a decision id of its own", async () => {
      const memoHits = async () => {
        const { body } = await t.call("GET", "/metrics", { key: null });
        return Number(/^b2b_authz_decision_memo_hits (\d+)$/m.exec(body as string)?.[1]);
      };
      // The memo keeps an answer the second time it is asked (decision-memo.ts), and answers from the third.
      await check(placeAtDe("carol", 301));
      const first = await check(placeAtDe("carol", 301));
      const before = await memoHits();
      const again = await check(placeAtDe("carol", 301));
      expect(await memoHits()).toBe(before + 1);
      const { decisionId: firstId, ...firstAnswer } = first.body;
      const { decisionId: againId, ...againAnswer } = again.body;
      expect(againAnswer).toEqual(firstAnswer);
      expect(againId).not.toBe(firstId);
    });

    it("accepts a BigCommerce alias as the action", async () => {
      const { body } = await check({ subject: { id: "alice" }, org: "ACME", action: "get_orders" });
      expect(body.allow).toBe(true);
    });

    it("rejects an unknown action code with 400 naming the field", async () => {
      const res = await check({ subject: { id: "alice" }, org: "ACME", action: "order.teleport" });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ path: "action" }] });
    });

    it.each([
      ["a missing subject id", { subject: {}, org: "ACME", action: "order.view" }, "subject.id"],
      ["a missing org", { subject: { id: "alice" }, action: "order.view" }, "org"],
      ["a wrong resource type", { subject: { id: "alice" }, org: "ACME", action: "order.view", resource: "o1" }, "resource"],
      ["a negative total", { ...placeAtDe("carol", -1) }, "resource.attributes.total"],
    ])("answers 400 for %s", async (_what, body, path) => {
      const res = await check(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it("answers 400 for a body that is not JSON", async () => {
      const res = await t.call("POST", "/v1/check", { rawBody: "{not json", key: CHECK_KEY });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ path: "(body)" }] });
    });

    it("answers 400 and 413 the same way on the express routes", async () => {
      const notJson = await t.call("POST", "/v1/import", { actor: staff, rawBody: "{not json" });
      expect(notJson.status).toBe(400);
      expect(notJson.body.error).toMatchObject({ code: "invalid_request", details: [{ path: "(body)" }] });
      const tooLarge = await t.call("POST", "/v1/import", { actor: staff, rawBody: JSON.stringify({ pad: "x".repeat(5 * 1024 * 1024) }) });
      expect(tooLarge.status).toBe(413);
      expect(tooLarge.body.error).toMatchObject({ code: "payload_too_large", message: expect.stringMatching(/larger than \d+ bytes/) });
    });

    it("answers 413 for a body over the limit", async () => {
      const res = await t.call("POST", "/v1/check", { rawBody: JSON.stringify({ pad: "x".repeat(5 * 1024 * 1024) }), key: CHECK_KEY });
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe("payload_too_large");
    });

    it.each([
      ["no key", null, 401, "unauthenticated"],
      ["an unknown key", "not-a-key", 401, "unauthenticated"],
    ])("answers a request with %s as 401", async (_what, key, status, code) => {
      const res = await t.call("POST", "/v1/check", { body: placeAtDe("carol", 1), key });
      expect(res.status).toBe(status);
      expect(res.body.error.code).toBe(code);
    });

    it("fails closed with 503 graph_unavailable when asked for data newer than any it can see", async () => {
      const future = futureToken((await check(placeAtDe("carol", 1))).body.graphToken);
      const res = await check({ ...placeAtDe("carol", 1), consistency: { atLeast: future } });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe("graph_unavailable");
    });
  });

  describe("POST /v1/check/batch", () => {
    it("answers every check in order", async () => {
      const { status, body } = await t.call("POST", "/v1/check/batch", {
        key: CHECK_KEY,
        body: {
          subject: { id: "carol" },
          org: "ACME-DE",
          checks: [
            { action: "order.place", resource: { type: "order", org: "ACME-DE", buyer: "carol", attributes: { total: 100 } } },
            { action: "user.manage" },
            { action: "order.place", resource: { type: "order", org: "ACME-DE", buyer: "carol", attributes: { total: 900 } } },
          ],
        },
      });
      expect(status).toBe(200);
      expect(body.results.map((r: { decision: string }) => r.decision)).toEqual(["allow", "deny", "approval_required"]);
      expect(body).toHaveProperty("decisionId");
    });

    it("names the position of an unknown action", async () => {
      const res = await t.call("POST", "/v1/check/batch", {
        key: CHECK_KEY,
        body: { subject: { id: "carol" }, org: "ACME-DE", checks: [{ action: "order.view" }, { action: "nope.nope" }] },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: "checks.1.action", message: expect.any(String) }]);
    });

    it("refuses more than 1000 checks", async () => {
      const checks = Array.from({ length: 1001 }, () => ({ action: "order.view" }));
      const res = await t.call("POST", "/v1/check/batch", { key: CHECK_KEY, body: { subject: { id: "carol" }, org: "ACME-DE", checks } });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe("checks");
    });
  });

  describe("POST /v1/permissions", () => {
    it("lists effective roles and permissions with where each comes from", async () => {
      const { body } = await t.call("POST", "/v1/permissions", { key: CHECK_KEY, body: { subject: { id: "alice" }, org: "ACME-DE" } });
      expect(body.roles).toEqual([{ key: "org_admin", from: "ACME", via: "inherited" }]);
      expect(body.permissions).toContainEqual({ code: "order.view", level: 3, from: ["org_admin@ACME"] });
      expect(body.orgStatus).toBe("active");
    });
  });

  describe("POST /v1/permissions/tree", () => {
    it("answers the effective permissions at every org of the subtree, in tree order, one policy decision each", async () => {
      const { status, body } = await t.call("POST", "/v1/permissions/tree", { key: CHECK_KEY, body: { subject: { id: "carol" }, org: "ACME" } });
      expect(status).toBe(200);
      expect(body.orgs.map((o: any) => o.org)).toEqual(["ACME", "ACME-EU", "ACME-DE", "ACME-BER", "ACME-FR", "ACME-US", "ACME-LAB"]);
      const at = (id: string) => body.orgs.find((o: any) => o.org === id);
      expect(at("ACME-DE")).toMatchObject({ parent: "ACME-EU", roles: [{ key: "regional_buyer", from: "ACME-DE", via: "direct" }], orgStatus: "active" });
      expect(at("ACME-BER").roles).toEqual([{ key: "regional_buyer", from: "ACME-DE", via: "inherited" }]);
      expect(at("ACME").roles).toEqual([]);
      expect(at("ACME").reasons.length).toBeGreaterThan(0);
      // Each org's answer is exactly what POST /v1/permissions answers there.
      for (const org of body.orgs) {
        const one = await t.call("POST", "/v1/permissions", { key: CHECK_KEY, body: { subject: { id: "carol" }, org: org.org } });
        const { decisionId: _a, policyRevision: _b, graphToken: _c, ...answer } = one.body;
        const { decisionId: _d, org: _e, parent: _f, ...same } = org;
        expect(same, org.org).toEqual(answer);
      }
      expect(new Set(body.orgs.map((o: any) => o.decisionId)).size).toBe(body.orgs.length);
      expect(body).toMatchObject({ org: "ACME", policyRevision: t.sidecar.engine.revision, graphToken: expect.any(String) });
    });

    it("shows the inheritance cut: alice's org_admin stops at ACME-FR", async () => {
      const { body } = await t.call("POST", "/v1/permissions/tree", { key: CHECK_KEY, body: { subject: { id: "alice" }, org: "ACME-EU" } });
      const at = (id: string) => body.orgs.find((o: any) => o.org === id);
      expect(body.orgs.map((o: any) => o.org)).toEqual(["ACME-EU", "ACME-DE", "ACME-BER", "ACME-FR"]);
      expect(at("ACME-DE").roles).toEqual([{ key: "org_admin", from: "ACME", via: "inherited" }]);
      expect(at("ACME-FR")).toMatchObject({ roles: [], permissions: [] });
    });

    it("answers an unknown org with the policy's refusal, and needs a key", async () => {
      const { status, body } = await t.call("POST", "/v1/permissions/tree", { key: CHECK_KEY, body: { subject: { id: "carol" }, org: "NOPE" } });
      expect(status).toBe(200);
      expect(body.orgs).toHaveLength(1);
      expect(body.orgs[0]).toMatchObject({ org: "NOPE", parent: null, roles: [], permissions: [] });
      expect(body.orgs[0].reasons.map((r: any) => r.code)).toContain("unknown_org");
      expect((await t.call("POST", "/v1/permissions/tree", { key: null, body: { subject: { id: "carol" }, org: "ACME" } })).status).toBe(401);
      expect((await t.call("POST", "/v1/permissions/tree", { key: CHECK_KEY, body: { subject: {}, org: "ACME" } })).status).toBe(400);
    });
  });

  describe("orders", () => {
    it("POST /v1/orders/query gives the scope, a filter and parameterized SQL with the host's column names", async () => {
      const { body } = await t.call("POST", "/v1/orders/query", {
        key: CHECK_KEY,
        body: { subject: { id: "carol" }, org: "ACME-DE", columns: { org: "o.org", buyer: "o.placed_by" } },
      });
      expect(body.kind).toBe("conditional");
      expect(body.scope).toEqual({ orgs: ["ACME-BER", "ACME-DE"], ownOrgs: [] });
      expect(body.sql).toEqual({ where: '"o"."org" = ANY($1)', params: [["ACME-BER", "ACME-DE"]] });
      expect(body.filter).toEqual({ or: [{ field: "org", op: "in", value: ["ACME-BER", "ACME-DE"] }] });
    });

    it("refuses a column name that is not an identifier", async () => {
      const res = await t.call("POST", "/v1/orders/query", {
        key: CHECK_KEY,
        body: { subject: { id: "carol" }, org: "ACME-DE", columns: { org: "org_id; drop table orders" } },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path).toBe("columns.org");
    });

    it("POST /v1/orders/filter keeps exactly the visible orders", async () => {
      const orders = [
        { id: "o1", org: "ACME", buyer: "alice" },
        { id: "o3", org: "ACME-DE", buyer: "carol" },
        { id: "o4", org: "ACME-DE", buyer: "erin" },
        { id: "o6", org: "ACME-BER", buyer: "carol" },
        { id: "o9", org: "GLOBEX", buyer: "frank" },
      ];
      const own = await t.call("POST", "/v1/orders/filter", { key: CHECK_KEY, body: { subject: { id: "dave" }, org: "ACME-BER", orders } });
      expect(own.body.visible).toEqual([]);
      const regional = await t.call("POST", "/v1/orders/filter", { key: CHECK_KEY, body: { subject: { id: "carol" }, org: "ACME-DE", orders } });
      expect(regional.body.visible).toEqual(["o3", "o4", "o6"]);
    });
  });
});

describe("POST /v1/data/{path} (OPA Data API)", () => {
  it("gives an unmodified OPA client the same answer as /v1/check", async () => {
    const client = new OPAClient(t.sidecar.url, { headers: { authorization: `Bearer ${CHECK_KEY}` } });
    const input = placeAtDe("carol", 800);
    const viaOpa = await client.evaluate<typeof input, Record<string, unknown>>("b2b/check/decision", input);
    const { body } = await check(input);
    const { decisionId: _d, policyRevision: _p, graphToken: _g, ...native } = body;
    expect(viaOpa).toEqual(native);
  });

  it("answers 404 for a path that is not an entrypoint", async () => {
    const res = await t.call("POST", "/v1/data/b2b/grants/entries", { key: CHECK_KEY, body: { input: { subject: { id: "a" }, org: "b" } } });
    expect(res.status).toBe(404);
  });
});

describe("management", () => {
  it("lets staff create a company with its first admin, who then manages users without staff (AI Commerce Cloud)", async () => {
    const created = await t.call("POST", "/v1/orgs", { actor: staff, body: { id: "HOOLI", name: "Hooli" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: "HOOLI", parent: null, status: "active", graphToken: expect.any(String) });
    expect((await t.call("PUT", "/v1/users/gavin", { actor: staff, body: { email: "gavin@hooli.test" } })).status).toBe(201);
    expect((await t.call("PUT", "/v1/users/jared", { actor: staff, body: { email: "jared@hooli.test" } })).status).toBe(201);
    const first = await t.call("PUT", "/v1/orgs/HOOLI/members/gavin", { actor: staff, body: { roles: ["org_admin"] } });
    expect(first.status).toBe(201);

    const added = await t.call("PUT", "/v1/orgs/HOOLI/members/jared", { actor: "user:gavin", body: { roles: ["buyer"] } });
    expect(added.status).toBe(201);
    const decision = await check({
      subject: { id: "jared" },
      org: "HOOLI",
      action: "order.place",
      consistency: { atLeast: added.body.graphToken },
    });
    expect(decision.body.allow).toBe(true);
  });

  it("starts an org created by a buyer inactive and makes its creator its admin (commercetools)", async () => {
    const created = await t.call("POST", "/v1/orgs", { actor: "user:alice", body: { id: "ACME-NEW", name: "New unit", parent: "ACME-US", status: "active" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: "ACME-NEW", parent: "ACME-US", status: "inactive" });
    const members = await t.call("GET", "/v1/orgs/ACME-NEW/members", { actor: staff });
    expect(members.body.members).toEqual([expect.objectContaining({ user: "alice", org: "ACME-NEW", roles: ["org_admin"] })]);
    const refused = await t.call("POST", "/v1/orgs", { actor: "user:carol", body: { id: "ACME-NOPE", name: "No", parent: "ACME-DE" } });
    expect(refused.status).toBe(403);
  });

  it("refuses a buyer managing members (403 with the policy's reasons)", async () => {
    const res = await t.call("PUT", "/v1/orgs/ACME-DE/members/gina", { actor: "user:carol", body: { roles: ["viewer"] } });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
    expect(res.body.error.details.length).toBeGreaterThan(0);
  });

  it("refuses privilege escalation: an admin may not assign a role with more than it holds", async () => {
    await t.call("PUT", "/v1/orgs/ACME-DE/members/erin", { actor: staff, body: { roles: ["bc_admin"] } });
    const res = await t.call("PUT", "/v1/orgs/ACME-DE/members/gina", { actor: "user:erin", body: { roles: ["org_admin"] } });
    expect(res.status).toBe(403);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain("escalation");
  });

  it("makes a removed membership stop working at once for a decision carrying the token (read-your-writes)", async () => {
    const before = await check(placeAtDe("erin", 10));
    expect(before.body.allow).toBe(true);
    const removed = await t.call("DELETE", "/v1/orgs/ACME-DE/members/erin", { actor: staff });
    expect(removed.status).toBe(200);
    const after = await check({ ...placeAtDe("erin", 10), consistency: { atLeast: removed.body.graphToken } });
    expect(after.body).toMatchObject({ decision: "deny", allow: false });
  });

  it("refuses a cycle with 409 and a tree deeper than the limit with 422", async () => {
    const cycle = await t.call("PATCH", "/v1/orgs/ACME", { actor: staff, body: { parent: "ACME-BER" } });
    expect(cycle.status).toBe(409);
    expect(cycle.body.error.code).toBe("conflict");
    await t.call("POST", "/v1/orgs", { actor: staff, body: { id: "ACME-BER-1", name: "L5", parent: "ACME-BER" } });
    const tooDeep = await t.call("POST", "/v1/orgs", { actor: staff, body: { id: "ACME-BER-2", name: "L6", parent: "ACME-BER-1" } });
    expect(tooDeep.status).toBe(422);
    expect(tooDeep.body.error.code).toBe("unprocessable");
  });

  it("requires the X-Actor header and the admin scope", async () => {
    const noActor = await t.call("GET", "/v1/orgs/ACME");
    expect(noActor.status).toBe(400);
    expect(noActor.body.error.details[0].path).toBe("headers.x-actor");
    const checkKey = await t.call("GET", "/v1/orgs/ACME", { actor: staff, key: CHECK_KEY });
    expect(checkKey.status).toBe(403);
    // Under a management path, a caller without the admin key learns nothing more, not even which routes exist.
    expect((await t.call("GET", "/v1/orgs", { actor: staff, key: CHECK_KEY })).status).toBe(403);
    expect((await t.call("DELETE", "/v1/import/x", { actor: staff, key: null })).status).toBe(401);
  });

  it("reads orgs, trees, members and users", async () => {
    expect((await t.call("GET", "/v1/orgs/ACME-DE", { actor: "user:alice" })).body).toMatchObject({ id: "ACME-DE", parent: "ACME-EU" });
    const tree = await t.call("GET", "/v1/orgs/ACME-EU/tree", { actor: staff });
    expect(tree.body.tree.children.map((c: { id: string }) => c.id).sort()).toEqual(["ACME-DE", "ACME-FR"]);
    const members = await t.call("GET", "/v1/orgs/ACME-DE/members", { actor: "user:alice" });
    expect(members.body.members.map((m: { user: string }) => m.user)).toContain("carol");
    const frank = await t.call("GET", "/v1/users/frank", { actor: staff });
    expect(frank.body.memberships.map((m: { org: string }) => m.org).sort()).toEqual(["ACME-US", "GLOBEX"]);
    const unknown = await t.call("GET", "/v1/orgs/NOPE", { actor: staff });
    expect(unknown.status).toBe(404);
  });

  it("lists built-in and custom roles, and refuses a role at a level the catalog does not support (422)", async () => {
    const roles = await t.call("GET", "/v1/roles", { actor: staff });
    const keys = roles.body.roles.map((r: { key: string; source: string }) => `${r.key}:${r.source}`);
    expect(keys).toEqual(expect.arrayContaining(["org_admin:builtin", "requester:custom"]));
    const bad = await t.call("PUT", "/v1/roles/greedy", {
      actor: staff,
      body: { name: "Greedy", permissions: [{ code: "order.place", level: 1 }] },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details[0].path).toMatch(/^\(body\)\.permissions/);
  });

  it("refuses a role change by a buyer (staff only)", async () => {
    const res = await t.call("PUT", "/v1/roles/mine", { actor: "user:alice", body: { name: "Mine", permissions: [] } });
    expect(res.status).toBe(403);
  });
});

describe("import and export", () => {
  it("lists every error with its path and writes nothing", async () => {
    const res = await t.call("POST", "/v1/import", {
      actor: staff,
      body: {
        orgs: [{ id: "ZED", name: "Zed", parent: "NOWHERE" }],
        memberships: [{ user: "ghost", org: "ZED", roles: ["buyer"] }],
      },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body.error.details.length).toBeGreaterThanOrEqual(2);
    expect((await t.call("GET", "/v1/orgs/ZED", { actor: staff })).status).toBe(404);
  });

  it("exports a tree in the import shape", async () => {
    const res = await t.call("GET", "/v1/export?tree=GLOBEX", { actor: staff });
    expect(res.status).toBe(200);
    expect(res.body.orgs.map((o: { id: string }) => o.id).sort()).toEqual(["GLOBEX", "GLOBEX-OPS"]);
    expect(res.body.memberships).toContainEqual(expect.objectContaining({ user: "frank", org: "GLOBEX" }));
  });

  it("lists the companies to staff only, as the export is", async () => {
    const res = await t.call("GET", "/v1/trees", { actor: staff });
    expect(res.status).toBe(200);
    expect(res.body.trees).toContainEqual({ root: "GLOBEX", name: "Globex GmbH", size: 2 });
    expect(res.body.trees.map((tree: { root: string }) => tree.root)).toEqual(expect.arrayContaining(["GLOBEX", "INITECH"]));
    expect((await t.call("GET", "/v1/trees", { actor: "user:alice" })).status).toBe(403);
    expect((await t.call("GET", "/v1/trees", { actor: staff, key: CHECK_KEY })).status).toBe(403);
    expect((await t.call("GET", "/v1/trees", {})).status).toBe(400);
  });
});

describe("operations", () => {
  it("GET /health and /health/ready need no key", async () => {
    expect((await t.call("GET", "/health", { key: null })).body).toEqual({ status: "ok" });
    const ready = await t.call("GET", "/health/ready", { key: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", policy: { ready: true }, graph: { ready: true } });
  });

  it("GET /v1/status needs a key and reports policy, store and cache", async () => {
    expect((await t.call("GET", "/v1/status", { key: null })).status).toBe(401);
    const { body } = await t.call("GET", "/v1/status", { key: CHECK_KEY });
    expect(body.policy).toMatchObject({ revision: t.sidecar.engine.revision, source: expect.any(String), activatedAt: expect.any(String) });
    expect(body.graph).toMatchObject({ store: "postgres", reachable: true, redis: { configured: true } });
  });

  it("GET /metrics exposes decisions, latency, cache and reload metrics", async () => {
    const { status, body } = await t.call("GET", "/metrics", { key: null });
    expect(status).toBe(200);
    for (const name of ["b2b_authz_decisions_total", "b2b_authz_decision_duration_seconds", "b2b_authz_graph_cache_lookups_total"]) {
      expect(body).toContain(name);
    }
  });

  it("GET /openapi.json describes every endpoint from the validating schemas", async () => {
    const { body } = await t.call("GET", "/openapi.json", { key: null });
    expect(body.openapi).toBe("3.0.3");
    for (const path of ["/v1/check", "/v1/check/batch", "/v1/permissions", "/v1/permissions/tree", "/v1/orders/query", "/v1/orders/filter", "/v1/data/{path}", "/v1/orgs", "/v1/trees", "/v1/orgs/{id}/members/{userId}", "/v1/import", "/v1/export", "/health/ready"]) {
      expect(Object.keys(body.paths)).toContain(path);
    }
    expect(body.paths["/v1/check"].post.requestBody.content["application/json"].schema.required).toEqual(
      expect.arrayContaining(["subject", "org", "action"]),
    );
  });

  it("answers 404 in the error shape for an unknown route", async () => {
    const res = await t.call("GET", "/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("not_found");
  });

  it("keeps the admin key able to decide too", async () => {
    expect((await check(placeAtDe("carol", 1), ADMIN_KEY)).status).toBe(200);
  });
});
