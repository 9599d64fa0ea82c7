import { Router } from "express";
import type { Metrics } from "../metrics.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import type { ApiKeys } from "./api-keys.ts";

/** What operations need from the org graph store: whether it answers, and what it holds. */
export interface GraphHealth {
  status(): Promise<{ reachable: boolean } & Record<string, unknown>>;
}

/** /health, /health/ready, /metrics and /openapi.json (no key); /v1/status (any key). */
export function opsRoutes(options: {
  engine: PolicyEngine;
  graph: GraphHealth;
  metrics: Metrics;
  keys: ApiKeys;
  openapi: () => unknown;
  startedAt: Date;
}): Router {
  const { engine, graph, metrics, keys, openapi, startedAt } = options;
  const router = Router();

  router.get("/health", (_req, res) => {
    res.json({ status: "ok" });
  });

  // Without a key, readiness says only ready or not and which part is down: counts, driver errors and the store's
  // address are for callers holding a valid key (any scope).
  router.get("/health/ready", (req, res, next) => {
    const detailed = keys.isKnown(req.headers.authorization);
    graph
      .status()
      .then((store) => {
        const policy = engine.info;
        const ready = policy !== null && store.reachable;
        const parts = { policy: { ready: policy !== null }, graph: { ready: store.reachable } };
        res.status(ready ? 200 : 503).json({
          status: ready ? "ready" : "not_ready",
          ...(detailed
            ? {
                policy: policy ? { ready: true, revision: policy.revision } : { ready: false, error: "no policy loaded" },
                graph: { ...parts.graph, ...store },
              }
            : parts),
        });
      }, next);
  });

  router.get("/v1/status", (req, res, next) => {
    const denied = keys.check(req.headers.authorization, "check") && keys.check(req.headers.authorization, "admin");
    if (denied) {
      next(denied);
      return;
    }
    graph.status().then(
      (store) =>
        res.json({
          policy: engine.info,
          graph: store,
          process: { pid: process.pid, startedAt: startedAt.toISOString(), uptimeSeconds: Math.round(process.uptime()) },
        }),
      next,
    );
  });

  router.get("/metrics", (_req, res, next) => {
    metrics.registry.metrics().then((text) => {
      res.type(metrics.registry.contentType).send(text);
    }, next);
  });

  router.get("/openapi.json", (_req, res) => {
    res.json(openapi());
  });

  return router;
}
