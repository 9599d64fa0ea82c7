import { EventEmitter } from "node:events";
import type { ChangeSource } from "../model/change-feed.ts";

/** The subset of prom-client counters the cache reports to (src/metrics.ts); any `inc(labels)` fits. */
export interface CacheCounters {
  cacheLookups: { labels(labels: { tier: string; outcome: string }): { inc(): void } };
  invalidations: { inc(labels: { source: string }): void };
}

type Tier = "memory" | "redis" | "postgres" | "path";
type Outcome = "hit" | "miss";

/**
 * Counts cache lookups and invalidations for `status()`, forwards them to prom-client counters when given,
 * and emits 'lookup' / 'invalidation' events for anything else that wants to watch.
 */
export class CacheMetrics extends EventEmitter {
  /** `path`: a cold decision answered from a path snapshot read from PostgreSQL while its whole tree loads. */
  readonly lookups = {
    memory: { hit: 0, miss: 0 },
    redis: { hit: 0, miss: 0 },
    postgres: { hit: 0, miss: 0 },
    path: { hit: 0, miss: 0 },
  };
  readonly invalidations = { postgres: 0, redis: 0, fallback: 0, local: 0 };

  constructor(private readonly counters?: CacheCounters) {
    super();
  }

  /** The prom-client child per tier and outcome: every warm decision counts one lookup, and labels() hashes. */
  private readonly lookupCounters = new Map<string, { inc(): void }>();

  lookup(tier: Tier, outcome: Outcome): void {
    this.lookups[tier][outcome]++;
    if (this.counters) {
      const key = `${tier} ${outcome}`;
      let counter = this.lookupCounters.get(key);
      if (!counter) this.lookupCounters.set(key, (counter = this.counters.cacheLookups.labels({ tier, outcome })));
      counter.inc();
    }
    if (this.listenerCount("lookup") > 0) this.emit("lookup", tier, outcome);
  }

  invalidation(source: ChangeSource): void {
    this.invalidations[source]++;
    this.counters?.invalidations.inc({ source });
    if (this.listenerCount("invalidation") > 0) this.emit("invalidation", source);
  }
}
