import { createServer, Socket, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { dropDatabase, eventually, freshDatabase, futureToken, openGraph, PG_ADMIN_URL, smallDocument } from "../store/graph-test-support.ts";

/**
 * PostgreSQL "goes down" by closing a TCP proxy in front of it (every connection cut, new ones refused), so the
 * machine's PostgreSQL keeps serving the other suites.
 */
class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = new Socket();
      upstream.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe("PostgreSQL unreachable: cached trees serve within the staleness bound, then fail closed", () => {
  let databaseUrl: string;
  let proxy: Proxy;
  let graph: OrgGraph;

  beforeAll(async () => {
    databaseUrl = await freshDatabase("postgres_down");
    const admin = new URL(PG_ADMIN_URL);
    proxy = new Proxy({ host: admin.hostname, port: Number(admin.port || 5432) });
    await proxy.start();
    const viaProxy = new URL(databaseUrl);
    viaProxy.port = String(proxy.port);
    graph = await openGraph({
      DATABASE_URL: viaProxy.toString(),
      GRAPH_MAX_STALENESS_MS: "3000",
      CONSISTENCY_WAIT_MS: "300",
    });
    await graph.importDocument(smallDocument);
  });
  afterAll(async () => {
    await graph?.close();
    await proxy?.stop();
    await dropDatabase(databaseUrl);
  });

  it("serves a cached tree, refuses an uncached one and a newer token, then refuses all", async () => {
    const warm = await graph.slice({ subject: { id: "carol" }, org: "BER" });
    // That cold decision was answered from a path snapshot; its whole tree is cached once the load behind it lands.
    await eventually(() => graph.metrics.lookups.postgres.hit > 0, "tree cached");
    await proxy.stop();

    // Within the bound: the cached tree answers.
    const cached = await graph.slice({ subject: { id: "carol" }, org: "BER" });
    expect(cached.graph.memberships).toEqual(warm.graph.memberships);
    // Never cached: nothing to serve.
    await expect(graph.slice({ subject: { id: "carol" }, org: "GX-OPS" })).rejects.toMatchObject({ code: "graph_unavailable" });
    // A token newer than the cache cannot be honoured.
    const newer = futureToken(warm.graphToken, "t:ACME", 1_000_000);
    await expect(graph.slice({ subject: { id: "carol" }, org: "BER", atLeast: newer })).rejects.toMatchObject({ code: "graph_unavailable" });
    // Writes fail closed.
    await expect(graph.putUser("zed", {})).rejects.toMatchObject({ code: "graph_unavailable" });

    // Past the bound: the cached tree stops serving.
    await eventually(
      () => graph.slice({ subject: { id: "carol" }, org: "BER" }).then(() => false, (e: { code?: string }) => e.code === "graph_unavailable"),
      "cached tree refused past the bound",
    );
    const status = await graph.status();
    expect(status.reachable).toBe(false);
    expect(status.feed.connected).toBe(false);
  });

  it("serves again once PostgreSQL is back", async () => {
    await proxy.start();
    await eventually(
      () => graph.slice({ subject: { id: "carol" }, org: "BER" }).then((s) => s.graph.memberships.length === 1, () => false),
      "served again",
    );
    const { graphToken } = await graph.deleteMembership("DE", "carol");
    expect((await graph.slice({ subject: { id: "carol" }, org: "BER", atLeast: graphToken })).graph.memberships).toEqual([]);
    await eventually(async () => (await graph.status()).feed.connected, "feed reconnected");
  });
});
