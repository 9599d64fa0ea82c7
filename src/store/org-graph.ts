import { describeThrown } from "../errors.ts";
import { once } from "node:events";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { CacheMetrics, type CacheCounters } from "../cache/cache-metrics.ts";
import { PgChangeFeed, type ChangeFeed, type FeedStatus } from "../cache/change-feed.ts";
import { GraphCache } from "../cache/graph-cache.ts";
import { RedisChangeFeed } from "../cache/redis-change-feed.ts";
import { RedisTier } from "../cache/redis-tier.ts";
import type { Config } from "../config.ts";
import { openDatabase, WARM_CONNECTIONS, type Database, type StoreKind } from "./database.ts";
import { createDemoOrders, demoDocument } from "./demo-graph.ts";
import { FactLoader } from "./fact-loader.ts";
import { GraphFacts, type AdminSliceRequest, type GraphSlice, type SliceRequest } from "./graph-facts.ts";
import { GraphRepository } from "./graph-repository.ts";
import { GraphImportExport } from "./import-export.ts";
import { migrate } from "./migrate.ts";

export type { AdminSliceRequest, GraphSlice, GraphSliceData, SliceRequest } from "./graph-facts.ts";
export type { ImportCounts } from "./import-export.ts";

export type OrgGraphConfig = Pick<
  Config,
  | "DATABASE_URL"
  | "REDIS_URL"
  | "MAX_TREE_DEPTH"
  | "MAX_TREE_ORGS"
  | "CACHE_MAX_TREES"
  | "CACHE_MAX_USERS"
  | "GRAPH_MAX_STALENESS_MS"
  | "CONSISTENCY_WAIT_MS"
  | "PG_POOL_MAX"
  | "GRAPH_HEARTBEAT_MS"
  | "REDIS_KEY_PREFIX"
  | "REDIS_RELAY_LEASE_MS"
  | "EMBEDDED_DATA_DIR"
  | "EMBEDDED_PG_PORT"
>;

/** A type (not an interface) so it is assignable to Record<string, unknown>. */
export type GraphStatus = {
  store: StoreKind;
  /** The store's identity (docs/graph-store.md, "Store identity and restores"). */
  identity: string;
  /** Embedded store: where `psql` or a host application can reach it (loopback only). */
  embedded?: { url: string };
  reachable: boolean;
  error?: string;
  feed: FeedStatus;
  cache: {
    trees: number;
    orgs: number;
    users: number;
    bytes: number;
    lookups: CacheMetrics["lookups"];
    invalidations: CacheMetrics["invalidations"];
  };
  redis: { configured: false } | { configured: true; state: string };
  counts?: Awaited<ReturnType<GraphRepository["counts"]>>;
};

/**
 * The org graph store: decision facts (`slice`, `adminSlice`), management reads and writes, import/export,
 * status. PostgreSQL (DATABASE_URL) or the embedded one is the source of truth; an in-process cache and an
 * optional Redis tier serve decisions; a change feed keeps them current.
 */
export interface OrgGraph {
  readonly kind: StoreKind;
  slice(request: SliceRequest): Promise<GraphSlice>;
  adminSlice(request: AdminSliceRequest): Promise<GraphSlice>;

  createOrg: GraphRepository["createOrg"];
  updateOrg: GraphRepository["updateOrg"];
  getOrg: GraphRepository["getOrg"];
  getTree: GraphRepository["getTree"];
  listTrees: GraphRepository["listTrees"];
  listMembers: GraphRepository["listMembers"];
  putMembership: GraphRepository["putMembership"];
  deleteMembership: GraphRepository["deleteMembership"];
  putUser: GraphRepository["putUser"];
  getUser: GraphRepository["getUser"];
  listRoles: GraphRepository["listRoles"];
  putRole: GraphRepository["putRole"];
  listStaff: GraphRepository["listStaff"];
  putStaff: GraphRepository["putStaff"];
  deleteStaff: GraphRepository["deleteStaff"];
  importDocument: GraphImportExport["importDocument"];
  exportTree: GraphImportExport["exportTree"];
  exportAll: GraphImportExport["exportAll"];

  status(): Promise<GraphStatus>;
  /** Lookup and invalidation counters; also emits 'lookup' and 'invalidation'. */
  readonly metrics: CacheMetrics;
  close(): Promise<void>;
}

const COUNTS_TTL_MS = 10_000;

