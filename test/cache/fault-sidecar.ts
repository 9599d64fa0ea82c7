import { pino } from "pino";
import { createLoggers } from "../../src/logging/logger.ts";
import { startSidecar, type Sidecar } from "../../src/server.ts";
import { testConfig } from "../store/graph-test-support.ts";

/**
 * A sidecar for the fault tests: `key` may check and administer, it listens on a free port, waits briefly for a
 * token and keeps a small pool (the private PostgreSQL has few connections). Its logs go to `logFile`, at debug
 * level, when one is given, else nowhere.
 */
export async function faultSidecar(
  options: { key: string; stalenessMs: number; logFile?: string | undefined },
  env: Record<string, string>,
): Promise<Sidecar> {
  const config = testConfig({
    AUTHZ_API_KEYS: `${options.key}=check+admin`,
    PORT: "0",
    LOG_LEVEL: options.logFile ? "debug" : "silent",
    GRAPH_MAX_STALENESS_MS: String(options.stalenessMs),
    CONSISTENCY_WAIT_MS: "300",
    PG_POOL_MAX: "4",
    ...env,
  });
  return startSidecar({
    config,
    loggers: createLoggers(config, pino.destination({ dest: options.logFile ?? "/dev/null", sync: false })),
    apiKeys: config.AUTHZ_API_KEYS ?? new Map(),
  });
}
