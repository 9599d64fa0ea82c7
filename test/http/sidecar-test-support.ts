import { pino, type DestinationStream } from "pino";
import { createLoggers } from "../../src/logging/logger.ts";
import { startSidecar, type Sidecar } from "../../src/server.ts";
import { freshDatabase, REDIS_URL, testConfig, uniquePrefix } from "../store/graph-test-support.ts";

export const ADMIN_KEY = "test-admin-key";
export const CHECK_KEY = "test-check-key";

export interface TestSidecar {
  sidecar: Sidecar;
  /** The suite's own database (the store's tables, and room for a host's orders table). */
  databaseUrl: string;
  /** fetch against the sidecar with a key (admin by default) and optional X-Actor. */
  call(
    method: string,
    path: string,
    options?: { body?: unknown; rawBody?: string; key?: string | null; actor?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; body: any }>;
}

/** A sidecar on a fresh database of the machine's PostgreSQL, with Redis, listening on a free loopback port. */
export async function startTestSidecar(
  suite: string,
  env: Record<string, string> = {},
  logDestination: DestinationStream = pino.destination({ dest: "/dev/null", sync: false }),
): Promise<TestSidecar> {
  const databaseUrl = await freshDatabase(suite);
  const config = testConfig({
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: uniquePrefix(suite),
    AUTHZ_API_KEYS: `${ADMIN_KEY}=check+admin,${CHECK_KEY}=check`,
    PORT: "0",
    LOG_LEVEL: "silent",
    CONSISTENCY_WAIT_MS: "500",
    ...env,
  });
  const sidecar = await startSidecar({
    config,
    loggers: createLoggers(config, logDestination),
    apiKeys: config.AUTHZ_API_KEYS ?? new Map(),
  });
  return {
    sidecar,
    databaseUrl,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const key = options.key === undefined ? ADMIN_KEY : options.key;
      if (key) headers.authorization = `Bearer ${key}`;
      if (options.actor) headers["x-actor"] = options.actor;
      let body: string | undefined = options.rawBody;
      if (options.body !== undefined) body = JSON.stringify(options.body);
      if (body !== undefined) headers["content-type"] ??= "application/json";
      const res = await fetch(`${sidecar.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Prometheus text and the like stay text.
      }
      return { status: res.status, body: parsed };
    },
  };
}
