import cluster from "node:cluster";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadConfig, type Config, type Scope } from "./config.ts";
import { describeThrown } from "./errors.ts";
import { createLoggers } from "./logging/logger.ts";
import { runPrimary, workerCount } from "./cluster.ts";
import { startSidecar } from "./server.ts";

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * API keys from AUTHZ_API_KEYS. Without them, the embedded default gets one generated development key (printed);
 * a real database without keys is a misconfiguration and stops start-up.
 */
function apiKeysOf(config: Config): { keys: ReadonlyMap<string, ReadonlySet<Scope>>; generated?: string } {
  if (config.AUTHZ_API_KEYS) return { keys: config.AUTHZ_API_KEYS };
  if (config.DATABASE_URL) {
    throw new Error("AUTHZ_API_KEYS: required when DATABASE_URL is set (format key=check+admin,key2=check)");
  }
  const generated = `dev-${randomBytes(18).toString("base64url")}`;
  return { keys: new Map([[generated, new Set<Scope>(["check", "admin"])]]), generated };
}

async function main(): Promise<void> {
  let config: Config;
  let keys: ReturnType<typeof apiKeysOf>;
  try {
    config = loadConfig();
    keys = apiKeysOf(config);
  } catch (error) {
    process.stderr.write(`b2b-authz: ${describeThrown(error)}\n`);
    process.exit(2);
  }
  const loggers = createLoggers(config);
  const workers = workerCount(config);
  if (workers > 1 && cluster.isPrimary) {
    if (!config.DATABASE_URL) {
      process.stderr.write("b2b-authz: WORKERS: more than one worker needs DATABASE_URL (the embedded PostgreSQL is single-process)\n");
      process.exit(2);
    }
    runPrimary(workers, loggers.app);
    return;
  }
  const sidecar = await startSidecar({ config, loggers, apiKeys: keys.keys, version });

  if (keys.generated) {
    process.stdout.write(
      [
        "",
        `b2b-authz ${version} is serving the embedded demo org graph at ${sidecar.url}`,
        `development API key (scopes check+admin): ${keys.generated}`,
        `decision explorer: ${sidecar.url}/explorer (paste the key; act as staff:ops-1)`,
        "try:",
        `  curl -s ${sidecar.url}/v1/check -H 'authorization: Bearer ${keys.generated}' -H 'content-type: application/json' \\`,
        `    -d '{"subject":{"id":"carol"},"org":"ACME-DE","action":"order.place","resource":{"type":"order","org":"ACME-DE","buyer":"carol","attributes":{"total":300}}}'`,
        "",
      ].join("\n"),
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    loggers.app.info({ signal }, "draining in-flight requests");
    sidecar.close().then(
      () => process.exit(0),
      (error: unknown) => {
        loggers.app.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`b2b-authz failed to start: ${describeThrown(error)}\n`);
  process.exit(1);
});
