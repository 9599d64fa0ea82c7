/** The targets of issues 5 and 11, judged against measurements, and the number formats of the tables. */

export interface TargetResult {
  target: string;
  goal: string;
  measured: string;
  met: boolean;
  /** For a missed target: by how much, in words. */
  miss?: string;
  /** The figure judged, and as the tables write it (the history keeps both, for the spread over runs). */
  value: number;
  valueText: string;
}

/** A "higher is better" target: measured must reach `goal`. */
export function atLeast(target: string, goalText: string, measured: number, goal: number, measuredText: string, format: (x: number) => string = figure): TargetResult {
  const met = measured >= goal;
  return {
    target,
    goal: goalText,
    measured: measuredText,
    met,
    value: measured,
    valueText: format(measured),
    ...(met ? {} : { miss: `${pct(1 - measured / goal)} short (${fixed(measured / goal, 2)} of the goal)` }),
  };
}

/** A "lower is better" target: measured must stay under `goal`. */
export function below(target: string, goalText: string, measured: number, goal: number, measuredText: string, format: (x: number) => string = figure): TargetResult {
  const met = measured < goal;
  return { target, goal: goalText, measured: measuredText, met, value: measured, valueText: format(measured), ...(met ? {} : { miss: `${fixed(measured / goal, 2)}× the limit` }) };
}

/** A plain figure: ratios with two decimals, large counts as integers. */
const figure = (x: number) => (Math.abs(x) >= 100 ? int(x) : fixed(x, 2));

export function targetRows(results: readonly TargetResult[], spread: (r: TargetResult) => string = () => ""): string[][] {
  return results.map((r) => [r.target, r.goal, r.measured, spread(r), r.met ? "met" : `**missed**: ${r.miss ?? ""}`]);
}

export const fixed = (x: number, digits: number) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");
export const pct = (x: number) => `${fixed(x * 100, 0)}%`;
export const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString("en") : "n/a");

/** Microseconds as milliseconds with sensible precision. */
export function ms(us: number): string {
  if (!Number.isFinite(us)) return "n/a";
  const v = us / 1000;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ms`;
}

export const mib = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : "n/a");


/** "server / loader / other" cores of a load run; other above a quarter core is flagged as noise. */
export function cpuSplit(load: { serverCores?: number; loaderCores?: number; otherCores?: number }): string {
  const other = load.otherCores ?? Number.NaN;
  return `${fixed(load.serverCores ?? Number.NaN, 2)} / ${fixed(load.loaderCores ?? Number.NaN, 2)} / ${fixed(other, 2)}${other > 0.25 ? " ⚠" : ""}`;
}

export const CPU_SPLIT_HEADER = "CPU cores: server / load gen / other";
