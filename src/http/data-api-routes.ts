import { Router } from "express";
import type { DecisionService } from "../decisions/decision-service.ts";
import type { ApiKeys } from "./api-keys.ts";

/**
 * POST /v1/data/{path}: OPA's Data API over the compiled entrypoints, so unmodified OPA clients work.
 * (The native decision endpoints are served by decision-fast-path.ts in front of express.)
 */
export function dataApiRoutes(decisions: DecisionService, keys: ApiKeys): Router {
  const router = Router();
  router.post("/data/*path", keys.require("check"), (req, res, next) => {
    const segments = (req.params as { path?: string[] }).path ?? [];
    const body = req.body as { input?: unknown } | undefined;
    decisions.data(segments.join("/"), body?.input).then((answer) => res.json(answer), next);
  });
  return router;
}
