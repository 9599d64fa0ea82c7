import type { EntrypointName } from "./entrypoints.ts";

/**
 * Inputs a new bundle must answer before it replaces the serving one: an unknown user in an unknown org,
 * which every entrypoint must evaluate (in shape) and none may allow.
 */
const unknown = {
  subject: { id: "self-check", kind: "user" },
  org: "self-check",
  graph: { user: null, orgs: {}, memberships: [], roles: {}, tree: null },
} as const;

export const selfCheckInputs: Record<EntrypointName, unknown> = {
  check: { ...unknown, action: "order.view" },
  batch: { ...unknown, checks: [{ action: "order.view" }, { action: "order.place" }] },
  orderScope: unknown,
  permissions: unknown,
  admin: { ...unknown, operation: "membership.put", change: { user: "self-check", roles: ["org_admin"], inheritable: true } },
  roleValidation: {
    role: { key: "self-check", name: "Self check", permissions: [{ code: "order.view", level: 1 }] },
  },
  treeLimits: { trees: [{ root: "self-check", size: 1, height: 1, deepest: "self-check" }] },
};
