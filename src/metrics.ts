import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** The sidecar's Prometheus metrics, one registry per process (cluster workers each expose their own). */
export interface Metrics {
  registry: Registry;
  decisions: Counter<"endpoint" | "result">;
  decisionSeconds: Histogram<"endpoint">;
  cacheLookups: Counter<"tier" | "outcome">;
  policyReloads: Counter<"outcome">;
  invalidations: Counter<"source">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "b2b_authz_" });
  return {
    registry,
    decisions: new Counter({
      name: "b2b_authz_decisions_total",
      help: "Decisions answered, by endpoint and result (allow, deny, approval_required, error).",
      labelNames: ["endpoint", "result"],
      registers: [registry],
    }),
    decisionSeconds: new Histogram({
      name: "b2b_authz_decision_duration_seconds",
      help: "Time to answer a decision: facts, policy evaluation and logging.",
      labelNames: ["endpoint"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: "b2b_authz_graph_cache_lookups_total",
      help: "Org graph snapshot lookups by cache tier (memory, redis) and outcome (hit, miss).",
      labelNames: ["tier", "outcome"],
      registers: [registry],
    }),
    policyReloads: new Counter({
      name: "b2b_authz_policy_reloads_total",
      help: "Policy bundle reloads by outcome (activated, rejected, unchanged).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    invalidations: new Counter({
      name: "b2b_authz_graph_invalidations_total",
      help: "Org graph cache invalidations received, by source (postgres, redis, local).",
      labelNames: ["source"],
      registers: [registry],
    }),
  };
}
