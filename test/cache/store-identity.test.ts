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

/** The small document with carol's membership in DE left out: the same org ids, different facts. */
const withoutCarolInDe = {
  ...smallDocument,
  memberships: smallDocument.memberships.filter((m) => !(m.user === "carol" && m.org === "DE")),
};

describe("two stores behind one Redis and one key prefix", () => {
  const prefix = uniquePrefix("identity");
  let urlA: string;
  let urlB: string;
  let a: OrgGraph;
  let b: OrgGraph;

  beforeAll(async () => {
    urlA = await freshDatabase("identity_a");
    urlB = await freshDatabase("identity_b");
    a = await openGraph({ DATABASE_URL: urlA, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    b = await openGraph({ DATABASE_URL: urlB, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    await a.importDocument(smallDocument);
    await b.importDocument(withoutCarolInDe);
    await feedsUp([a, b]);
  });
  afterAll(async () => {
    await tearDown({ graphs: [a, b], databases: [urlA, urlB], redisPrefix: prefix });
  });

  it("answers each store from its own facts, never from the other's cached trees", async () => {
    expect(await orgsOf(a, "carol", "BER")).toEqual(["DE"]);
    // A's whole tree lands in Redis behind that first decision.
    await eventually(() => a.metrics.lookups.postgres.hit > 0, "a loaded its tree");
    await new Promise((r) => setTimeout(r, 100));
    for (const answer of await answersOf(b, "carol", "BER")) expect(answer).toEqual([]);
    for (const answer of await answersOf(a, "carol", "BER")) expect(answer).toEqual(["DE"]);
    // A change in one store is not taken for a change in the other.
    await b.putMembership("US", "bob", { roles: ["viewer"] });
    for (const answer of await answersOf(a, "carol", "BER")) expect(answer).toEqual(["DE"]);
    for (const answer of await answersOf(b, "carol", "BER")) expect(answer).toEqual([]);
  });

  it("honours a store's own tokens", async () => {
    const removed = await a.deleteMembership("DE", "carol");
    expect(await orgsOf(a, "carol", "BER", removed.graphToken)).toEqual([]);
    const added = await b.putMembership("DE", "carol", { roles: ["buyer"] });
    expect(await orgsOf(b, "carol", "BER", added.graphToken)).toEqual(["DE"]);
    await a.putMembership("DE", "carol", { roles: ["requester", "buyer"], limits: { maxOrderTotal: 500 } });
    await b.deleteMembership("DE", "carol");
  });

  it("refuses a token of the other store as 400 on consistency.atLeast", async () => {
    const written = await a.putUser("zoe", {});
    await expect(orgsOf(b, "carol", "BER", written.graphToken)).rejects.toMatchObject({
      code: "invalid_request",
      details: [expect.objectContaining({ path: "consistency.atLeast" })],
    });
    const slice = await a.slice({ subject: { id: "carol" }, org: "BER" });
    await expect(orgsOf(b, "carol", "BER", slice.graphToken)).rejects.toMatchObject({ code: "invalid_request" });
    // An old-format token names no store: refused too.
    const old = `g1.${Buffer.from(JSON.stringify([["t:ACME", 1]])).toString("base64url")}`;
    await expect(orgsOf(a, "carol", "BER", old)).rejects.toMatchObject({ code: "invalid_request" });
  });
});

describe("a store dropped and re-imported under a running sidecar", () => {
  const prefix = uniquePrefix("identity_reimport");
  let url: string;
  let graph: OrgGraph;
  /** Behind the relay `graph`; with a long lease, so only the relay's word can make it notice in time. */
  let subscriber: OrgGraph;

  beforeAll(async () => {
    url = await freshDatabase("identity_reimport");
    const env = { DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix, REDIS_RELAY_LEASE_MS: "20000" };
    graph = await openGraph({ ...env, GRAPH_MAX_STALENESS_MS: "4000" });
    await eventually(async () => (await graph.status()).feed.relay === true, "graph relays");
    subscriber = await openGraph(env);
    await graph.importDocument(smallDocument);
    await feedsUp([graph, subscriber]);
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph, subscriber], databases: [url], redisPrefix: prefix });
  });

  it("stops answering from the old store's facts, with and without tokens", async () => {
    const before = await graph.putUser("zoe", {});
    expect(await orgsOf(graph, "carol", "BER", before.graphToken)).toEqual(["DE"]);
    expect(await orgsOf(subscriber, "carol", "BER", before.graphToken)).toEqual(["DE"]);
    const loaded = (g: OrgGraph) => g.metrics.lookups.postgres.hit + g.metrics.lookups.redis.hit > 0;
    await eventually(() => loaded(graph) && loaded(subscriber), "trees cached");

    const name = new URL(url).pathname.slice(1);
    await adminQuery(`drop database ${name} with (force)`);
    await adminQuery(`create database ${name}`);
    const importer = await openGraph({ DATABASE_URL: url });
    // Extra writes first, so the new store's versions reach and pass the old one's.
    await importer.importDocument({ ...withoutCarolInDe, memberships: [] });
    await importer.importDocument(withoutCarolInDe);
    const reimported = await importer.importDocument(withoutCarolInDe);
    await importer.close();

    await eventually(async () => (await orgsOf(graph, "carol", "BER").catch(() => ["error"])).length === 0, "the new store's facts", 6_000);
    // Well before the subscriber's fallback (two 20 s leases) or the 30 s staleness bound: the relay told it.
    await eventually(async () => (await orgsOf(subscriber, "carol", "BER").catch(() => ["error"])).length === 0, "the subscriber too", 6_000);
    expect((await subscriber.status()).identity).toBe((await graph.status()).identity);
    for (const answer of await answersOf(graph, "carol", "BER")) expect(answer).toEqual([]);
    expect(await orgsOf(graph, "carol", "BER", reimported.graphToken)).toEqual([]);
    await expect(orgsOf(graph, "carol", "BER", before.graphToken)).rejects.toMatchObject({ code: "invalid_request" });

    // A sidecar started now shares the Redis prefix with whatever the old store left there.
    await withLateGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix }, async (late) => {
      for (const answer of await answersOf(late, "carol", "BER")) expect(answer).toEqual([]);
    });
  });
});

