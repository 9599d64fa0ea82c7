import { z } from "zod";
import { key, text } from "../validation.ts";
import { targetDialectNames, unknownPattern } from "./compile-targets.ts";
import { qualifiedNamePattern } from "./order-filter.ts";

/**
 * Request and response schemas of the decision endpoints (README, API). They validate requests at the edge
 * and generate /openapi.json, so the contract and the checks cannot drift apart.
 */
/** Ids name orgs, users and resources; the store holds none that is a prototype name (validation.ts, key). */
const id = key().min(1).max(256);

export const subjectSchema = z
  .object({ id, kind: z.enum(["user", "staff"]).default("user") })
  .meta({ description: 'A user ({"id": "alice"}) or a staff member ({"id": "ops-1", "kind": "staff"}).' });
export type Subject = z.infer<typeof subjectSchema>;

export const resourceSchema = z
  .object({
    type: text().min(1).max(64),
    id: id.optional(),
    org: id.optional().meta({ description: "The org the resource belongs to; the status gate applies there." }),
    buyer: id.optional().meta({ description: "Who placed the order (level 1: own resources)." }),
    owner: id.optional().meta({ description: "Owner of a non-order resource (level 1)." }),
    attributes: z
      .looseObject({
        total: z.number().nonnegative().optional(),
        currency: z.string().max(8).optional(),
        spentInPeriod: z.number().nonnegative().optional(),
      })
      .optional(),
  })
  .meta({ description: "The resource acted on; omit to ask whether the subject may do the action in the org at all." });
export type Resource = z.infer<typeof resourceSchema>;

export const actionSchema = text()
  .min(1)
  .max(128)
  .meta({ description: "A permission code (order.place) or a BigCommerce alias (purchase_enable)." });

export const consistencySchema = z
  .object({ atLeast: z.string().min(1).max(64 * 1024) })
  .meta({ description: "Answer from org graph data at least as new as this graphToken (read-your-writes)." });

const actingIn = { subject: subjectSchema, org: id.meta({ description: "The org the subject acts in." }) };

export const checkRequestSchema = z.object({
  ...actingIn,
  action: actionSchema,
  resource: resourceSchema.optional(),
  consistency: consistencySchema.optional(),
});
export type CheckRequest = z.infer<typeof checkRequestSchema>;

export const MAX_BATCH_CHECKS = 1000;
export const batchRequestSchema = z.object({
  ...actingIn,
  checks: z.array(z.object({ action: actionSchema, resource: resourceSchema.optional() })).min(1).max(MAX_BATCH_CHECKS),
  consistency: consistencySchema.optional(),
});
export type BatchRequest = z.infer<typeof batchRequestSchema>;

export const permissionsRequestSchema = z.object({ ...actingIn, consistency: consistencySchema.optional() });
export type PermissionsRequest = z.infer<typeof permissionsRequestSchema>;

/**
 * A SQL column reference: an identifier, optionally table-qualified, of at most 63 characters a part (PostgreSQL's
 * limit). Quoted when used (src/decisions/order-filter.ts), so case is kept and a keyword is a column name.
 */
const column = z
  .string()
  .regex(qualifiedNamePattern, "must be a column name like org_id or o.org_id");

export const ordersQueryRequestSchema = z.object({
  ...actingIn,
  columns: z.object({ org: column.default("org_id"), buyer: column.default("buyer_id") }).default({ org: "org_id", buyer: "buyer_id" }),
  consistency: consistencySchema.optional(),
});
export type OrdersQueryRequest = z.infer<typeof ordersQueryRequestSchema>;

export const MAX_FILTER_ORDERS = 10_000;
export const ordersFilterRequestSchema = z.object({
  ...actingIn,
  orders: z.array(z.object({ id, org: id, buyer: id.optional() })).max(MAX_FILTER_ORDERS),
  consistency: consistencySchema.optional(),
});
export type OrdersFilterRequest = z.infer<typeof ordersFilterRequestSchema>;

const reasonSchema = z.looseObject({ code: z.string(), message: z.string() });

export const decisionResponseSchema = z.object({
  decision: z.enum(["allow", "deny", "approval_required"]),
  allow: z.boolean(),
  reasons: z.array(reasonSchema),
  approvers: z.object({ org: z.string(), permission: z.string() }).optional(),
  decisionId: z.string(),
  policyRevision: z.string(),
  graphToken: z.string(),
});

export const batchResponseSchema = z.object({
  results: z.array(decisionResponseSchema.omit({ decisionId: true, policyRevision: true, graphToken: true })),
  decisionId: z.string(),
  policyRevision: z.string(),
  graphToken: z.string(),
});

/**
 * OPA's extended Compile API request (`POST /v1/compile/{path}`): `input` is what the Data API's
 * b2b/orders/scope takes (subject, acting org, consistency), `unknowns` names the orders table as a policy would
 * (`["input.orders"]`, the default), `options` as OPA has them. `query` is ignored as OPA ignores it when the path
 * names the rule; `disableInlining` and `maskRule` have nothing to act on (no partial evaluation, no masks).
 */
export const compileRequestSchema = z.object({
  input: permissionsRequestSchema,
  query: z.string().max(4096).optional(),
  unknowns: z
    .array(z.string().regex(unknownPattern, "must be input.<table>, like input.orders"))
    .max(1, "the order filter has one unknown: the orders table")
    .optional(),
  options: z
    .object({
      disableInlining: z.array(z.string().max(4096)).max(100).optional(),
      targetDialects: z.array(z.enum(targetDialectNames)).max(targetDialectNames.length * 2).optional(),
      targetSQLTableMappings: z
        .record(z.string(), z.unknown())
        .optional()
        .meta({ description: 'OPA\'s table and column mappings: {"postgresql": {"orders": {"$self": "o", "org_id": "OrgId"}}}' }),
      maskRule: z.string().max(4096).optional(),
    })
    .default({}),
});
export type CompileRequest = z.infer<typeof compileRequestSchema>;
