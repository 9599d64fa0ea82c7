import { z } from "zod";
import {
  batchRequestSchema,
  batchResponseSchema,
  checkRequestSchema,
  decisionResponseSchema,
  ordersFilterRequestSchema,
  ordersQueryRequestSchema,
  permissionsRequestSchema,
} from "../decisions/decision-schemas.ts";
import type { DecisionService } from "../decisions/decision-service.ts";
import { orderFilterSchema } from "../decisions/order-filter.ts";
import { defineRoute, type Route } from "./route.ts";

const stamp = { decisionId: z.string(), policyRevision: z.string(), graphToken: z.string() };
const reasonsSchema = z.array(z.looseObject({ code: z.string(), message: z.string() }));
const scopeSchema = z.object({ orgs: z.array(z.string()), ownOrgs: z.array(z.string()) });
const orderKindSchema = z.enum(["always_denied", "conditional", "always_allowed"]);

/**
 * The Data API's body. Which input it holds depends on the path, so the decision service validates `input` with
 * that entrypoint's schema (errors name `input.<field>`); anything that is not an object carries no input.
 */
const dataRequestSchema = z
  .object({
    input: z.unknown().meta({
      type: "object",
      description: "The entrypoint's input without the graph: subject, org, action, resource, checks...",
    }),
  })
  .optional()
  .catch(undefined);

/**
 * The decision endpoints, the hot path of every storefront request (served by the node:http fast path), and OPA's
 * Data API over the compiled entrypoints, so unmodified OPA clients work.
 */
export function decisionRoutes(decisions: DecisionService): Route[] {
  const decision = { method: "post", scope: "check", fastPath: true, bodyRequired: true } as const;
  return [
    defineRoute({
      ...decision,
      path: "/v1/check",
      summary: "One decision",
      request: checkRequestSchema,
      response: decisionResponseSchema,
      handler: async ({ body }) => ({ body: await decisions.check(body) }),
    }),
    defineRoute({
      ...decision,
      path: "/v1/check/batch",
      summary: "Up to 1000 decisions for one subject and org",
      request: batchRequestSchema,
      response: batchResponseSchema,
      handler: async ({ body }) => ({ body: await decisions.batch(body) }),
    }),
    defineRoute({
      ...decision,
      path: "/v1/permissions",
      summary: "Effective roles and permissions in an org, with where each comes from",
      request: permissionsRequestSchema,
      response: z.looseObject({
        roles: z.array(z.object({ key: z.string(), from: z.string(), via: z.string() })),
        permissions: z.array(z.object({ code: z.string(), level: z.number(), from: z.array(z.string()) })),
        orgStatus: z.string().nullable().optional(),
        reasons: reasonsSchema,
        ...stamp,
      }),
      handler: async ({ body }) => ({ body: await decisions.permissions(body) }),
    }),
    defineRoute({
      ...decision,
      path: "/v1/orders/query",
      summary: "Which orders the subject may list, as a filter AST and parameterized SQL",
      request: ordersQueryRequestSchema,
      response: z.object({
        kind: orderKindSchema,
        scope: scopeSchema,
        reasons: reasonsSchema,
        filter: orderFilterSchema,
        sql: z.object({ where: z.string(), params: z.array(z.union([z.string(), z.array(z.string())])) }),
        ...stamp,
      }),
      handler: async ({ body }) => ({ body: await decisions.ordersQuery(body) }),
    }),
    defineRoute({
      ...decision,
      path: "/v1/orders/filter",
      summary: "Keep the orders the subject may see (up to 10000)",
      request: ordersFilterRequestSchema,
      response: z.object({ visible: z.array(z.string()), kind: orderKindSchema, ...stamp }),
      handler: async ({ body }) => ({ body: await decisions.ordersFilter(body) }),
    }),
    defineRoute({
      method: "post",
      path: "/v1/data/{path}",
      summary: "OPA Data API over the compiled entrypoints (b2b/check/decision, b2b/batch/results, b2b/orders/scope, b2b/permissions/effective)",
      scope: "check",
      request: dataRequestSchema,
      response: z.object({ result: z.unknown(), decision_id: z.string(), policyRevision: z.string(), graphToken: z.string() }),
      handler: async ({ body, params }) => ({ body: await decisions.data(params.path ?? "", body?.input) }),
    }),
  ];
}
