import { execFile, spawn, type ChildProcess } from "node:child_process";
import { promisify } from "node:util";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import {
  adminQuery,
  clearRedisPrefix,
  dropDatabase,
  eventually,
  freshDatabase,
  openGraph,
  REDIS_URL,
  smallDocument,
  uniquePrefix,
} from "../store/graph-test-support.ts";

/** Orgs of the subject's memberships on the path to `org`: empty means every buyer permission is denied. */
const orgsOf = async (graph: OrgGraph, user: string, org: string, atLeast?: string) =>
  (await graph.slice({ subject: { id: user }, org, ...(atLeast ? { atLeast } : {}) })).graph.memberships.map((m) => m.org);

/** Asks several times: the first answer of a cold tree is a path read, the later ones come from the caches. */
async function answersOf(graph: OrgGraph, user: string, org: string, times = 6): Promise<string[][]> {
  const out: string[][] = [];
  for (let i = 0; i < times; i++) {
    out.push(await orgsOf(graph, user, org));
    await new Promise((r) => setTimeout(r, 40));
  }
  return out;
}

/**
 * A private redis-server (never the shared one) that writes its snapshot into `dir`; on the port after the restart
 * test's, since test files run in parallel.
 */
const PORT = Number(process.env.TEST_PRIVATE_REDIS_PORT ?? 6390) + 1;
const privateUrl = `redis://127.0.0.1:${PORT}/0`;

async function startRedis(dir: string): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(PORT), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const probe = new Redis(privateUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on("error", () => undefined);
  await eventually(async () => {
    await probe.connect().catch(() => undefined);
    return (await probe.ping().catch(() => "")) === "PONG";
  }, "private redis-server answers");
  probe.disconnect();
  return child;
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL"); // no save on the way out: the restart loads the older snapshot
  await exited;
}

describe("a Redis restored from an older snapshot", () => {
  let dir: string;
  let url: string;
  let redis: ChildProcess;
  let writer: OrgGraph;
  let reader: OrgGraph;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "b2b-authz-redis-"));
    url = await freshDatabase("restore_redis");
    redis = await startRedis(dir);
    const env = { DATABASE_URL: url, REDIS_URL: privateUrl, REDIS_KEY_PREFIX: "restore:" };
    writer = await openGraph(env);
    reader = await openGraph(env);
    await writer.importDocument(smallDocument);
    await eventually(async () => (await reader.status()).feed.freshAsOf > 0, "feeds up");
  });
  afterAll(async () => {
    await writer?.close();
    await reader?.close();
    if (redis) await stopRedis(redis);
    await dropDatabase(url);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("never serves the snapshot's trees once the graph moved on", async () => {
    expect(await orgsOf(reader, "carol", "BER")).toEqual(["DE"]);
    await eventually(() => reader.metrics.lookups.postgres.hit > 0, "tree cached and stored in Redis");
    await new Promise((r) => setTimeout(r, 200));
    const admin = new Redis(privateUrl, { maxRetriesPerRequest: 1 });
    await admin.save(); // the snapshot holds the tree with carol's membership
    admin.disconnect();

    const removed = await writer.deleteMembership("DE", "carol");
    expect(await orgsOf(reader, "carol", "BER", removed.graphToken)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));

    await stopRedis(redis);
    redis = await startRedis(dir);
    const redisReady = async (graph: OrgGraph) => {
      const { redis } = await graph.status();
      return redis.configured && redis.state === "ready";
    };
    await eventually(async () => (await redisReady(reader)) && (await redisReady(writer)), "Redis back");

    for (const answer of await answersOf(reader, "carol", "BER")) expect(answer).toEqual([]);
    // A sidecar with nothing in memory reads whatever Redis has.
    const late = await openGraph({ DATABASE_URL: url, REDIS_URL: privateUrl, REDIS_KEY_PREFIX: "restore:" });
    try {
      await eventually(async () => (await late.status()).feed.freshAsOf > 0, "the late sidecar hears the feed");
      for (const answer of await answersOf(late, "carol", "BER")) expect(answer).toEqual([]);
      expect(await orgsOf(late, "carol", "BER", removed.graphToken)).toEqual([]);
    } finally {
      await late.close();
    }
  });
});

