import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll } from "vitest";
import { createLoggers } from "../../src/logging/logger.ts";
import { startSidecar } from "../../src/server.ts";
import { ADMIN_KEY, CHECK_KEY, startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";
import { REDIS_URL, testConfig, uniquePrefix } from "../store/graph-test-support.ts";
import { prepareStore } from "./harness.ts";

/**
 * Two sidecars on one store: the suite's fresh database and one Redis key prefix, as two replicas of a
 * deployment. The second reads trees the first cached in Redis and hears its writes on the change feed, so a
 * differential run through both also checks that the shared cache never serves a stale or foreign fact.
 */
export async function startSharedSidecars(suite: string): Promise<[TestSidecar, TestSidecar]> {
  const prefix = uniquePrefix(suite);
  const first = await startTestSidecar(suite, { REDIS_KEY_PREFIX: prefix });
  const config = testConfig({
    DATABASE_URL: first.databaseUrl,
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    AUTHZ_API_KEYS: `${ADMIN_KEY}=check+admin,${CHECK_KEY}=check`,
    PORT: "0",
    LOG_LEVEL: "silent",
    CONSISTENCY_WAIT_MS: "500",
  });
  const sidecar = await startSidecar({
    config,
    loggers: createLoggers(config, pino.destination({ dest: "/dev/null", sync: false })),
    apiKeys: config.AUTHZ_API_KEYS ?? new Map(),
  });
  const second: TestSidecar = {
    sidecar,
    databaseUrl: first.databaseUrl,
    async call(method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const key = options.key === undefined ? ADMIN_KEY : options.key;
      if (key) headers.authorization = `Bearer ${key}`;
      if (options.actor) headers["x-actor"] = options.actor;
      const body = options.body !== undefined ? JSON.stringify(options.body) : options.rawBody;
      if (body !== undefined) headers["content-type"] ??= "application/json";
      const res = await fetch(`${sidecar.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      try {
        return { status: res.status, body: JSON.parse(text) };
      } catch {
        return { status: res.status, body: text };
      }
    },
  };
  return [first, second];
}

/**
 * The oracle suites' store: the shared sidecars and a small pool on their database, the store prepared before the
 * tests (`prepareStore`) and everything closed after them.
 */
export function oracleStore(suite: string): { readonly sidecars: [TestSidecar, TestSidecar]; readonly db: pg.Pool } {
  let sidecars: [TestSidecar, TestSidecar] | undefined;
  let db: pg.Pool | undefined;
  beforeAll(async () => {
    sidecars = await startSharedSidecars(suite);
    db = new pg.Pool({ connectionString: sidecars[0].databaseUrl, max: 2 });
    await prepareStore(sidecars[0], db);
  });
  afterAll(async () => {
    await db?.end();
    for (const s of sidecars ?? []) await s.sidecar.close();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error(`the ${suite} store is not prepared`);
    return value;
  };
  return {
    get sidecars() {
      return ready(sidecars);
    },
    get db() {
      return ready(db);
    },
  };
}
