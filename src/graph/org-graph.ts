import type { Logger } from "pino";
import { CacheMetrics, type CacheCounters } from "../cache/cache-metrics.ts";
import { GraphCache } from "../cache/graph-cache.ts";
import { RedisChangeFeed } from "../cache/redis-change-feed.ts";
import { connectRedis, type RedisConnections } from "../cache/redis-connections.ts";
import { RedisTier } from "../cache/redis-tier.ts";
import type { Config } from "../config.ts";
import type { DecisionFacts } from "../decisions/graph-port.ts";
import type { ChangeFeed } from "../model/change-feed.ts";
import { PgChangeFeed } from "../store/change-listener.ts";
import { openDatabase, WARM_CONNECTIONS, type Database, type StoreKind } from "../store/database.ts";
import { FactLoader } from "../store/fact-loader.ts";
import { GraphRepository } from "../store/graph-repository.ts";
import { GraphImportExport } from "../store/import-export.ts";
import { migrate } from "../store/migrate.ts";
import { seedEmbeddedDemo } from "./demo-seed.ts";
import { graphStatus, type GraphStatus } from "./graph-status.ts";
import { SliceBuilder } from "./slice-builder.ts";

export type { GraphStatus } from "./graph-status.ts";
export type { ImportCounts } from "../store/import-export.ts";

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

/** The store's management reads and writes, and its import/export, as the org graph exposes them: one list each. */
const REPOSITORY_METHODS = [
  "createOrg",
  "updateOrg",
  "getOrg",
  "getTree",
  "listTrees",
  "listMembers",
  "putMembership",
  "deleteMembership",
  "putUser",
  "getUser",
  "listRoles",
  "putRole",
  "listStaff",
  "putStaff",
  "deleteStaff",
] as const satisfies readonly (keyof GraphRepository)[];
const TRANSFER_METHODS = ["importDocument", "exportTree", "exportAll"] as const satisfies readonly (keyof GraphImportExport)[];

/**
 * The org graph: decision facts (`slice`, `adminSlice`: src/decisions' port), the store's management reads and
 * writes, import/export, status. PostgreSQL (DATABASE_URL) or the embedded one is the source of truth; an in-process
 * cache and an optional Redis tier serve decisions; a change feed keeps them current.
 */
export interface OrgGraph
  extends DecisionFacts,
    Pick<GraphRepository, (typeof REPOSITORY_METHODS)[number]>,
    Pick<GraphImportExport, (typeof TRANSFER_METHODS)[number]> {
  readonly kind: StoreKind;
  status(): Promise<GraphStatus>;
  /** Lookup and invalidation counters; also emits 'lookup' and 'invalidation'. */
  readonly metrics: CacheMetrics;
  close(): Promise<void>;
}

/** Wires the store, the cache and the feed into the org graph the decisions read. */
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
    const slices = new SliceBuilder(cache, loader);
    await seedEmbeddedDemo(db, repository, transfer, log);

    return {
      kind: db.kind,
      slice: (request) => slices.slice(request),
      adminSlice: (request) => slices.adminSlice(request),
      ...bound(repository, REPOSITORY_METHODS),
      ...bound(transfer, TRANSFER_METHODS),
      status: graphStatus({ db, cache, metrics, feed, redis, repository }),
      metrics,
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The methods `names` of `target`, bound to it. */
function bound<T extends object, K extends keyof T>(target: T, names: readonly K[]): Pick<T, K> {
  const out = {} as Pick<T, K>;
  for (const name of names) {
    const method = target[name];
    if (typeof method !== "function") throw new TypeError(`${String(name)} is not a method`);
    out[name] = (method as (...args: unknown[]) => unknown).bind(target) as T[K];
  }
  return out;
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
    listen: (sink, source) => new PgChangeFeed(sink, pgOptions, source),
    heartbeatMs: config.GRAPH_HEARTBEAT_MS,
    logger,
    redis: redis.commands,
    subscriber: redis.subscriber,
    prefix: config.REDIS_KEY_PREFIX,
    store: () => cache.store,
    leaseMs: config.REDIS_RELAY_LEASE_MS,
  });
  await feed.start();
  return feed;
}
