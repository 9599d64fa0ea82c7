/**
 * The run history: every whole `npm run bench` (not --quick) appends its targets to
 * bench/history/<date>-<commit>.json (checked in), so BENCHMARKS.md can give, per target, this run's figure and
 * the spread over the recorded runs of the same commit and store.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./paths.ts";
import type { TargetResult } from "./targets.ts";

const DIR = join(ROOT, "bench/history");

export interface HistoryEntry {
  at: string;
  /** Short commit the run measured; `dirty` when the working tree had changes. */
  commit: string;
  dirty: boolean;
  size: string;
  command: string;
  seconds: number;
  targets: Pick<TargetResult, "target" | "value" | "valueText" | "met">[];
}

function read(file: string): HistoryEntry[] {
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as HistoryEntry[]) : [];
}

/** Appends `entry` to its day's file for its commit; returns that file's path relative to the repository. */
export function appendHistory(entry: HistoryEntry): string {
  mkdirSync(DIR, { recursive: true });
  const name = `${entry.at.slice(0, 10)}-${entry.commit}.json`;
  const file = join(DIR, name);
  writeFileSync(file, `${JSON.stringify([...read(file), entry], null, 2)}\n`);
  return `bench/history/${name}`;
}

/** Every recorded run of `commit` on the `size` store. */
export function runsOf(commit: string, size: string): HistoryEntry[] {
  if (!existsSync(DIR)) return [];
  return readdirSync(DIR)
    .filter((f) => f.endsWith(`-${commit}.json`))
    .flatMap((f) => read(join(DIR, f)))
    .filter((e) => e.commit === commit && e.size === size);
}

/** "min–max over n runs (k met)" of one target over `runs`. */
export function spreadOf(runs: readonly HistoryEntry[], target: string): string {
  const seen = runs.flatMap((r) => r.targets.filter((t) => t.target === target && Number.isFinite(t.value)));
  if (seen.length === 0) return "";
  const sorted = [...seen].sort((a, b) => a.value - b.value);
  const range = sorted.length === 1 ? sorted[0]!.valueText : `${sorted[0]!.valueText} – ${sorted.at(-1)!.valueText}`;
  return `${range} over ${seen.length} run${seen.length === 1 ? "" : "s"} (met in ${seen.filter((t) => t.met).length})`;
}