describe("a PostgreSQL restored to an earlier state under running sidecars", () => {
  const prefix = uniquePrefix("restore_pg");
  let url: string;
  let name: string;
  let snapshot: string;
  let graph: OrgGraph;

  /** CREATE DATABASE ... TEMPLATE needs the template to be idle: the closed pools' sessions may linger a moment. */
  const copyDatabase = (from: string, to: string) =>
    eventually(async () => {
      await adminQuery(`drop database if exists ${to} with (force)`);
      await adminQuery(`create database ${to} template ${from}`);
      return true;
    }, `copy ${from} to ${to}`);

  beforeAll(async () => {
    url = await freshDatabase("restore_pg");
    name = new URL(url).pathname.slice(1);
    snapshot = `${name}_snapshot`;
    // The backup: the store before carol joined DE.
    const importer = await openGraph({ DATABASE_URL: url });
    await importer.importDocument({ ...smallDocument, memberships: smallDocument.memberships.filter((m) => m.org !== "DE") });
    await importer.close();
    await copyDatabase(name, snapshot);
    graph = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix, GRAPH_MAX_STALENESS_MS: "4000" });
    await eventually(async () => (await graph.status()).feed.freshAsOf > 0, "feed up");
  });
  afterAll(async () => {
    await graph?.close();
    await dropDatabase(url);
    await adminQuery(`drop database if exists ${snapshot} with (force)`).catch(() => undefined);
    await clearRedisPrefix(prefix);
  });

  it("drops cached versions ahead of PostgreSQL and never serves the lost history", async () => {
    const added = await graph.putMembership("DE", "carol", { roles: ["buyer"] });
    expect(await orgsOf(graph, "carol", "BER", added.graphToken)).toEqual(["DE"]);
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached and stored in Redis");
    await new Promise((r) => setTimeout(r, 200));

    // Restore: the live database is dropped and the backup takes its name, while the sidecar runs.
    await adminQuery(`drop database ${name} with (force)`);
    await copyDatabase(snapshot, name);

    await eventually(async () => (await orgsOf(graph, "carol", "BER").catch(() => ["error"])).length === 0, "the restored facts", 4_000);
    for (const answer of await answersOf(graph, "carol", "BER")) expect(answer).toEqual([]);
    // The restored database is another database (another oid): the lost write's token is refused, never met.
    await expect(orgsOf(graph, "carol", "BER", added.graphToken)).rejects.toMatchObject({ code: "invalid_request" });

    // Writes after the restore issue the lost history's version numbers again, for other facts.
    const again = await graph.putMembership("DE", "bob", { roles: ["viewer"] });
    for (const answer of await answersOf(graph, "carol", "BER")) expect(answer).toEqual([]);
    expect(await orgsOf(graph, "carol", "BER", again.graphToken)).toEqual([]);
    const late = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    try {
      await eventually(async () => (await late.status()).feed.freshAsOf > 0, "the late sidecar hears the feed");
      for (const answer of await answersOf(late, "carol", "BER")) expect(answer).toEqual([]);
      expect(await orgsOf(late, "bob", "BER")).toEqual(["EU", "DE"]);
    } finally {
      await late.close();
    }
  });
});

describe("a PostgreSQL dump restored into the live database, connections kept", () => {
  const prefix = uniquePrefix("restore_dump");
  let url: string;
  let dir: string;
  let graph: OrgGraph;
  const run = promisify(execFile);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "b2b-authz-dump-"));
    url = await freshDatabase("restore_dump");
    const importer = await openGraph({ DATABASE_URL: url });
    await importer.importDocument({ ...smallDocument, memberships: smallDocument.memberships.filter((m) => m.org !== "DE") });
    await importer.close();
    await run("pg_dump", ["--clean", "--if-exists", "--no-owner", "-f", join(dir, "backup.sql"), url]);
    graph = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix, GRAPH_MAX_STALENESS_MS: "4000" });
    await eventually(async () => (await graph.status()).feed.freshAsOf > 0, "feed up");
  });
  afterAll(async () => {
    await graph?.close();
    await dropDatabase(url);
    await clearRedisPrefix(prefix);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("notices the change sequence going back and drops what PostgreSQL no longer has", async () => {
    const added = await graph.putMembership("DE", "carol", { roles: ["buyer"] });
    expect(await orgsOf(graph, "carol", "BER", added.graphToken)).toEqual(["DE"]);
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached and stored in Redis");

    // No connection breaks: only the heartbeat can tell.
    await run("psql", ["-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", join(dir, "backup.sql"), url]);
    await eventually(async () => (await orgsOf(graph, "carol", "BER").catch(() => ["error"])).length === 0, "the restored facts", 4_000);
    await graph.putMembership("DE", "bob", { roles: ["viewer"] });
    for (const answer of await answersOf(graph, "carol", "BER")) expect(answer).toEqual([]);
    // The lost write's token is met by the new history's version numbers: answered from PostgreSQL's facts.
    const withToken = await orgsOf(graph, "carol", "BER", added.graphToken).catch((e: { code?: string }) => e.code);
    expect([[], "graph_unavailable"]).toContainEqual(withToken);
  });
});

describe("a dump restored in place, its version numbers caught up before the next heartbeat", () => {
  let url: string;
  let dir: string;
  let graph: OrgGraph;
  const run = promisify(execFile);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "b2b-authz-dump-"));
    url = await freshDatabase("restore_caught_up");
    const importer = await openGraph({ DATABASE_URL: url });
    await importer.importDocument({ ...smallDocument, memberships: smallDocument.memberships.filter((m) => m.org !== "DE") });
    await importer.close();
    await run("pg_dump", ["--clean", "--if-exists", "--no-owner", "-f", join(dir, "backup.sql"), url]);
    // A slow heartbeat, so the writes after the restore land before it looks.
    graph = await openGraph({ DATABASE_URL: url, GRAPH_HEARTBEAT_MS: "2500", GRAPH_MAX_STALENESS_MS: "4000" });
    await eventually(async () => (await graph.status()).feed.freshAsOf > 0, "feed up");
  });
  afterAll(async () => {
    await graph?.close();
    await dropDatabase(url);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("tells the new history from the lost one by the versions' stamps", async () => {
    await graph.putMembership("DE", "carol", { roles: ["buyer"] });
    expect(await orgsOf(graph, "carol", "BER")).toEqual(["DE"]);
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached");
    await new Promise((r) => setTimeout(r, 2_600)); // one heartbeat has seen the sequence at its highest

    await run("psql", ["-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", join(dir, "backup.sql"), url]);
    // One bump of the tree (the lost history's version number again) and enough others to pass the old sequence.
    await adminQuery("update orgs set name = 'Acme US' where id = 'US'", url);
    await adminQuery("update users set email = email", url);
    await adminQuery("update users set email = email", url);

    await eventually(async () => (await orgsOf(graph, "carol", "BER").catch(() => ["error"])).length === 0, "the restored facts", 8_000);
    for (const answer of await answersOf(graph, "carol", "BER")) expect(answer).toEqual([]);
  });
});
