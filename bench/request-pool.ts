/**
 * Pools of unique requests for the load process (LoadJob.unique): one file per pool, one `<path>\t<body>` per
 * line, written once per run and read by each load run from its own offset, so every request of a run is sent
 * once. A cursor hands consecutive runs on the same server disjoint parts of the pool.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LoadJob, LoadResult } from "./load/load-types.ts";
import { BENCH_TMP } from "./paths.ts";

export interface PoolRequest {
  path: string;
  body: unknown;
}

export interface RequestPool {
  file: string;
  size: number;
}

const written: string[] = [];

/** Writes `requests` as the pool `name` of this run. */
export function writePool(name: string, requests: readonly PoolRequest[]): RequestPool {
  mkdirSync(BENCH_TMP, { recursive: true });
  const file = join(BENCH_TMP, `pool-${process.pid}-${name}.tsv`);
  writeFileSync(file, requests.map((r) => `${r.path}\t${JSON.stringify(r.body)}`).join("\n") + "\n");
  written.push(file);
  return { file, size: requests.length };
}

/** Removes every pool file this run wrote. */
export function removePools(): void {
  for (const file of written.splice(0)) rmSync(file, { force: true });
}

/** The unique part of a load job: `pool` from `offset`. */
export function fromPool(pool: RequestPool, offset = 0): Pick<LoadJob, "unique"> {
  return { unique: { file: pool.file, offset } };
}

/** Where the next run on the same server starts, so no server sees a request twice. */
export class PoolCursor {
  constructor(
    readonly pool: RequestPool,
    public offset = 0,
  ) {}
  job(): Pick<LoadJob, "unique"> {
    return fromPool(this.pool, this.offset);
  }
  advance(result: Pick<LoadResult, "pool">): void {
    this.offset += result.pool?.used ?? 0;
  }
}

/** "n repeats" note for a row that ran past the end of its pool (empty when every request was unique). */
export function repeatsNote(result: Pick<LoadResult, "pool">): string {
  const repeats = result.pool?.repeats ?? 0;
  return repeats > 0 ? `⚠ pool exhausted: ${repeats.toLocaleString("en")} of ${(result.pool?.used ?? 0).toLocaleString("en")} requests repeated` : "";
}
