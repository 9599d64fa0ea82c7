import { Router, type NextFunction, type Request, type Response } from "express";
import type { z } from "zod";
import {
  batchRequestSchema,
  checkRequestSchema,
  ordersFilterRequestSchema,
  ordersQueryRequestSchema,
  permissionsRequestSchema,
} from "../decisions/decision-schemas.ts";
import type { DecisionService } from "../decisions/decision-service.ts";
import { parseOrThrow } from "../validation.ts";
import type { ApiKeys } from "./api-keys.ts";

/** Wraps a handler that parses the body with `schema` and answers JSON; errors go to the error handler. */
function jsonRoute<S extends z.ZodType>(schema: S, handle: (body: z.infer<S>, req: Request) => Promise<unknown>) {
  return (req: Request, res: Response, next: NextFunction) => {
    let body: z.infer<S>;
    try {
      body = parseOrThrow(schema, req.body);
    } catch (error) {
      next(error);
      return;
    }
    handle(body, req).then((answer) => res.json(answer), next);
  };
}

/** POST /v1/check, /v1/check/batch, /v1/permissions, /v1/orders/query, /v1/orders/filter, /v1/data/{path}. */
export function decisionRoutes(decisions: DecisionService, keys: ApiKeys): Router {
  const router = Router();
  router.use(["/check", "/permissions", "/orders", "/data"], keys.require("check"));
  router.post("/check", jsonRoute(checkRequestSchema, (body) => decisions.check(body)));
  router.post("/check/batch", jsonRoute(batchRequestSchema, (body) => decisions.batch(body)));
  router.post("/permissions", jsonRoute(permissionsRequestSchema, (body) => decisions.permissions(body)));
  router.post("/orders/query", jsonRoute(ordersQueryRequestSchema, (body) => decisions.ordersQuery(body)));
  router.post("/orders/filter", jsonRoute(ordersFilterRequestSchema, (body) => decisions.ordersFilter(body)));
  router.post("/data/*path", (req, res, next) => {
    const segments = (req.params as { path?: string[] }).path ?? [];
    const body = req.body as { input?: unknown } | undefined;
    decisions.data(segments.join("/"), body?.input).then((answer) => res.json(answer), next);
  });
  return router;
}
