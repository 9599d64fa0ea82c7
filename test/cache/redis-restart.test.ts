import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { eventually, feedsUp, freshDatabase, openGraph, orgsOf, smallDocument, tearDown } from "../store/graph-test-support.ts";
import { PrivateRedis } from "./private-servers.ts";

/** A private redis-server on its own port, so stopping it never disturbs the machine's shared Redis. */
const PORT = Number(process.env.TEST_PRIVATE_REDIS_PORT ?? 6390);

describe("Redis restart: slower, never wrong", () => {
  let databaseUrl: string;
  const redis = new PrivateRedis(PORT);
  let a: OrgGraph;
  let b: OrgGraph;

  beforeAll(async () => {
    databaseUrl = await freshDatabase("redis_restart");
    await redis.start();
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: "restart:" };
    a = await openGraph(env);
    b = await openGraph(env);
    await a.importDocument(smallDocument);
    await feedsUp([b, a]);
  });
  afterAll(async () => {
    await tearDown({ graphs: [a, b], databases: [databaseUrl] });
    await redis.kill();
  });

  it("relays changes through Redis while it is up", async () => {
    expect(await orgsOf(b, "carol", "BER")).toEqual(["DE"]);
    await a.deleteMembership("DE", "carol");
    await eventually(async () => (await orgsOf(b, "carol", "BER")).length === 0, "b hears via redis");
    expect((await b.status()).feed.mode).toBe("redis");
  });

  it("with Redis gone, serves from memory and PostgreSQL and still hears changes", async () => {
    expect(await orgsOf(b, "alice", "US")).toEqual(["ACME"]);
    await redis.kill(); // a crash, not a graceful shutdown
    await eventually(async () => (await b.status()).redis.configured && (await b.status()).feed.mode === "redis+postgres", "b falls back");
    const status = await b.status();
    expect(status.redis).not.toEqual({ configured: true, state: "ready" });
    expect(status.reachable).toBe(true);
    // Warm reads still answer, cold ones come from PostgreSQL.
    expect(await orgsOf(b, "alice", "US")).toEqual(["ACME"]);
    expect(await orgsOf(b, "carol", "GX-OPS")).toEqual(["GLOBEX"]);
    // Writes are still seen, with a token at once and without one when the change is heard.
    const { graphToken } = await a.putMembership("US", "alice", { roles: ["viewer"] });
    expect((await b.slice({ subject: { id: "alice" }, org: "US", atLeast: graphToken })).graph.memberships).toHaveLength(2);
    await a.deleteMembership("GLOBEX", "carol");
    await eventually(async () => (await orgsOf(b, "carol", "GX-OPS")).length === 0, "b hears via its own LISTEN");
    // Heard by b's own listener: counted as the fallback's, not as "local" (this process's own writes: b wrote none).
    const heard = (await b.status()).cache.invalidations;
    expect(heard).toMatchObject({ fallback: expect.any(Number), local: 0 });
    expect(heard.fallback).toBeGreaterThan(0);
  });

  it("goes back to the relay when Redis returns", async () => {
    await redis.start();
    await eventually(async () => {
      const [sa, sb] = [await a.status(), await b.status()];
      return sa.feed.mode === "redis" && sb.feed.mode === "redis" && sb.redis.configured && sb.redis.state === "ready";
    }, "both back on the relay");
    expect([(await a.status()).feed.relay, (await b.status()).feed.relay].filter(Boolean)).toHaveLength(1);
    expect(await orgsOf(b, "bob", "EU")).toEqual(["EU"]);
    await a.deleteMembership("EU", "bob");
    await eventually(async () => (await orgsOf(b, "bob", "EU")).length === 0, "b hears via redis again");
  });
});
