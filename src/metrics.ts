import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from "prom-client";
import type { MemoStats } from "./policy/decision-memo.ts";

/** The sidecar's Prometheus metrics, one registry per process (cluster workers each expose their own). */
export interface Metrics {
  registry: Registry;
  decisions: Counter<"endpoint" | "result">;
  decisionSeconds: Histogram<"endpoint">;
  cacheLookups: Counter<"tier" | "outcome">;
  policyReloads: Counter<"outcome">;
  invalidations: Counter<"source">;
  /** Shadow evaluation (POLICY_SHADOW_BUNDLE): sampled decisions by outcome, differences, drops. */
  shadowEvaluations: Counter<"outcome">;
  shadowDisagreements: Counter<"action" | "kind">;
  shadowDropped: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "b2b_authz_" });
  registry.registerMetric(eventLoopDelayHistogram());
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
    shadowEvaluations: new Counter({
      name: "b2b_authz_shadow_evaluations_total",
      help: "Live decisions evaluated on the shadow candidate bundle, by outcome (agreed, disagreed, error).",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    shadowDisagreements: new Counter({
      name: "b2b_authz_shadow_disagreements_total",
      help: "Differences of the shadow candidate from the live answer, by action and kind (deny_to_allow, allow_to_deny, approval_changed, reasons_changed, ...).",
      labelNames: ["action", "kind"],
      registers: [registry],
    }),
    shadowDropped: new Counter({
      name: "b2b_authz_shadow_dropped_total",
      help: "Sampled decisions not evaluated on the shadow candidate because its queue was full.",
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

/** Exposes the decision log's drop count (read when metrics are scraped; src/logging/decision-sink.ts). */
export function registerDecisionLogMetrics(metrics: Metrics, dropped: () => number): void {
  new Counter({
    name: "b2b_authz_decision_log_dropped_total",
    help: "Decision events not written: dropped by a full decision log buffer (DECISION_LOG_OVERFLOW=drop) or a failed writer.",
    registers: [metrics.registry],
    collect() {
      this.reset();
      this.inc(dropped());
    },
  });
}

/** The event-loop monitor's sampling interval: each sample is the time between two of its timer ticks. */
const EVENT_LOOP_RESOLUTION_MS = 10;
const EVENT_LOOP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
let eventLoopMonitor: IntervalHistogram | undefined;

/**
 * `b2b_authz_event_loop_delay_seconds`, a Prometheus histogram of perf_hooks.monitorEventLoopDelay since the
 * process started: how late the monitor's 10 ms timer ran, so how long a request arriving then would have waited
 * for the event loop. One monitor per process (the delay is the process's), read when metrics are scraped.
 *
 * The monitor keeps an HDR histogram and gives its counts only as percentiles; the count at or below a bucket's
 * bound is found by bisecting over percentiles, exact to the HDR histogram's precision (about 1%).
 */
function eventLoopDelayHistogram(): Metric {
  const name = "b2b_authz_event_loop_delay_seconds";
  const help = "Event-loop delay: how late a 10 ms timer ran (perf_hooks.monitorEventLoopDelay), since the process started.";
  if (!eventLoopMonitor) {
    eventLoopMonitor = monitorEventLoopDelay({ resolution: EVENT_LOOP_RESOLUTION_MS });
    eventLoopMonitor.enable();
  }
  const monitor = eventLoopMonitor;
  const offsetNs = EVENT_LOOP_RESOLUTION_MS * 1e6;
  const read = () => {
    const count = monitor.count;
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const bound of EVENT_LOOP_BUCKETS) {
      values.push({ metricName: `${name}_bucket`, labels: { le: bound }, value: countAtMost(monitor, bound * 1e9 + offsetNs) });
    }
    values.push({ metricName: `${name}_bucket`, labels: { le: "+Inf" }, value: count });
    const sumSeconds = count === 0 ? 0 : Math.max(0, ((monitor.mean - offsetNs) * count) / 1e9);
    values.push({ metricName: `${name}_sum`, labels: {}, value: sumSeconds });
    values.push({ metricName: `${name}_count`, labels: {}, value: count });
    return { name, help, type: "histogram", aggregator: "sum", values };
  };
  // A collector of prom-client's metric shape (name, help, type, get), not one of its classes: its Histogram can
  // only observe samples one by one, and the monitor hands over a finished distribution.
  return { name, help, type: "histogram", aggregator: "sum", get: () => Promise.resolve(read()), reset: () => undefined } as unknown as Metric;
}

/** How many of the monitor's samples are at most `boundNs`. */
function countAtMost(monitor: IntervalHistogram, boundNs: number): number {
  const count = monitor.count;
  if (count === 0 || monitor.min > boundNs) return 0;
  if (monitor.max <= boundNs) return count;
  // percentile(low) <= bound < percentile(high); stop once the interval is worth less than half a sample.
  let low = 0;
  let high = 100;
  while (high - low > 50 / count) {
    const mid = (low + high) / 2;
    if (monitor.percentile(mid) <= boundNs) low = mid;
    else high = mid;
  }
  return Math.round((low / 100) * count);
}
