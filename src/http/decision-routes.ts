import { z } from "zod";
import {
  batchRequestSchema,
  batchResponseSchema,
  checkRequestSchema,
  compileRequestSchema,
  decisionResponseSchema,
  ordersFilterRequestSchema,
  ordersQueryRequestSchema,
  permissionsRequestSchema,
} from "../decisions/decision-schemas.ts";
import type { CompileAnswer, DecisionService } from "../decisions/decision-service.ts";
import { compileMediaTypes, MULTITARGET_MEDIA_TYPE, targetsOf, type CompiledFilter } from "../decisions/compile-targets.ts";
import { orderFilterSchema } from "../decisions/order-filter.ts";
import { defineRoute, type Route } from "./route.ts";

const stamp = { decisionId: z.string(), policyRevision: z.string(), graphToken: z.string() };
const reasonsSchema = z.array(z.looseObject({ code: z.string(), message: z.string() }));
const scopeSchema = z.object({ orgs: z.array(z.string()), ownOrgs: z.array(z.string()) });
/** The answer of b2b/permissions/effective (policies/b2b/permissions). */
const effectiveSchema = z.looseObject({
  roles: z.array(z.object({ key: z.string(), from: z.string(), via: z.string() })),
  permissions: z.array(z.object({ code: z.string(), level: z.number(), from: z.array(z.string()) })),
  orgStatus: z.string().nullable().optional(),
  gated: z.array(z.string()).optional(),
  reasons: reasonsSchema,
});
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

const compiledSchema = z.object({ query: z.union([z.string(), z.record(z.string(), z.unknown())]) });
const compileStamp = { decision_id: z.string(), policyRevision: z.string(), graphToken: z.string() };

/**
 * OPA's compile answer: `result` is one target's `{query}`, or the multitarget's `{ucast, postgresql, sqlite}`; a
 * target whose filter is never true has no result (OPA's "always denied"). The stamp is ours, as in the Data API.
 */
function compileResponse(answer: CompileAnswer, multi: boolean) {
  const stamp = { decision_id: answer.stamp.decisionId, policyRevision: answer.stamp.policyRevision, graphToken: answer.stamp.graphToken };
  if (!multi) {
    const filter = answer.filters[0]?.filter;
    return { ...(filter ? { result: filter } : {}), ...stamp };
  }
  const result: Record<string, NonNullable<CompiledFilter>> = {};
  for (const { target, filter } of answer.filters) {
    // One UCAST representation serves every UCAST dialect asked for; the first one asked for wins, as in OPA.
    const key = target.target === "ucast" ? "ucast" : target.dialect;
    if (filter && !(key in result)) result[key] = filter;
  }
  return { result, ...stamp };
}

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
      response: effectiveSchema.extend(stamp),
      handler: async ({ body }) => ({ body: await decisions.permissions(body) }),
    }),
    defineRoute({
      ...decision,
      path: "/v1/permissions/tree",
      summary: "Effective roles and permissions at an org and at every org below it, in tree order (one policy decision per org)",
      request: permissionsRequestSchema,
      response: z.object({
        org: z.string(),
        orgs: z.array(effectiveSchema.extend({ org: z.string(), parent: z.string().nullable(), decisionId: z.string() })),
        policyRevision: z.string(),
        graphToken: z.string(),
      }),
      handler: async ({ body }) => ({ body: await decisions.permissionsTree(body) }),
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
      path: "/v1/compile/{path}",
      summary:
        "OPA's extended Compile API for order visibility (b2b/orders/scope): the visible-orders filter as UCAST or SQL, chosen by Accept",
      scope: "check",
      bodyRequired: true,
      headers: [{ name: "Accept", description: compileMediaTypes.join(", "), required: true }],
      request: compileRequestSchema,
      response: z.object({
        result: z.union([compiledSchema, z.record(z.string(), compiledSchema)]).optional(),
        ...compileStamp,
      }),
      responseTypes: compileMediaTypes,
      handler: async ({ body, params, req }) => {
        const accept = req.headers.accept;
        const targets = targetsOf(accept, body.options.targetDialects);
        const answer = await decisions.compile(params.path ?? "", body, targets);
        return { body: compileResponse(answer, accept?.trim() === MULTITARGET_MEDIA_TYPE), contentType: accept?.trim() ?? "" };
      },
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
