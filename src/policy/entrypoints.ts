import { z } from "zod";
import type { ErrorCode } from "../errors.ts";
import type { EntrypointPath } from "./entrypoints.generated.ts";
import { adminErrorClasses } from "../model/policy-data.generated.ts";

/**
 * The compiled entrypoints and the shape of what each returns. The engine checks every result against these
 * schemas, so a policy that answers something else fails closed instead of reaching a caller. The paths are the
 * policy's `entrypoint: true` annotations, as the built bundle lists them (entrypoints.generated.ts): a path the
 * bundle does not compile, or a compiled one without a name and schema here, fails the typecheck.
 */
const reason = z.looseObject({ code: z.string().min(1), message: z.string() });
export type Reason = z.infer<typeof reason>;

export const decisionSchema = z
  .looseObject({
    decision: z.enum(["allow", "deny", "approval_required"]),
    allow: z.boolean(),
    reasons: z.array(reason),
    approvers: z.looseObject({ org: z.string(), permission: z.string() }).optional(),
  })
  .refine((d) => d.allow === (d.decision === "allow"), { message: "allow must be true exactly when decision is allow" });
export type Decision = z.infer<typeof decisionSchema>;

export const orderScopeSchema = z.looseObject({
  kind: z.enum(["always_denied", "conditional", "always_allowed"]),
  scope: z.object({ orgs: z.array(z.string()), ownOrgs: z.array(z.string()) }),
  reasons: z.array(reason).default([]),
});
export type OrderScope = z.infer<typeof orderScopeSchema>;

export const effectivePermissionsSchema = z.looseObject({
  roles: z.array(z.looseObject({ key: z.string(), from: z.string(), via: z.string() })),
  permissions: z.array(z.looseObject({ code: z.string(), level: z.number().int(), from: z.array(z.string()) })),
  orgStatus: z.string().nullable().optional(),
  reasons: z.array(reason).default([]),
});
export type EffectivePermissions = z.infer<typeof effectivePermissionsSchema>;


export const adminDecisionSchema = z
  .looseObject({
    decision: z.enum(["allow", "deny"]),
    allow: z.boolean(),
    reasons: z.array(reason),
    effects: z.record(z.string(), z.unknown()).optional(),
    /** On deny: how the refusal is reported (the AuthzError code), decided by the policy. */
    error: z.enum(adminErrorClasses).optional(),
  })
  .refine((d) => d.allow === (d.decision === "allow"), { message: "allow must be true exactly when decision is allow" })
  .refine((d) => d.allow || d.error !== undefined, { message: "a deny must name its error class" });

/** Every error class of the policy's catalog is an error code of the sidecar (else this names the class as a type error). */
type NotACode = Exclude<(typeof adminErrorClasses)[number], ErrorCode>;
export const everyAdminErrorClassACode: [NotACode] extends [never] ? true : NotACode = true;
export type AdminDecision = z.infer<typeof adminDecisionSchema>;

export const roleValidationSchema = z.looseObject({
  valid: z.boolean(),
  errors: z.array(z.looseObject({ field: z.string(), code: z.string(), message: z.string() })),
  role: z.record(z.string(), z.unknown()).optional(),
});
export type RoleValidation = z.infer<typeof roleValidationSchema>;

export const treeLimitsSchema = z.looseObject({ reasons: z.array(reason) });
export type TreeLimits = z.infer<typeof treeLimitsSchema>;

export const entrypoints = {
  check: { path: "b2b/check/decision", result: decisionSchema },
  batch: { path: "b2b/batch/results", result: z.array(decisionSchema) },
  orderScope: { path: "b2b/orders/scope", result: orderScopeSchema },
  permissions: { path: "b2b/permissions/effective", result: effectivePermissionsSchema },
  admin: { path: "b2b/admin/decision", result: adminDecisionSchema },
  roleValidation: { path: "b2b/roles/validation", result: roleValidationSchema },
  treeLimits: { path: "b2b/trees/limits", result: treeLimitsSchema },
} as const satisfies Record<string, { path: EntrypointPath; result: z.ZodType }>;

export type EntrypointName = keyof typeof entrypoints;

/** Every compiled entrypoint is named above (else this names the missing path as a type error). */
type Unnamed = Exclude<EntrypointPath, (typeof entrypoints)[EntrypointName]["path"]>;
export const everyEntrypointNamed: [Unnamed] extends [never] ? true : Unnamed = true;
export type EntrypointResult<E extends EntrypointName> = z.infer<(typeof entrypoints)[E]["result"]>;
