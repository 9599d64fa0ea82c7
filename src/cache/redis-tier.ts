import type { Redis } from "ioredis";

/**
 * The shared cache tier: a content cache of trees, never the judge of which version is current. A value is keyed
 * by the store's identity, the key, its version and the version's random stamp (migration 002), so a value can
 * only ever be read for exactly the facts it holds: not by another store sharing the prefix, not after a restore
 * re-issued the version number, not after Redis itself went back to an old snapshot. Which version to read is
 * asked of PostgreSQL (GraphCache), so an old or foreign pointer cannot exist.
 * Keys: `<prefix><store>:val:t:ACME:12:<stamp>`, `<prefix><store>:load:t:ACME:12:<stamp>`.
 */
export function storeNamespace(prefix: string, store: string): string {
  return `${prefix}${store}:`;
}

export class RedisTier {
  /**
   * `store` is asked on every call: the identity of the database behind this sidecar, which changes when the
   * database is dropped and created anew. Callers never build keys, so none can leave the identity out.
   */
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    private readonly store: () => string,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  /** Commands fail fast when the connection is not ready (no offline queue): Redis down means go to PostgreSQL. */
  get ready(): boolean {
    return this.redis.status === "ready";
  }

  private name(kind: "val" | "load", key: string, version: number, stamp: string): string {
    return `${storeNamespace(this.prefix, this.store())}${kind}:${key}:${version}:${stamp}`;
  }

  /** The value stored for exactly this version of `key`, if any. */
  async value(key: string, version: number, stamp: string): Promise<string | null> {
    return this.redis.get(this.name("val", key, version, stamp));
  }

  /**
   * Single flight across the fleet: after a change, every sidecar misses the new version at once; the one that
   * claims it loads PostgreSQL and stores the value, the others wait for it (`value`) instead of all querying.
   */
  async claim(key: string, version: number, stamp: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.name("load", key, version, stamp), "1", "PX", ttlMs, "NX")) === "OK";
  }

  /** Stores a value read from PostgreSQL at `version` (with its stamp). */
  async put(key: string, version: number, stamp: string, text: string): Promise<void> {
    await this.redis.set(this.name("val", key, version, stamp), text, "EX", this.ttlSeconds);
  }
}

/**
 * Deletes every key under `prefix` (SCAN, never KEYS, so a large Redis is not blocked): how a store that
 * shared a Redis under its own prefix is cleaned away by tests and benchmarks.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}
