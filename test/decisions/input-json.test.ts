import { describe, expect, it } from "vitest";
import { policyInputJson } from "../../src/decisions/input-json.ts";

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
