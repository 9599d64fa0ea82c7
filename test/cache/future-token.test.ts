import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { clearRedisPrefix, dropDatabase, eventually, freshDatabase, futureToken, openGraph, REDIS_URL, smallDocument, uniquePrefix } from "../store/graph-test-support.ts";

/**
 * A token asking for versions PostgreSQL does not have: reads wait for the change feed to announce them (one
 * shared load when it does) instead of each polling PostgreSQL, give up after CONSISTENCY_WAIT_MS with
 * graph_unavailable, and never answer from the older data.
 */
describe.each([
  ["PostgreSQL feed", false],
  ["Redis relay", true],
])("graphTokens from the future (%s)", (_name, withRedis) => {
  const prefix = uniquePrefix("future");
  let url: string;
  let graph: OrgGraph;
  let writer: OrgGraph;

  beforeAll(async () => {
    url = await freshDatabase(`future_${withRedis ? "redis" : "pg"}`);
    const env = { DATABASE_URL: url, CONSISTENCY_WAIT_MS: "1500", ...(withRedis ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}) };
    graph = await openGraph(env);
    writer = await openGraph(env);
    await writer.importDocument(smallDocument);
    await eventually(async () => (await graph.status()).feed.freshAsOf > 0, "feed up");
    await graph.slice({ subject: { id: "carol" }, org: "BER" });
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached");
  });
  afterAll(async () => {
    await graph?.close();
    await writer?.close();
    await dropDatabase(url);
    if (withRedis) await clearRedisPrefix(prefix);
  });

  const postgresReads = () => graph.metrics.lookups.postgres.hit + graph.metrics.lookups.postgres.miss;

  it("lets many waiting reads cost PostgreSQL next to nothing, and fails them closed", async () => {
    const seen = await graph.slice({ subject: { id: "carol" }, org: "BER" });
    const token = futureToken(seen.graphToken, "t:ACME", 1e9);
    const before = postgresReads();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => graph.slice({ subject: { id: "carol" }, org: "BER", atLeast: token })),
    );
    for (const r of results) expect(r).toMatchObject({ status: "rejected", reason: { code: "graph_unavailable" } });
    // Polling every 25 ms for 1.5 s each would have been hundreds of tree reads, and one read per waiter 20: the
    // waiters share their reads (2 on a quiet machine; on a loaded one a heartbeat may add one inside the wait).
    expect(postgresReads() - before).toBeLessThanOrEqual(4);
  });

  it("answers a waiting read as soon as the feed announces its version", async () => {
    const seen = await graph.slice({ subject: { id: "carol" }, org: "BER" });
    const current = JSON.parse(Buffer.from(seen.graphToken.slice(3), "base64url").toString("utf8")) as { v: [string, number][] };
    const next = futureToken(seen.graphToken, "t:ACME", current.v[0]![1] + 1);
    const waiting = Promise.all(
      Array.from({ length: 10 }, () => graph.slice({ subject: { id: "carol" }, org: "BER", atLeast: next })),
    );
    await new Promise((r) => setTimeout(r, 200));
    const before = postgresReads();
    await writer.deleteMembership("DE", "carol");
    for (const answer of await waiting) expect(answer.graph.memberships).toEqual([]);
    // Ten reads woken by one notification share one load (plus, on a loaded machine, a heartbeat's).
    expect(postgresReads() - before).toBeLessThanOrEqual(4);
  });
});
