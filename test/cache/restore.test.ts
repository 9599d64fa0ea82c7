import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import {
  adminQuery,
  answersOf,
  copyDatabase,
  eventually,
  feedsUp,
  freshDatabase,
  importInto,
  openGraph,
  orgsOf,
  REDIS_URL,
  smallDocument,
  tearDown,
  uniquePrefix,
  withLateGraph,
} from "../store/graph-test-support.ts";
import { PrivateRedis } from "./private-servers.ts";

/** The pace between repeated answers in this suite. */
const PAUSE_MS = 40;

/**
 * A private redis-server (never the shared one) that writes its snapshot into a directory of the test's; on the
 * port after the restart test's, since test files run in parallel.
 */
const PORT = Number(process.env.TEST_PRIVATE_REDIS_PORT ?? 6390) + 1;

/** The backup's facts: the store before carol joined DE. */
const beforeCarolJoinedDe = { ...smallDocument, memberships: smallDocument.memberships.filter((m) => m.org !== "DE") };

const run = promisify(execFile);

/** A fresh database holding the backup's facts, dumped (pg_dump --clean) into a temp directory's backup.sql. */
async function dumpedStore(suite: string): Promise<{ url: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), "b2b-authz-dump-"));
  const url = await freshDatabase(suite);
  await importInto(url, beforeCarolJoinedDe);
  await run("pg_dump", ["--clean", "--if-exists", "--no-owner", "-f", join(dir, "backup.sql"), url]);
  return { url, dir };
}

/** Restores the dump into the live database, in one transaction, while the sidecar's connections stay open. */
const restoreDump = (dir: string, url: string) =>
  run("psql", ["-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-f", join(dir, "backup.sql"), url]);

describe("a Redis restored from an older snapshot", () => {
  let dir: string;
  let url: string;
  let redis: PrivateRedis;
  let writer: OrgGraph;
  let reader: OrgGraph;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "b2b-authz-redis-"));
    url = await freshDatabase("restore_redis");
    redis = new PrivateRedis(PORT, dir);
    await redis.start();
    const env = { DATABASE_URL: url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: "restore:" };
    writer = await openGraph(env);
    reader = await openGraph(env);
    await writer.importDocument(smallDocument);
    await feedsUp([reader]);
  });
  afterAll(async () => {
    await tearDown({ graphs: [writer, reader], databases: [url] });
    await redis?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("never serves the snapshot's trees once the graph moved on", async () => {
    expect(await orgsOf(reader, "carol", "BER")).toEqual(["DE"]);
    await eventually(() => reader.metrics.lookups.postgres.hit > 0, "tree cached and stored in Redis");
    await new Promise((r) => setTimeout(r, 200));
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    await admin.save(); // the snapshot holds the tree with carol's membership
    admin.disconnect();

    const removed = await writer.deleteMembership("DE", "carol");
    expect(await orgsOf(reader, "carol", "BER", removed.graphToken)).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));

    await redis.kill(); // no save on the way out: the restart loads the older snapshot
    await redis.start();
    const redisReady = async (graph: OrgGraph) => {
      const { redis } = await graph.status();
      return redis.configured && redis.state === "ready";
    };
    await eventually(async () => (await redisReady(reader)) && (await redisReady(writer)), "Redis back");

    for (const answer of await answersOf(reader, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
    // A sidecar with nothing in memory reads whatever Redis has.
    await withLateGraph({ DATABASE_URL: url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: "restore:" }, async (late) => {
      for (const answer of await answersOf(late, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
      expect(await orgsOf(late, "carol", "BER", removed.graphToken)).toEqual([]);
    });
  });
});

describe("a PostgreSQL restored to an earlier state under running sidecars", () => {
  const prefix = uniquePrefix("restore_pg");
  let url: string;
  let name: string;
  let snapshot: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    url = await freshDatabase("restore_pg");
    name = new URL(url).pathname.slice(1);
    snapshot = `${name}_snapshot`;
    await importInto(url, beforeCarolJoinedDe); // the backup
    await copyDatabase(name, snapshot);
    graph = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix, GRAPH_MAX_STALENESS_MS: "4000" });
    await feedsUp([graph], "feed up");
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url], redisPrefix: prefix });
    await adminQuery(`drop database if exists ${snapshot} with (force)`).catch(() => undefined);
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
    for (const answer of await answersOf(graph, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
    // The restored database is another database (another oid): the lost write's token is refused, never met.
    await expect(orgsOf(graph, "carol", "BER", added.graphToken)).rejects.toMatchObject({ code: "invalid_request" });

    // Writes after the restore issue the lost history's version numbers again, for other facts.
    const again = await graph.putMembership("DE", "bob", { roles: ["viewer"] });
    for (const answer of await answersOf(graph, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
    expect(await orgsOf(graph, "carol", "BER", again.graphToken)).toEqual([]);
    await withLateGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix }, async (late) => {
      for (const answer of await answersOf(late, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
      expect(await orgsOf(late, "bob", "BER")).toEqual(["EU", "DE"]);
    });
  });
});

