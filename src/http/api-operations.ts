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
import type { ApiOperation } from "./openapi.ts";

const stamp = { decisionId: z.string(), policyRevision: z.string(), graphToken: z.string() };
const scopeSchema = z.object({ orgs: z.array(z.string()), ownOrgs: z.array(z.string()) });
const filterSchema = z.record(z.string(), z.unknown()).meta({
  description: 'Filter AST: {"or": [...]}, {"and": [...]}, {"field": "org"|"buyer", "op": "in"|"eq", "value": ...}',
});

/** Every operation of the API, for /openapi.json: decisions and operations here, management from its routes. */
export function apiOperations(management: readonly ApiOperation[]): ApiOperation[] {
  return [
    { method: "post", path: "/v1/check", summary: "One decision", scope: "check", request: checkRequestSchema, response: decisionResponseSchema },
    { method: "post", path: "/v1/check/batch", summary: "Up to 1000 decisions for one subject and org", scope: "check", request: batchRequestSchema, response: batchResponseSchema },
    {
      method: "post",
      path: "/v1/permissions",
      summary: "Effective roles and permissions in an org, with where each comes from",
      scope: "check",
      request: permissionsRequestSchema,
      response: z.looseObject({
        roles: z.array(z.object({ key: z.string(), from: z.string(), via: z.string() })),
        permissions: z.array(z.object({ code: z.string(), level: z.number(), from: z.array(z.string()) })),
        orgStatus: z.string().nullable(),
        ...stamp,
      }),
    },
    {
      method: "post",
      path: "/v1/orders/query",
      summary: "Which orders the subject may list, as a filter AST and parameterized SQL",
      scope: "check",
      request: ordersQueryRequestSchema,
      response: z.object({
        kind: z.enum(["always_denied", "conditional", "always_allowed"]),
        scope: scopeSchema,
        filter: filterSchema,
        sql: z.object({ where: z.string(), params: z.array(z.union([z.string(), z.array(z.string())])) }),
        ...stamp,
      }),
    },
    {
      method: "post",
      path: "/v1/orders/filter",
      summary: "Keep the orders the subject may see (up to 10000)",
      scope: "check",
      request: ordersFilterRequestSchema,
      response: z.object({ visible: z.array(z.string()), ...stamp }),
    },
    {
      method: "post",
      path: "/v1/data/{path}",
      summary: "OPA Data API over the compiled entrypoints (b2b/check/decision, b2b/batch/results, b2b/orders/scope, b2b/permissions/effective)",
      scope: "check",
      request: z.object({ input: z.record(z.string(), z.unknown()) }),
      response: z.object({ result: z.unknown(), decision_id: z.string() }),
    },
    ...management,
    { method: "get", path: "/health", summary: "Process is up", scope: null },
    { method: "get", path: "/health/ready", summary: "Policy loaded and org graph store reachable (503 otherwise, saying which)", scope: null },
    { method: "get", path: "/v1/status", summary: "Policy revision, bundle source, store and cache state, counts", scope: "any" },
    { method: "get", path: "/metrics", summary: "Prometheus metrics", scope: null },
    { method: "get", path: "/openapi.json", summary: "This document", scope: null },
  ];
}
