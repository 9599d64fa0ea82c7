import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The runtime metrics of GET /metrics (README, Operations): the event-loop delay as a Prometheus histogram
 * (perf_hooks.monitorEventLoopDelay), and the decision log's drop counter.
 */
let t: TestSidecar;

beforeAll(async () => {
  t = await startTestSidecar("metrics_runtime");
});
afterAll(async () => {
  await t?.sidecar.close();
});

const NAME = "b2b_authz_event_loop_delay_seconds";

interface Histogram {
  buckets: [number, number][];
  sum: number;
  count: number;
}

function histogramIn(text: string): Histogram {
  expect(text).toContain(`# TYPE ${NAME} histogram`);
  const buckets: [number, number][] = [];
  for (const match of text.matchAll(new RegExp(`^${NAME}_bucket\\{le="([^"]+)"\\} (\\S+)$`, "gm"))) {
    buckets.push([match[1] === "+Inf" ? Infinity : Number(match[1]), Number(match[2])]);
  }
  const sum = Number(new RegExp(`^${NAME}_sum (\\S+)$`, "m").exec(text)?.[1]);
  const count = Number(new RegExp(`^${NAME}_count (\\S+)$`, "m").exec(text)?.[1]);
  return { buckets, sum, count };
}

/** Observations above `seconds`: the count less the bucket at `seconds`. */
const above = (h: Histogram, seconds: number) => h.count - (h.buckets.find(([le]) => le === seconds)?.[1] ?? NaN);

function stall(millis: number): void {
  const until = performance.now() + millis;
  while (performance.now() < until) {
    // The event loop is held here, as a long synchronous task would hold it.
  }
}

describe("GET /metrics, runtime", () => {
  it("exposes the event-loop delay as a cumulative histogram, and a stall shows in its top buckets", async () => {
    const before = histogramIn((await t.call("GET", "/metrics", { key: null })).body as string);
    expect(before.buckets.length).toBeGreaterThan(5);
    expect(before.buckets.at(-1)).toEqual([Infinity, before.count]);
    for (let i = 1; i < before.buckets.length; i++) {
      expect(before.buckets[i]![0]).toBeGreaterThan(before.buckets[i - 1]![0]);
      expect(before.buckets[i]![1]).toBeGreaterThanOrEqual(before.buckets[i - 1]![1]);
    }
    expect(before.sum).toBeGreaterThanOrEqual(0);

    stall(300);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const after = histogramIn((await t.call("GET", "/metrics", { key: null })).body as string);
    expect(after.count).toBeGreaterThan(before.count);
    // The 300 ms stall is one observation of at least 250 ms.
    expect(above(after, 0.25)).toBeGreaterThan(above(before, 0.25));
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(0.25);
  });

  it("counts decision events dropped by the decision log, none by default", async () => {
    const { body } = await t.call("GET", "/metrics", { key: null });
    expect(body).toMatch(/^# TYPE b2b_authz_decision_log_dropped_total counter$/m);
    expect(body).toMatch(/^b2b_authz_decision_log_dropped_total 0$/m);
  });
});
