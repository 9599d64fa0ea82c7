/**
 * What stalled a sidecar during a run, from its own `/metrics` read before and after: garbage-collection pauses by
 * kind (prom-client's `nodejs_gc_duration_seconds`, from perf_hooks' gc entries) and the event-loop delay histogram
 * (`b2b_authz_event_loop_delay_seconds`). The difference of two readings is what happened in between. With several
 * workers a scrape reaches one of them, so the figures are that worker's.
 */
import { markdownTable } from "./benchmarks-file.ts";
import { fixed, int } from "./targets.ts";

/** Histogram series by name and labels other than `le`: the count at or below each bound, the sum and the count. */
type Histograms = Map<string, { buckets: Map<number, number>; sum: number; count: number }>;

const SERIES = /^([a-z0-9_]+?)(_bucket|_sum|_count)(?:\{([^}]*)\})? ([0-9.eE+-]+|NaN|\+Inf)$/;

function parseHistograms(text: string, names: readonly string[]): Histograms {
  const out: Histograms = new Map();
  for (const line of text.split("\n")) {
    const m = SERIES.exec(line);
    if (!m || !names.includes(m[1]!)) continue;
    const labels = new Map((m[3] ?? "").split(",").filter(Boolean).map((l) => l.split("=").map((s) => s.replace(/^"|"$/g, "")) as [string, string]));
    const le = labels.get("le");
    labels.delete("le");
    const key = `${m[1]}${[...labels].map(([k, v]) => ` ${k}=${v}`).join("")}`;
    let h = out.get(key);
    if (!h) out.set(key, (h = { buckets: new Map(), sum: 0, count: 0 }));
    const value = Number(m[4]);
    if (m[2] === "_bucket" && le !== undefined && le !== "+Inf") h.buckets.set(Number(le), value);
    else if (m[2] === "_sum") h.sum = value;
    else if (m[2] === "_count") h.count = value;
  }
  return out;
}

const GC = "b2b_authz_nodejs_gc_duration_seconds";
const LOOP = "b2b_authz_event_loop_delay_seconds";

export interface PauseReading {
  histograms: Histograms;
}

export async function readPauses(url: string): Promise<PauseReading> {
  const res = await fetch(`${url}/metrics`);
  if (!res.ok) throw new Error(`${url}/metrics answered ${res.status}`);
  return { histograms: parseHistograms(await res.text(), [GC, LOOP]) };
}

export interface PauseRow {
  what: string;
  count: number;
  totalMs: number;
  /** Events longer than each bound (seconds), as far as the histogram's buckets tell. */
  over: Map<number, number>;
}

/** Per GC kind and for the event loop: what happened between two readings. */
export function pausesBetween(before: PauseReading, after: PauseReading): PauseRow[] {
  const rows: PauseRow[] = [];
  for (const [key, a] of after.histograms) {
    const b = before.histograms.get(key);
    const count = a.count - (b?.count ?? 0);
    if (count <= 0) continue;
    const over = new Map<number, number>();
    for (const [bound, atMost] of a.buckets) over.set(bound, count - (atMost - (b?.buckets.get(bound) ?? 0)));
    const what = key.startsWith(GC) ? `GC ${key.slice(GC.length).replace(" kind=", "").trim()}` : "event-loop delay samples (10 ms timer)";
    rows.push({ what, count, totalMs: (a.sum - (b?.sum ?? 0)) * 1000, over });
  }
  return rows.sort((x, y) => x.what.localeCompare(y.what));
}

export function pauseTable(rows: readonly PauseRow[], seconds: number): string {
  const bounds = [0.001, 0.01, 0.1];
  return markdownTable(
    ["during the paced run", "count", "total ms", "share of the run", ...bounds.map((b) => `> ${b * 1000} ms`)],
    rows.map((r) => [
      r.what,
      int(r.count),
      fixed(r.totalMs, 1),
      r.what.startsWith("GC") ? `${fixed((r.totalMs / (seconds * 1000)) * 100, 1)}%` : "",
      ...bounds.map((b) => (r.over.has(b) ? int(r.over.get(b)!) : "")),
    ]),
  );
}
