import { randomUUID } from "node:crypto";
import { deleteKeysWithPrefix } from "../../src/cache/redis-tier.ts";
import { Redis } from "ioredis";
import pg from "pg";
import { pino } from "pino";
import { loadConfig, type Config } from "../../src/config.ts";
import { createOrgGraph, type OrgGraph } from "../../src/graph/org-graph.ts";
import { encodeToken } from "../../src/model/graph-token.ts";

/**
 * Integration support: every suite gets its own database on the machine's PostgreSQL (dropped and created anew)
 * and its own Redis key prefix, so suites never see each other's data.
 */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/0";

export const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export async function adminQuery(sql: string, url = PG_ADMIN_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database `b2b_authz_test_<suite>` (with `TEST_DB_TAG` appended, so several checkouts can run their
 * suites against one PostgreSQL at once); returns its URL.
 */
export async function freshDatabase(suite: string, adminUrl = PG_ADMIN_URL): Promise<string> {
  const tag = process.env.TEST_DB_TAG ? `_${process.env.TEST_DB_TAG}` : "";
  const name = `b2b_authz_test_${`${suite}${tag}`.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}`;
  await adminQuery(`drop database if exists ${name} with (force)`, adminUrl);
  await adminQuery(`create database ${name}`, adminUrl);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(databaseUrl: string, adminUrl = PG_ADMIN_URL): Promise<void> {
  const name = new URL(databaseUrl).pathname.slice(1);
  await adminQuery(`drop database if exists ${name} with (force)`, adminUrl).catch(() => undefined);
}

export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({
    GRAPH_HEARTBEAT_MS: "200",
    REDIS_RELAY_LEASE_MS: "1500",
    CONSISTENCY_WAIT_MS: "2000",
    ...env,
  });
}

export function uniquePrefix(suite: string): string {
  return `test-${suite}-${randomUUID().slice(0, 8)}:`;
}

export async function openGraph(env: Record<string, string | undefined>): Promise<OrgGraph> {
  return createOrgGraph(testConfig(env), silent);
}

/** Deletes a suite's Redis keys (values expire anyway; this keeps the shared Redis tidy). */
export async function clearRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** A suite's clean-up: its graphs closed (those it got to open), its databases dropped, its Redis keys deleted. */
export async function tearDown(parts: {
  graphs?: readonly (OrgGraph | undefined)[];
  databases?: readonly (string | undefined)[];
  redisPrefix?: string;
}): Promise<void> {
  for (const graph of parts.graphs ?? []) await graph?.close();
  for (const url of parts.databases ?? []) if (url) await dropDatabase(url);
  if (parts.redisPrefix) await clearRedisPrefix(parts.redisPrefix);
}

/** Polls `probe` until it returns true; for eventual effects (invalidation without a token). Not a timing assertion. */
export async function eventually(probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`never happened: ${what}${lastError ? ` (last error: ${lastError instanceof Error ? lastError.message : JSON.stringify(lastError)})` : ""}`);
}

/** A fresh database with the small document imported, and a graph (with `env`) open on it. */
export async function smallGraph(suite: string, env: Record<string, string | undefined> = {}): Promise<{ url: string; graph: OrgGraph }> {
  const url = await freshDatabase(suite);
  const graph = await openGraph({ DATABASE_URL: url, ...env });
  await graph.importDocument(smallDocument);
  return { url, graph };
}

/** A fresh database and a pool of `max` connections on it (the final drop terminates the idle ones: not an error). */
export async function freshPool(suite: string, max: number): Promise<{ url: string; pool: pg.Pool }> {
  const url = await freshDatabase(suite);
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", () => undefined);
  return { url, pool };
}

/** Opens a graph on `databaseUrl` only to import `document` into it, and closes it again. */
export async function importInto(databaseUrl: string, document: unknown): Promise<void> {
  const importer = await openGraph({ DATABASE_URL: databaseUrl });
  try {
    await importer.importDocument(document);
  } finally {
    await importer.close();
  }
}

/** CREATE DATABASE ... TEMPLATE needs the template to be idle: the closed pools' sessions may linger a moment. */
export function copyDatabase(from: string, to: string): Promise<void> {
  return eventually(async () => {
    await adminQuery(`drop database if exists ${to} with (force)`);
    await adminQuery(`create database ${to} template ${from}`);
    return true;
  }, `copy ${from} to ${to}`);
}

/** Waits until every one of `graphs` has confirmed its change feed fresh once. */
export function feedsUp(graphs: readonly OrgGraph[], what = "feeds up"): Promise<void> {
  return eventually(async () => {
    for (const graph of graphs) if (!((await graph.status()).feed.freshAsOf > 0)) return false;
    return true;
  }, what);
}

/** Orgs of the subject's memberships on the path to `org`: empty means every buyer permission is denied. */
export async function orgsOf(graph: OrgGraph, user: string, org: string, atLeast?: string): Promise<string[]> {
  return (await graph.slice({ subject: { id: user }, org, ...(atLeast ? { atLeast } : {}) })).graph.memberships.map((m) => m.org);
}

/** Asks six times, `pauseMs` apart: the first answer of a cold tree is a path read, the later ones come from the caches. */
export async function answersOf(graph: OrgGraph, user: string, org: string, pauseMs = 30): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < 6; i++) {
    out.push(await orgsOf(graph, user, org));
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  return out;
}

/** A sidecar started late (nothing in memory) on `env`: `use` runs once its feed is up; it is closed after. */
export async function withLateGraph(env: Record<string, string | undefined>, use: (late: OrgGraph) => Promise<void>): Promise<void> {
  const late = await openGraph(env);
  try {
    await feedsUp([late], "the late sidecar hears the feed");
    await use(late);
  } finally {
    await late.close();
  }
}

/** A small two-tree graph most suites start from. */
export const smallDocument = {
  roles: [
    {
      key: "requester",
      name: "Requester",
      checkout: "approval",
      permissions: [{ code: "order.place", level: 2 }],
    },
  ],
  orgs: [
    { id: "ACME", name: "Acme", parent: null },
    { id: "EU", name: "Acme EU", parent: "ACME" },
    { id: "DE", name: "Acme DE", parent: "EU" },
    { id: "BER", name: "Acme Berlin", parent: "DE" },
    { id: "FR", name: "Acme FR", parent: "EU", inheritRoles: false },
    { id: "US", name: "Acme US", parent: "ACME" },
    { id: "GLOBEX", name: "Globex", parent: null, overLimit: "deny" },
    { id: "GX-OPS", name: "Globex Ops", parent: "GLOBEX" },
  ],
  users: [
    { id: "alice", email: "alice@acme.test" },
    { id: "bob", email: "bob@acme.test" },
    { id: "carol" },
    { id: "henry", status: "disabled" },
  ],
  memberships: [
    { user: "alice", org: "ACME", roles: ["org_admin"] },
    { user: "bob", org: "EU", roles: ["buyer"], inheritable: false },
    { user: "carol", org: "DE", roles: ["requester", "buyer"], limits: { maxOrderTotal: 500 } },
    { user: "carol", org: "GLOBEX", roles: ["buyer"] },
    { user: "carol", org: "US", roles: ["viewer"] },
  ],
  staff: [{ id: "ops-1", roles: ["store_admin"] }],
};

/** A token of the store `token` came from, asking for `version` of `key`: data that store does not have (yet). */
export function futureToken(token: string, key = "t:ACME", version = 1e9): string {
  const { s } = JSON.parse(Buffer.from(token.slice(token.indexOf(".") + 1), "base64url").toString("utf8")) as { s: string };
  return encodeToken(s, [[key, version]]);
}
