/**
 * Our sidecar in its own process (`src/main.ts`, as `npm start` runs it), on the benchmark's database and Redis,
 * so its resident memory and CPU are its own and the load generator never shares its event loop. The application
 * log is at warn; decision events are off or go to a file.
 */
import { join } from "node:path";
import { freePort, rssBytes, startChild, waitUntilReady, type Child } from "../processes.ts";
import { ROOT } from "../paths.ts";
import { REDIS_URL } from "../store-loader.ts";

export const ADMIN_KEY = "bench-admin-key";
export const CHECK_KEY = "bench-check-key";

export interface SidecarOptions {
  name: string;
  databaseUrl: string;
  redisPrefix: string;
  /** Decision log events: off (DECISION_LOG=off), or written to this file (the cost a host that ships them pays). */
  decisionLog: "off" | { file: string };
  /** WORKERS: processes serving decisions (node:cluster), 1 by default. */
  workers?: number;
  /** Write a V8 CPU profile into this directory when the process exits. */
  cpuProfileDir?: string;
  env?: Record<string, string>;
}

export interface SidecarProcess {
  child: Child;
  url: string;
  pid: number;
  rss(): number;
  stop(): Promise<void>;
}

export async function startSidecarProcess(options: SidecarOptions): Promise<SidecarProcess> {
  const port = await freePort();
  const args = [
    ...(options.cpuProfileDir ? ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`] : []),
    "--import",
    "tsx",
    join(ROOT, "src/main.ts"),
  ];
  const child = startChild(options.name, process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      NODE_ENV: "production",
      HOST: "127.0.0.1",
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      REDIS_URL,
      REDIS_KEY_PREFIX: options.redisPrefix,
      AUTHZ_API_KEYS: `${ADMIN_KEY}=check+admin,${CHECK_KEY}=check`,
      LOG_LEVEL: "warn",
      DECISION_LOG: options.decisionLog === "off" ? "off" : options.decisionLog.file,
      WORKERS: String(options.workers ?? 1),
      // Room for every tree and user of the large store (the memory run warms all of them).
      CACHE_MAX_TREES: "200000",
      CACHE_MAX_USERS: "1000000",
      ...options.env,
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, `${url}/health/ready`, 120_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url, pid: child.pid, rss: () => rssBytes(child.pid), stop: () => child.stop() };
}
