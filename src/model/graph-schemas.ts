import { z } from "zod";
import { limitPeriods, orgStatuses } from "./policy-data.generated.ts";
import { key, text } from "../validation.ts";

/**
 * The org graph's shapes at the edges (import document, write bodies, what reads return), as zod schemas the
 * HTTP layer reuses for validation and OpenAPI. Types are derived from them. Defaults are those README's API section documents.
 */

export const graphId = key().min(1).max(256).meta({ description: "The host's shared id." });

export const orgStatusSchema = z
  .enum(orgStatuses)
  .meta({ description: "What buyers acting in the org may do (the policy's status gates)." });
export const userStatusSchema = z.enum(["active", "disabled"]);
export const overLimitSchema = z
  .enum(["approval", "deny"])
  .meta({ description: "Top-level orgs: what happens when a checkout limit is exceeded." });
export const attributesSchema = z.record(z.string(), z.unknown()).meta({ description: "Custom attributes." });

export const limitsSchema = z
  .object({
    maxOrderTotal: z.number().nonnegative().optional(),
    periodBudget: z
      .object({ amount: z.number().nonnegative(), period: z.enum(limitPeriods) })
      .optional(),
  })
  .meta({ description: "Checkout limits; a membership's override its roles'." });
export type Limits = z.infer<typeof limitsSchema>;

export const permissionSchema = z.object({
  code: text().min(1).max(128),
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]),
});

/** Role keys name entries of the slice's and the policy's role maps (see `key`). */
export const roleKeySchema = key().min(1).max(128);
const roleKey = roleKeySchema;

const roleFields = {
  name: text().min(1).max(256),
  permissions: z.array(permissionSchema).max(200).default([]),
  assignableByBuyers: z.boolean().default(false),
  limits: limitsSchema.optional(),
  checkout: z.enum(["direct", "approval"]).default("direct"),
};

export const roleSchema = z.object({ key: roleKey, ...roleFields }).meta({ id: "Role" });
export type Role = z.infer<typeof roleSchema>;
/** `PUT /v1/roles/{key}`: the key comes from the path. */
export const putRoleBodySchema = z.object(roleFields);
export type PutRoleBody = z.infer<typeof putRoleBodySchema>;

const orgFields = {
  name: text().min(1).max(512),
  parent: graphId.nullable().default(null).meta({ description: "null for a top-level company." }),
  status: orgStatusSchema.default("active"),
  inheritRoles: z.boolean().default(true).meta({ description: "Accept roles cascading from ancestors." }),
  attributes: attributesSchema.default({}),
  overLimit: overLimitSchema.optional(),
};

export const orgInputSchema = z.object({ id: graphId, ...orgFields }).meta({ id: "OrgInput" });
export type OrgInput = z.infer<typeof orgInputSchema>;
/** `POST /v1/orgs`. */
export const createOrgBodySchema = orgInputSchema;
export type CreateOrgBody = z.infer<typeof createOrgBodySchema>;

/** `PATCH /v1/orgs/{id}`: any of these; `parent` re-parents (null: becomes top-level). */
export const updateOrgBodySchema = z
  .object({
    name: orgFields.name,
    status: orgStatusSchema,
    parent: graphId.nullable(),
    inheritRoles: z.boolean(),
    attributes: attributesSchema,
    overLimit: overLimitSchema,
  })
  .partial()
  .refine((patch) => Object.keys(patch).length > 0, { message: "nothing to change" });
export type UpdateOrgBody = z.infer<typeof updateOrgBodySchema>;

export const userInputSchema = z
  .object({ id: graphId, email: z.email().max(320).nullable().optional(), status: userStatusSchema.default("active") })
  .meta({ id: "UserInput" });
export type UserInput = z.infer<typeof userInputSchema>;
/** `PUT /v1/users/{id}`. */
export const putUserBodySchema = userInputSchema.omit({ id: true });
export type PutUserBody = z.infer<typeof putUserBodySchema>;

const membershipFields = {
  roles: z.array(roleKey).min(1).max(5).meta({ description: "1 to 5 role keys." }),
  inheritable: z.boolean().default(true).meta({ description: "Does the assignment cascade to descendants." }),
  limits: limitsSchema.nullable().optional(),
};
export const membershipInputSchema = z
  .object({ user: graphId, org: graphId, ...membershipFields })
  .meta({ id: "MembershipInput" });
export type MembershipInput = z.infer<typeof membershipInputSchema>;
/** `PUT /v1/orgs/{id}/members/{userId}`. */
export const putMembershipBodySchema = z.object(membershipFields);
export type PutMembershipBody = z.infer<typeof putMembershipBodySchema>;

export const staffInputSchema = z
  .object({ id: graphId, roles: z.array(roleKey).min(1).max(20) })
  .meta({ id: "StaffInput" });
export type StaffInput = z.infer<typeof staffInputSchema>;

/** `POST /v1/import` and what `GET /v1/export` returns. */
export const importDocumentSchema = z
  .object({
    roles: z.array(roleSchema).max(10_000).default([]),
    orgs: z.array(orgInputSchema).max(200_000).default([]),
    users: z.array(userInputSchema).max(1_000_000).default([]),
    memberships: z.array(membershipInputSchema).max(2_000_000).default([]),
    staff: z.array(staffInputSchema).max(10_000).default([]),
  })
  .meta({ id: "GraphDocument" });
export type ImportDocument = z.infer<typeof importDocumentSchema>;

// What reads and writes return.

export interface OrgRecord {
  id: string;
  name: string;
  parent: string | null;
  status: z.infer<typeof orgStatusSchema>;
  inheritRoles: boolean;
  attributes: Record<string, unknown>;
  /** Top-level orgs only. */
  overLimit?: z.infer<typeof overLimitSchema>;
  /** Ancestors from the tree root down to this org. */
  path: string[];
}

export interface TreeNode extends OrgRecord {
  children: TreeNode[];
}

export interface UserRecord {
  id: string;
  email: string | null;
  status: z.infer<typeof userStatusSchema>;
}

export interface MembershipRecord {
  user: string;
  org: string;
  roles: string[];
  inheritable: boolean;
  limits?: Limits;
}

export interface StaffRecord {
  id: string;
  roles: string[];
}

export type RoleRecord = Role;
