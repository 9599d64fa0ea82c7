import { Writable } from "node:stream";
import { pino, type DestinationStream } from "pino";
import type { Route } from "../../src/http/route.ts";
import { createLoggers } from "../../src/logging/logger.ts";
import { startSidecar, type Sidecar, type SidecarOptions } from "../../src/server.ts";
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

/** The transports of the decision endpoints: the node:http fast path, and the express routes of the same route table. */
export const decisionTransports = [
  ["fast path", { fastPath: true }],
  ["express routes", { fastPath: false }],
] as const satisfies readonly (readonly [string, Pick<SidecarOptions, "fastPath">])[];

/** A sidecar on a fresh database of the machine's PostgreSQL, with Redis, listening on a free loopback port. */
export async function startTestSidecar(
  suite: string,
  env: Record<string, string> = {},
  logDestination: DestinationStream = pino.destination({ dest: "/dev/null", sync: false }),
  options: Pick<SidecarOptions, "fastPath"> = {},
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
    ...options,
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
      if (res.ok) expectDeclaredShape(sidecar.routes, method, path, parsed);
      return { status: res.status, body: parsed };
    },
  };
}

/** A log destination that keeps every JSON line the sidecar writes, for tests that read its logs. */
export function captureLogLines(): { lines: Record<string, unknown>[]; destination: Writable } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, destination };
}

/** Every successful answer of every HTTP test has the shape its route's response schema declares in /openapi.json. */
function expectDeclaredShape(routes: readonly Route[], method: string, url: string, body: unknown): void {
  const path = url.split("?", 1)[0] ?? "";
  const route = routes.find((r) => r.method === method.toLowerCase() && routePattern(r.path).test(path));
  const problem = route?.response?.safeParse(body).error;
  if (problem) throw new Error(`${method} ${url} answered outside its response schema: ${problem.message}`);
}

function routePattern(path: string): RegExp {
  const source = path.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_m, name: string) => (name === "path" ? ".+" : "[^/]+"));
  return new RegExp(`^${source}/?$`);
}
