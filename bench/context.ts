/** What every run gets: the options, the dataset and its database, and helpers shared between runs. */
import { randomUUID } from "node:crypto";
import { deleteKeysWithPrefix } from "../src/cache/redis-tier.ts";
import { Redis } from "ioredis";
import type { DatasetIndex, SizeName } from "./data-generator.ts";
import type { LoadJob } from "./load/load-types.ts";
import { ADMIN_KEY, CHECK_KEY, startSidecarProcess, type SidecarOptions, type SidecarProcess } from "./peers/sidecar.ts";
import { REDIS_URL } from "./store-loader.ts";
import type { TargetResult } from "./targets.ts";

export type RunName = "unique" | "mixed" | "single" | "batch" | "orders" | "cold" | "visible" | "memory" | "profile";
export const RUN_NAMES: readonly RunName[] = ["cold", "unique", "mixed", "single", "batch", "orders", "memory", "profile", "visible"];

export interface Options {
  quick: boolean;
  size: SizeName;
  /** Measured seconds of each load run, after `warmupSeconds` unmeasured. */
  seconds: number;
  warmupSeconds: number;
  connections: number;
  /** Distinct single-check request bodies of the repeated-bodies rows. */
  cases: number;
  /** Unique requests drawn for the unique-request runs (each request of a run sent once). */
  uniquePool: number;
  /** Cold decisions: trees of any shape, and 5-level trees on top. */
  coldTrees: number;
  coldBigTrees: number;
  visibilityRounds: number;
  /** Seconds the whole run may spend waiting for other processes to leave the machine quiet before a load run. */
  quietBudgetSeconds: number;
  only: ReadonlySet<RunName>;
  write: boolean;
}

export interface Context {
  options: Options;
  index: DatasetIndex;
  databaseUrl: string;
  log: (line: string) => void;
}

/** A run's outcome: its BENCHMARKS.md section, the targets it judged, and what the charts draw. */
export interface RunReport {
  title: string;
  body: string;
  targets: TargetResult[];
  charts?: ChartData;
}

/** The figures bench/charts.ts draws. */
export interface ChartData {
  /** Requests per second of each server, at one core and at all cores. */
  throughput?: { server: string; cores: "one process / core" | "all cores"; rps: number }[];
  /** Latency distributions (percentile, µs) at the paced half rate. */
  halfRate?: { server: string; distributionUs: [number, number][] }[];
}

export const checkHeaders = { authorization: `Bearer ${CHECK_KEY}` };
export const adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };

/** A Redis key prefix of its own, so no run ever reads another run's (or another database's) cached trees. */
export function freshPrefix(label: string): string {
  return `b2b-authz-bench-${label}-${randomUUID().slice(0, 8)}:`;
}

/** Deletes every Redis key under the prefixes the run used. */
export async function dropRedisPrefixes(prefixes: readonly string[]): Promise<void> {
  if (prefixes.length === 0) return;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const prefix of prefixes) await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

const prefixesUsed: string[] = [];

export function usedPrefixes(): readonly string[] {
  return prefixesUsed;
}

/** Starts a sidecar process on the run's database with a fresh Redis prefix (unless given one). */
export async function startOurSidecar(
  ctx: Context,
  name: string,
  options: Partial<Omit<SidecarOptions, "name" | "databaseUrl">> = {},
): Promise<SidecarProcess> {
  const redisPrefix = options.redisPrefix ?? freshPrefix(name);
  prefixesUsed.push(redisPrefix);
  const decisionLog = options.decisionLog ?? "off";
  ctx.log(
    `starting sidecar "${name}" (${options.workers ?? 1} worker${(options.workers ?? 1) > 1 ? "s" : ""}, decision log ${decisionLog === "off" ? "off" : "to a file"}${options.cpuProfileDir ? ", CPU profile" : ""})`,
  );
  return startSidecarProcess({ name, databaseUrl: ctx.databaseUrl, redisPrefix, decisionLog, ...options });
}

/** A load job against `url` with the run's lengths and connections. */
export function loadJob(ctx: Context, url: string, path: string, bodies: string[], extra: Partial<LoadJob> = {}): LoadJob {
  return {
    url,
    method: "POST",
    path,
    headers: {},
    bodies,
    connections: ctx.options.connections,
    seconds: ctx.options.seconds,
    warmupSeconds: ctx.options.warmupSeconds,
    ...extra,
  };
}
