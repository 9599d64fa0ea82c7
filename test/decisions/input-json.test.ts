import { describe, expect, it } from "vitest";
import { policyInput, policyInputJson } from "../../src/decisions/input-json.ts";
import { deepFreeze } from "../../src/model/deep-frozen.ts";

describe("policyInputJson", () => {
  const orgs = Object.freeze({ ACME: Object.freeze({ parent: null, status: "active", inheritRoles: true, path: ["ACME"] }) });
  const memberships = Object.freeze([Object.freeze({ org: "ACME", roles: ["org_admin"], inheritable: true })]);
  const settings = { maxDepth: 5, maxOrgs: 500 };

  it.each([
    ["a full slice", { user: { id: "alice", status: "active" }, tree: { root: "ACME", size: 1 }, orgs, memberships, roles: {} }],
    ["an unknown subject", { user: null, tree: null, orgs: Object.freeze({}), memberships: Object.freeze([]), roles: {} }],
    ["undefined members", { user: undefined, orgs, memberships, target: undefined }],
    ["an empty graph", {}],
  ])("writes exactly JSON.stringify of the same input for %s", (_what, graph) => {
    const request = { subject: { id: "alice", kind: "user" }, org: "ACME", action: "order.view", resource: { type: "order", org: "ACME" } };
    const text = policyInputJson(request, JSON.stringify(settings), graph);
    expect(text).toBe(JSON.stringify({ ...request, settings, graph }));
  });

  it("reuses the serialized text of a frozen part, and sees a new part when the tree changes", () => {
    const request = { subject: { id: "alice" }, org: "ACME" };
    const first = policyInputJson(request, "{}", { orgs, memberships });
    expect(policyInputJson(request, "{}", { orgs, memberships })).toBe(first);
    const moved = Object.freeze({ ACME: Object.freeze({ parent: null, status: "inactive", inheritRoles: true, path: ["ACME"] }) });
    expect(JSON.parse(policyInputJson(request, "{}", { orgs: moved, memberships })).graph.orgs.ACME.status).toBe("inactive");
  });

  it("handles a request with no fields", () => {
    expect(policyInputJson({}, "{}", {})).toBe('{"settings":{},"graph":{}}');
  });
});

describe("policyInput (memo key and text)", () => {
  // Parts as the cache makes them (src/model/deep-frozen.ts): only these are keyed by identity.
  const orgs = deepFreeze({ ACME: { parent: null, status: "active", inheritRoles: true, path: ["ACME"] } });
  const memberships = deepFreeze([{ org: "ACME", roles: ["org_admin"], inheritable: true }]);
  const request = { subject: { id: "alice", kind: "user" }, org: "ACME", action: "order.view" };

  it("writes the same text as policyInputJson, only when asked", () => {
    const graph = { user: null, orgs, memberships, roles: {} };
    expect(policyInput(request, "{}", graph).json()).toBe(policyInputJson(request, "{}", graph));
  });

  it("keys a part frozen only at the top by its content: a nested change gives a new key", () => {
    const key = (graph: Record<string, unknown>) => policyInput(request, "{}", graph).key;
    const roles = Object.freeze({ requester: { checkout: "approval" } });
    const before = key({ orgs, memberships, roles });
    roles.requester.checkout = "direct";
    expect(key({ orgs, memberships, roles })).not.toBe(before);
    expect(JSON.parse(policyInput(request, "{}", { roles }).json()).graph.roles.requester.checkout).toBe("direct");
  });

  it("keys the same request on the same frozen parts alike, and apart on anything else", () => {
    const key = (req: Record<string, unknown>, graph: Record<string, unknown>, settings = "{}") => policyInput(req, settings, graph).key;
    const base = key(request, { orgs, memberships, roles: {} });
    expect(key({ ...request }, { orgs, memberships, roles: {} })).toBe(base);
    // A new tree version gives new frozen parts, even with the same content: a new key.
    const reloaded = deepFreeze({ ACME: orgs.ACME });
    expect(key(request, { orgs: reloaded, memberships, roles: {} })).not.toBe(base);
    // Parts that are not frozen are keyed by their content.
    expect(key(request, { orgs, memberships, roles: { r: 1 } })).not.toBe(base);
    expect(key(request, { orgs, memberships, roles: {} }, '{"maxDepth":4}')).not.toBe(base);
    expect(key({ ...request, action: "order.place" }, { orgs, memberships, roles: {} })).not.toBe(base);
    // A member's name is part of the key.
    expect(key(request, { orgs, memberships: orgs, roles: {} })).not.toBe(key(request, { memberships, orgs, roles: {} }));
  });
});