describe("a database and its copy behind one Redis prefix", () => {
  const prefix = uniquePrefix("identity_copy");
  let url: string;
  let copyUrl: string;
  const graphs: OrgGraph[] = [];

  beforeAll(async () => {
    url = await freshDatabase("identity_orig");
    await importInto(url, smallDocument);
    // A copy shares the store_identity row of its original (staging made from production, a test's template).
    const name = new URL(url).pathname.slice(1);
    const copy = `${name}_copy`;
    await copyDatabase(name, copy);
    copyUrl = url.replace(`/${name}`, `/${copy}`);
  });
  afterAll(async () => {
    await tearDown({ graphs, databases: [url, copyUrl], redisPrefix: prefix });
  });

  it("keeps the two apart: each hears its own changes, not the copy's relay", async () => {
    // The copy's sidecar starts first, so it would hold a relay lease the two shared.
    const onCopy = await openGraph({ DATABASE_URL: copyUrl, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    graphs.push(onCopy);
    await eventually(async () => (await onCopy.status()).feed.relay === true, "the copy's relay");
    const writer = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    const reader = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix });
    graphs.push(writer, reader);
    await feedsUp([reader], "feed up");
    expect(await orgsOf(reader, "carol", "BER")).toEqual(["DE"]);
    expect(await orgsOf(onCopy, "carol", "BER")).toEqual(["DE"]);
    expect((await reader.status()).identity).not.toBe((await onCopy.status()).identity);

    await writer.deleteMembership("DE", "carol");
    await eventually(async () => (await orgsOf(reader, "carol", "BER")).length === 0, "the reader hears the change", 5_000);
    expect(await orgsOf(onCopy, "carol", "BER")).toEqual(["DE"]);
  });
});
