import type { Redis } from "ioredis";

/**
 * The shared cache tier. Values are immutable and keyed by version (`val:<key>:<version>`), so no instance can
 * mistake an old snapshot for a new one; `cur:<key>` points at the newest version anyone has seen (only ever
 * raised, by the relay on each change and by loaders after reading PostgreSQL); `org:<id>` hints which tree
 * holds an org. A lookup is one round trip (a script reads pointer and value together).
 * Keys: `<prefix>cur:t:ACME`, `<prefix>val:t:ACME:12`, `<prefix>org:DE`, `<prefix>cur:u:alice`, ...
 */
export interface RedisHit {
  key: string;
  version: number;
  text: string;
}

/** A tree Redis knows the current version of, with its value when someone has stored it already. */
export interface RedisTreeLookup {
  key: string;
  version: number;
  text: string | null;
}

const GET_CURRENT = `
local cur = redis.call('GET', KEYS[1])
if not cur then return nil end
return {cur, redis.call('GET', ARGV[1] .. cur)}`;

const GET_TREE_BY_ORG = `
local root = redis.call('GET', KEYS[1])
if not root then return nil end
local cur = redis.call('GET', ARGV[1] .. 'cur:t:' .. root)
if not cur then return nil end
return {root, cur, redis.call('GET', ARGV[1] .. 'val:t:' .. root .. ':' .. cur) or ''}`;

/** Raises a version pointer, never lowers it. */
export const RAISE_CURRENT = `
local cur = redis.call('GET', KEYS[1])
if not cur or tonumber(ARGV[1]) > tonumber(cur) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
  return 1
end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 0`;

export class RedisTier {
  constructor(
    private readonly redis: Redis,
    readonly prefix: string,
    private readonly ttlSeconds = 24 * 3600,
  ) {}

  /** Commands fail fast when the connection is not ready (no offline queue): Redis down means go to PostgreSQL. */
  get ready(): boolean {
    return this.redis.status === "ready";
  }

  async current(key: string): Promise<RedisHit | null> {
    const r = (await this.redis.eval(GET_CURRENT, 1, `${this.prefix}cur:${key}`, `${this.prefix}val:${key}:`)) as
      | [string, string | null]
      | null;
    if (!r || r[1] === null) return null;
    return { key, version: Number(r[0]), text: r[1] };
  }

  async treeOf(org: string): Promise<RedisTreeLookup | null> {
    const r = (await this.redis.eval(GET_TREE_BY_ORG, 1, `${this.prefix}org:${org}`, this.prefix)) as [string, string, string] | null;
    if (!r) return null;
    return { key: `t:${r[0]}`, version: Number(r[1]), text: r[2] === "" ? null : r[2] };
  }

  /**
   * Single flight across the fleet: after a change, every sidecar misses the new version at once; the one that
   * claims it loads PostgreSQL and stores the value, the others wait for it (`current`) instead of all querying.
   */
  async claim(key: string, version: number, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}load:${key}:${version}`, "1", "PX", ttlMs, "NX")) === "OK";
  }

  /** Stores a value read from PostgreSQL at `version`; for a tree, also the org -> root hints. */
  async put(key: string, version: number, text: string, orgIds?: Iterable<string>): Promise<void> {
    const pipeline = this.redis.pipeline();
    pipeline.set(`${this.prefix}val:${key}:${version}`, text, "EX", this.ttlSeconds);
    pipeline.eval(RAISE_CURRENT, 1, `${this.prefix}cur:${key}`, version, this.ttlSeconds);
    if (orgIds && key.startsWith("t:")) {
      const root = key.slice(2);
      for (const id of orgIds) pipeline.set(`${this.prefix}org:${id}`, root, "EX", this.ttlSeconds);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
  }

  /** The relay raises the pointer as soon as it hears of a change, so readers skip the old value at once. */
  async raise(key: string, version: number): Promise<void> {
    await this.redis.eval(RAISE_CURRENT, 1, `${this.prefix}cur:${key}`, version, this.ttlSeconds);
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
