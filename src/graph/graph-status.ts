import type { CacheMetrics } from "../cache/cache-metrics.ts";
import type { GraphCache } from "../cache/graph-cache.ts";
import type { RedisConnections } from "../cache/redis-connections.ts";
import { describeThrown } from "../errors.ts";
import type { ChangeFeed, FeedStatus } from "../model/change-feed.ts";
import type { Database, StoreKind } from "../store/database.ts";
import type { GraphRepository } from "../store/graph-repository.ts";

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

const COUNTS_TTL_MS = 10_000;

/** The org graph's `status()`: each part asked of its owner, the row counts read at most every COUNTS_TTL_MS. */
export function graphStatus(parts: {
  db: Database;
  cache: GraphCache;
  metrics: CacheMetrics;
  feed: ChangeFeed;
  redis: RedisConnections | undefined;
  repository: Pick<GraphRepository, "counts">;
}): () => Promise<GraphStatus> {
  const { db, cache, metrics, feed, redis, repository } = parts;
  let counts: { at: number; value: Awaited<ReturnType<GraphRepository["counts"]>> } | undefined;
  return async () => {
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
}