describe("a PostgreSQL dump restored into the live database, connections kept", () => {
  const prefix = uniquePrefix("restore_dump");
  let url: string;
  let dir: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    ({ url, dir } = await dumpedStore("restore_dump"));
    graph = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix, GRAPH_MAX_STALENESS_MS: "4000" });
    await feedsUp([graph], "feed up");
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url], redisPrefix: prefix });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("notices the change sequence going back and drops what PostgreSQL no longer has", async () => {
    const added = await graph.putMembership("DE", "carol", { roles: ["buyer"] });
    expect(await orgsOf(graph, "carol", "BER", added.graphToken)).toEqual(["DE"]);
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached and stored in Redis");

    // No connection breaks: only the heartbeat can tell.
    await restoreDump(dir, url);
    await eventually(async () => (await orgsOf(graph, "carol", "BER").catch(() => ["error"])).length === 0, "the restored facts", 4_000);
    await graph.putMembership("DE", "bob", { roles: ["viewer"] });
    for (const answer of await answersOf(graph, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
    // The lost write's token is met by the new history's version numbers: answered from PostgreSQL's facts.
    const withToken = await orgsOf(graph, "carol", "BER", added.graphToken).catch((e: { code?: string }) => e.code);
    expect([[], "graph_unavailable"]).toContainEqual(withToken);
  });
});

describe("a dump restored in place, its version numbers caught up before the next heartbeat", () => {
  let url: string;
  let dir: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    ({ url, dir } = await dumpedStore("restore_caught_up"));
    // A slow heartbeat, so the writes after the restore land before it looks.
    graph = await openGraph({ DATABASE_URL: url, GRAPH_HEARTBEAT_MS: "2500", GRAPH_MAX_STALENESS_MS: "4000" });
    await feedsUp([graph], "feed up");
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url] });
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("tells the new history from the lost one by the versions' stamps", async () => {
    await graph.putMembership("DE", "carol", { roles: ["buyer"] });
    expect(await orgsOf(graph, "carol", "BER")).toEqual(["DE"]);
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached");
    await new Promise((r) => setTimeout(r, 2_600)); // one heartbeat has seen the sequence at its highest

    await restoreDump(dir, url);
    // One bump of the tree (the lost history's version number again) and enough others to pass the old sequence.
    await adminQuery("update orgs set name = 'Acme US' where id = 'US'", url);
    await adminQuery("update users set email = email", url);
    await adminQuery("update users set email = email", url);

    await eventually(async () => (await orgsOf(graph, "carol", "BER").catch(() => ["error"])).length === 0, "the restored facts", 8_000);
    for (const answer of await answersOf(graph, "carol", "BER", PAUSE_MS)) expect(answer).toEqual([]);
  });
});
