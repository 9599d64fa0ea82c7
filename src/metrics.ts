import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { MemoStats } from "./policy/decision-memo.ts";

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
      help: "Org graph cache invalidations received, by source: postgres, redis (the relay), fallback (own listener while no relay is heard), local (own writes).",
      labelNames: ["source"],
      registers: [registry],
    }),
  };
}

/**
 * Exposes the active bundle's decision memo (counts restart with each activated bundle). Read when metrics are
 * scraped, so a decision pays for no counter.
 */
export function registerMemoMetrics(metrics: Metrics, read: () => MemoStats | null): void {
  const gauge = (name: string, help: string, pick: (stats: MemoStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [metrics.registry],
      collect() {
        this.set(pick(read() ?? { entries: 0, chars: 0, hits: 0, misses: 0 }));
      },
    });
  gauge("b2b_authz_decision_memo_entries", "Answers held by the active bundle's decision memo.", (s) => s.entries);
  gauge("b2b_authz_decision_memo_chars", "Characters held by the decision memo: keys and answers as JSON.", (s) => s.chars);
  gauge("b2b_authz_decision_memo_hits", "Decisions answered from the memo since the active bundle was activated.", (s) => s.hits);
  gauge("b2b_authz_decision_memo_misses", "Decisions evaluated in Wasm (memo on) since the active bundle was activated.", (s) => s.misses);
}
