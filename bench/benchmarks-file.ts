import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { arch, cpus, platform, totalmem } from "node:os";

const file = new URL("../BENCHMARKS.md", import.meta.url).pathname;

/** The machine line every benchmark section starts with, so figures are read with their context. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()}/${arch()}, Node ${process.version}`;
}

/**
 * Replaces the `## title` section of BENCHMARKS.md with `body` (or appends it), leaving other sections alone,
 * so each benchmark keeps its latest run and the file stays readable.
 */
export function writeSection(title: string, body: string): void {
  const heading = `## ${title}`;
  const current = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n\nFigures from `npm run bench` (all) or the single benchmark named in each section.\n";
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = current.indexOf(`${heading}\n`);
  let next: string;
  if (start === -1) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const after = current.indexOf("\n## ", start + heading.length);
    next = current.slice(0, start) + section + (after === -1 ? "" : current.slice(after + 1));
  }
  writeFileSync(file, next.endsWith("\n") ? next : `${next}\n`);
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function markdownTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}
