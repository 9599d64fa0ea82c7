/**
 * The charts of a run, as SVG: vega-lite specifications compiled to vega and rendered by vega's headless View
 * (toSVG needs no canvas). Throughput of us and each peer at equal cores; the latency distribution at half our
 * maximum rate against the echo server's at the same rate.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import type { ChartData } from "./context.ts";

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return `${svg}\n`;
}

export function throughputSpec(rows: NonNullable<ChartData["throughput"]>, subtitle: string): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Unique single checks: requests/s at equal cores", subtitle },
    data: { values: rows.map((r) => ({ ...r, rps: Math.round(r.rps) })) },
    width: 260,
    height: 220,
    mark: { type: "bar", tooltip: true },
    encoding: {
      column: { field: "cores", type: "nominal", title: null, sort: ["one process / core", "all cores"] },
      x: { field: "server", type: "nominal", title: null, axis: { labelAngle: -30 } },
      y: { field: "rps", type: "quantitative", title: "requests/s" },
      color: { field: "server", type: "nominal", legend: null },
    },
  };
}

export function latencySpec(series: NonNullable<ChartData["halfRate"]>, subtitle: string): TopLevelSpec {
  const values = series.flatMap((s) => s.distributionUs.filter(([, us]) => Number.isFinite(us)).map(([p, us]) => ({ server: s.server, percentile: p, ms: us / 1000 })));
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Latency at half our maximum rate, evenly paced, unique requests", subtitle },
    data: { values },
    width: 520,
    height: 260,
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "percentile", type: "ordinal", title: "percentile", sort: null },
      y: { field: "ms", type: "quantitative", title: "latency (ms, log scale)", scale: { type: "log" } },
      color: { field: "server", type: "nominal", title: null },
    },
  };
}

/** Writes the charts the reports carry into `dir`; returns the files written. */
export async function writeCharts(dir: string, data: ChartData, subtitle: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  if (data.throughput && data.throughput.length > 0) {
    writeFileSync(join(dir, "throughput.svg"), await svgOf(throughputSpec(data.throughput, subtitle)));
    written.push("throughput.svg");
  }
  if (data.halfRate && data.halfRate.length > 0) {
    writeFileSync(join(dir, "latency-half-rate.svg"), await svgOf(latencySpec(data.halfRate, subtitle)));
    written.push("latency-half-rate.svg");
  }
  return written;
}
