import type { DecisionService } from "../decisions/decision-service.ts";
import type { ShadowEvaluation } from "../decisions/shadow-evaluation.ts";
import type { Metrics } from "../metrics.ts";
import type { BundleSourceStatus } from "../policy/bundle-status.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import type { ApiKeys } from "./api-keys.ts";
import { decisionRoutes } from "./decision-routes.ts";
import { managementRoutes, type ManagementStore } from "./management-routes.ts";
import { openApiDocument } from "./openapi.ts";
import { opsRoutes, type GraphHealth } from "./ops-routes.ts";
import type { Route } from "./route.ts";

/**
 * The route table: every route of the API, declared once, in the order of the document. The express routes, the
 * decision fast path (the routes marked `fastPath`) and /openapi.json are all built from it.
 */
export function apiRoutes(options: {
  decisions: DecisionService;
  graph: ManagementStore & GraphHealth;
  engine: PolicyEngine;
  bundleStatus: () => BundleSourceStatus;
  shadow?: ShadowEvaluation | undefined;
  metrics: Metrics;
  keys: ApiKeys;
  startedAt: Date;
  version: string;
}): Route[] {
  let document: ReturnType<typeof openApiDocument> | undefined;
  const routes: Route[] = [
    ...decisionRoutes(options.decisions),
    ...managementRoutes(options),
    ...opsRoutes({ ...options, openapi: () => (document ??= openApiDocument(routes, options.version)) }),
  ];
  return routes;
}
