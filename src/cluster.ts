import cluster from "node:cluster";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import type { Config } from "./config.ts";

/** How many worker processes WORKERS asks for on this machine. */
export function workerCount(config: Pick<Config, "WORKERS">): number {
  return config.WORKERS === "auto" ? availableParallelism() : config.WORKERS;
}

/**
 * The primary of a multi-process sidecar: forks `count` workers that share the listening port (node:cluster
 * hands connections out round-robin), replaces a worker that dies, and on SIGTERM/SIGINT asks every worker to
 * drain and waits for them. Each worker is a whole sidecar (engine, caches, store connection), so decisions
 * never cross a process boundary.
 */
export function runPrimary(count: number, logger: Logger): void {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < count; i++) fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, "worker died; starting another");
    setTimeout(fork, 500).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: count }, "draining workers");
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