export async function createOrgGraph(config: OrgGraphConfig, logger: Logger, counters?: CacheCounters): Promise<OrgGraph> {
  const log = logger.child({ component: "org-graph" });
  const db = await openDatabase(config, log);
  const closers: (() => Promise<void>)[] = [() => db.close()];
  const closeAll = async () => {
    for (const close of closers.reverse()) await close().catch((error: unknown) => log.warn({ err: error }, "close failed"));
  };
  try {
    const applied = await migrate(db.pool);
    if (applied.length > 0) log.info({ applied }, "graph store migrations applied");
    const limits = { maxDepth: config.MAX_TREE_DEPTH, maxOrgs: config.MAX_TREE_ORGS };
    const metrics = new CacheMetrics(counters);

    const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, log) : undefined;
    if (redis) closers.push(() => redis.close());
    // Every Redis key names the store the cache (below) currently reads: asked on each call, never before it exists.
    const tier = redis ? new RedisTier(redis.commands, config.REDIS_KEY_PREFIX, (): string => cache.store) : undefined;

    const loader = new FactLoader(db.pool, db.kind === "postgres");
    if (db.kind === "postgres") await loader.warm(Math.min(WARM_CONNECTIONS, config.PG_POOL_MAX));
    const cache: GraphCache = new GraphCache(
      loader,
      tier,
      {
        maxTrees: config.CACHE_MAX_TREES,
        maxUsers: config.CACHE_MAX_USERS,
        maxStalenessMs: config.GRAPH_MAX_STALENESS_MS,
        consistencyWaitMs: config.CONSISTENCY_WAIT_MS,
        heartbeatMs: config.GRAPH_HEARTBEAT_MS,
      },
      metrics,
      log,
      (await loader.current([])).store,
    );
    const feed = await startFeed(db, redis, cache, config, log);
    closers.push(() => feed.close());
    cache.useFeed(() => feed.freshAsOf());

    // This process applies its own writes at once; others hear of them through the feed.
    const onWritten = (versions: Map<string, number>) => {
      for (const [key, version] of versions) cache.change(key, version, "local");
    };
    const repository = new GraphRepository(db.pool, limits, onWritten);
    const transfer = new GraphImportExport(db.pool, limits, onWritten);
    const facts = new GraphFacts(cache, db.pool);

    if (db.kind === "embedded" && (await repository.counts()).orgs === 0) {
      await transfer.importDocument(demoDocument);
      await createDemoOrders(db.pool);
      log.info("embedded PostgreSQL loaded with the demo org graph");
    }

    let counts: { at: number; value: Awaited<ReturnType<GraphRepository["counts"]>> } | undefined;
    const status = async (): Promise<GraphStatus> => {
      const stats = cache.stats();
      const out: GraphStatus = {
        store: db.kind,
        identity: cache.store,
        ...(db.embedded ? { embedded: { url: `postgres://postgres@${db.embedded.host}:${db.embedded.port}/postgres?sslmode=disable` } } : {}),
        reachable: true,
        feed: feed.status(),
        cache: { ...stats, lookups: metrics.lookups, invalidations: metrics.invalidations },
        redis: redis ? { configured: true, state: redis.commands.status } : { configured: false },
      };
      try {
        if (!counts || Date.now() - counts.at > COUNTS_TTL_MS) counts = { at: Date.now(), value: await repository.counts() };
        out.counts = counts.value;
      } catch (error) {
        out.reachable = false;
        // For operators (readiness shows it only to a valid key): the driver's own words, not the generic answer.
        out.error = describeThrown(error instanceof Error && error.cause !== undefined ? error.cause : error);
      }
      return out;
    };

    return {
      kind: db.kind,
      slice: (request) => facts.slice(request),
      adminSlice: (request) => facts.adminSlice(request),
      createOrg: (body, creator) => repository.createOrg(body, creator),
      updateOrg: (id, body) => repository.updateOrg(id, body),
      getOrg: (id) => repository.getOrg(id),
      getTree: (id) => repository.getTree(id),
      listTrees: () => repository.listTrees(),
      listMembers: (org) => repository.listMembers(org),
      putMembership: (org, user, body) => repository.putMembership(org, user, body),
      deleteMembership: (org, user) => repository.deleteMembership(org, user),
      putUser: (id, body) => repository.putUser(id, body),
      getUser: (id) => repository.getUser(id),
      listRoles: () => repository.listRoles(),
      putRole: (key, body) => repository.putRole(key, body),
      listStaff: () => repository.listStaff(),
      putStaff: (id, body) => repository.putStaff(id, body),
      deleteStaff: (id) => repository.deleteStaff(id),
      importDocument: (body, options) => transfer.importDocument(body, options),
      exportTree: (org) => transfer.exportTree(org),
      exportAll: () => transfer.exportAll(),
      status,
      metrics,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

interface RedisConnections {
  commands: Redis;
  subscriber: Redis;
  close(): Promise<void>;
}

/**
 * Two connections: commands fail fast while Redis is away (no offline queue: the cache falls back to
 * PostgreSQL), the subscriber queues its SUBSCRIBE until Redis answers and resubscribes after reconnecting.
 */
async function connectRedis(url: string, log: Logger): Promise<RedisConnections> {
  const retryStrategy = (times: number) => Math.min(times * 100, 2_000);
  const commands = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 1_000, retryStrategy });
  const subscriber = new Redis(url, { maxRetriesPerRequest: null, retryStrategy });
  let warned = 0;
  const onError = (error: Error) => {
    if (Date.now() - warned > 10_000) {
      warned = Date.now();
      log.warn({ err: error }, "Redis unavailable: serving from process memory and PostgreSQL");
    }
  };
  commands.on("error", onError);
  subscriber.on("error", onError);
  // Give Redis a moment at start; unreachable is fine, it is optional.
  await Promise.race([once(commands, "ready"), new Promise((resolve) => setTimeout(resolve, 1_000))]).catch(() => undefined);
  return {
    commands,
    subscriber,
    close() {
      commands.disconnect();
      subscriber.disconnect();
      return Promise.resolve();
    },
  };
}

async function startFeed(
  db: Database,
  redis: RedisConnections | undefined,
  cache: GraphCache,
  config: OrgGraphConfig,
  logger: Logger,
): Promise<ChangeFeed> {
  const pgOptions = { connection: db.connection, heartbeatMs: config.GRAPH_HEARTBEAT_MS, logger };
  // The embedded database lives in this process: nobody else to fan out to, so it listens directly.
  if (!redis || db.kind === "embedded") {
    const feed = new PgChangeFeed(cache, { ...pgOptions, poll: db.kind === "embedded" });
    db.onNotification((payload) => feed.deliver(payload));
    await feed.start();
    return feed;
  }
  const feed = new RedisChangeFeed(cache, {
    ...pgOptions,
    redis: redis.commands,
    subscriber: redis.subscriber,
    prefix: config.REDIS_KEY_PREFIX,
    store: () => cache.store,
    leaseMs: config.REDIS_RELAY_LEASE_MS,
  });
  await feed.start();
  return feed;
}
