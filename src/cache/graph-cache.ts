import type { Logger } from "pino";
import { AuthzError } from "../errors.ts";
import type { FactSource, TreeVersion, Versioned } from "../model/fact-source.ts";
import type { RoleRecord, StaffRecord, UserRecord } from "../model/graph-schemas.ts";
import { decodeToken, encodeToken, type GraphVersions } from "../model/graph-token.ts";
import type { CacheMetrics } from "./cache-metrics.ts";
import type { ChangeSink, ChangeSource } from "../model/change-feed.ts";
import { ClockCache } from "./clock-cache.ts";
import type { RedisTier } from "./redis-tier.ts";
import type { TreeData } from "../model/tree-data.ts";
import { TreeSnapshot } from "./tree-snapshot.ts";

export interface GraphCacheOptions {
  maxTrees: number;
  maxUsers: number;
  /** How long cached data may serve without confirmation that no change was missed (PostgreSQL down). */
  maxStalenessMs: number;
  /** How long a read waits for data as new as a graphToken. */
  consistencyWaitMs: number;
  /** How often the feed confirms freshness: a feed silent for several beats cannot be relied on to announce a change. */
  heartbeatMs: number;
}

/** `stamp`: of `version` (migration 002), so a resync tells a restored history's same version number apart. */
interface CachedUser {
  version: number;
  stamp: string;
  user: UserRecord | null;
  freshAt: number;
}

interface CachedSet<T> {
  version: number;
  stamp: string;
  value: Map<string, T>;
  freshAt: number;
}

const UNKNOWN_ORGS_MAX = 10_000;
/** With a silent feed, how often a read waiting for a graphToken asks PostgreSQL again (shared by all waiting). */
const POLL_MS = 100;
/** Beats a feed may miss and still be trusted to announce a change. */
const LIVE_BEATS = 3;
/** How long a claim to load a tree version lasts, and how long the others wait for its value. */
const SINGLE_FLIGHT_MS = 2_000;
const SINGLE_FLIGHT_WAIT_MS = 250;

/**
 * The in-process tier (per-tree snapshots, users, roles, staff) in front of the optional Redis tier and
 * PostgreSQL. A warm read is a few Map lookups. Every entry knows its version; the change feed evicts what a
 * newer version replaced, a graphToken forces a newer read, and nothing serves past `maxStalenessMs` since the
 * last time the feed (or a load) confirmed it current.
 */
export class GraphCache implements ChangeSink {
  private readonly trees: ClockCache<string, TreeSnapshot>;
  private readonly orgIndex = new Map<string, TreeSnapshot>();
  /** Orgs PostgreSQL did not know, and when: spares it repeated lookups of unknown ids. */
  private readonly unknownOrgs = new Map<string, number>();
  private readonly users: ClockCache<string, CachedUser>;
  private roles: CachedSet<RoleRecord> | undefined;
  private staff: CachedSet<StaffRecord> | undefined;
  /** Newest version heard per key, so a load that raced a change is not cached as current. */
  private readonly heard = new ClockCache<string, number>(100_000);
  /** Loads in flight by what they load ('t?<org>', 'u:<id>', 'roles', 'staff'), with the order they started in. */
  private readonly inflight = new Map<string, { started: number; promise: Promise<unknown> }>();
  private loadCounter = 0;
  /** Reads waiting for a key to reach a version (a graphToken's), woken by the feed instead of polling. */
  private readonly waiters = new Map<string, Set<{ need: number; wake: (result: { at: number; heard: boolean } | null) => void }>>();
  private feedFreshAsOf: () => number = () => 0;
  /** The identity of the store behind this cache (migration 002): in Redis keys, feed messages and tokens. */
  private storeId: string;
  private emptyTokenText: string;
  private readonly postgresVersions = new WeakSet<GraphVersions>();

  constructor(
    private readonly loader: FactSource,
    private readonly redis: RedisTier | undefined,
    private readonly options: GraphCacheOptions,
    private readonly metrics: CacheMetrics,
    private readonly logger: Logger,
    store: string,
  ) {
    this.trees = new ClockCache(options.maxTrees, (_root, snapshot) => this.unindex(snapshot));
    this.users = new ClockCache(options.maxUsers);
    this.storeId = store;
    this.emptyTokenText = encodeToken(store, []);
  }

  // ---- store identity ----

  /** The identity of the store this cache holds facts of. */
  get store(): string {
    return this.storeId;
  }

  /** The versions of a graphToken of this store; another store's token, or no token at all, is invalid_request. */
  decodeToken(token: string): GraphVersions {
    return decodeToken(token, this.storeId);
  }

  /**
   * Marks versions just read from PostgreSQL (an administration decision's): PostgreSQL has them, so a read at
   * least as new loads at once instead of waiting for the feed to announce them.
   */
  readFromPostgres(versions: GraphVersions): GraphVersions {
    this.postgresVersions.add(versions);
    return versions;
  }

  /** The token of a read that read no tree. */
  get emptyToken(): string {
    return this.emptyTokenText;
  }

  /**
   * PostgreSQL answered with another identity: the database was dropped and created anew (or DATABASE_URL now
   * reaches another one). Nothing cached belongs to it, and the old store's tokens are refused from now on.
   */
  private checkStore(store: string): void {
    if (store === this.storeId) return;
    this.logger.warn({ was: this.storeId, now: store }, "graph store identity changed: dropping every cached entry");
    this.storeId = store;
    this.emptyTokenText = encodeToken(store, []);
    this.forgetAll();
  }

  /**
   * A cached version ahead of PostgreSQL's: the database went back in time (restored from a backup). Whatever
   * the caches and the feed said is of a history PostgreSQL no longer has; start over from PostgreSQL.
   */
  private restored(key: string, cached: number, current: number): void {
    this.logger.warn({ key, cached, current }, "cached graph version ahead of PostgreSQL (a restore?): dropping every cached entry");
    this.forgetAll();
  }

  private forgetAll(): void {
    this.clear();
    this.heard.clear();
    this.wakeAll();
  }

  /** The change feed that keeps entries confirmed current. */
  useFeed(freshAsOf: () => number): void {
    this.feedFreshAsOf = freshAsOf;
  }

  private fresh(freshAt: number, now: number): boolean {
    return Math.max(freshAt, this.feedFreshAsOf()) >= now - this.options.maxStalenessMs;
  }

  // ---- trees ----

  /**
   * The snapshot of the tree holding `org` if memory can answer now (null: a known unknown org), or undefined
   * when it must be loaded. No I/O: the warm path of every decision.
   */
  warmTree(org: string, token: GraphVersions | undefined, now: number): TreeSnapshot | null | undefined {
    const cached = this.cachedTree(org, token, now);
    this.metrics.lookup("memory", cached === undefined ? "miss" : "hit");
    if (cached) this.trees.get(cached.root);
    return cached;
  }

  /** What warmTree answers, without counting a lookup or marking the tree as used. */
  private cachedTree(org: string, token: GraphVersions | undefined, now: number): TreeSnapshot | null | undefined {
    const cached = this.orgIndex.get(org);
    if (cached) {
      if (this.fresh(cached.freshAt, now) && satisfies(token, `t:${cached.root}`, cached.version)) return cached;
    } else if (!token) {
      const unknownAt = this.unknownOrgs.get(org);
      if (unknownAt !== undefined && this.fresh(unknownAt, now)) return null;
    }
    return undefined;
  }

  /** The snapshot of the tree holding `org` (null: no such org), at least as new as `token`. */
  async tree(org: string, token?: GraphVersions): Promise<TreeSnapshot | null> {
    const now = Date.now();
    const warm = this.warmTree(org, token, now);
    if (warm !== undefined) return warm;
    if (!token) return this.shared(`t?${org}`, -1, () => this.loadTree(org));
    const cached = this.orgIndex.get(org);
    return this.atLeast(
      token,
      cached && this.fresh(cached.freshAt, now) ? { key: `t:${cached.root}`, version: cached.version } : undefined,
      (after) => this.shared(`t?${org}`, after, () => this.loadTree(org)),
      (snapshot) => (snapshot ? { key: `t:${snapshot.root}`, version: snapshot.version } : null),
    );
  }

  /**
   * The trees holding each of `orgs` (null: no such org), for a batch's resource orgs: one PostgreSQL round trip
   * finds which exist and where, so many unknown orgs cost one query, and each tree among them loads once.
   */
  async treesOf(orgs: readonly string[], token?: GraphVersions): Promise<Map<string, TreeSnapshot | null>> {
    const found = new Map<string, TreeSnapshot | null>();
    const now = Date.now();
    const cold: string[] = [];
    // The caller has just counted these lookups (warmFacts): look again without counting them twice.
    for (const org of new Set(orgs)) {
      const warm = this.cachedTree(org, token, now);
      if (warm === undefined) cold.push(org);
      else {
        if (warm) this.trees.get(warm.root);
        found.set(org, warm);
      }
    }
    // One cold org reads as any other (the Redis tier first).
    if (cold.length === 1) found.set(cold[0]!, await this.tree(cold[0]!, token));
    if (cold.length <= 1) return found;
    const started = Date.now();
    let roots: Map<string, string>;
    try {
      roots = await this.loader.rootsOf(cold);
    } catch (error) {
      throw new AuthzError("graph_unavailable", "org graph store unreachable and no fresh cached copy", { cause: error });
    }
    const byRoot = new Map<string, string[]>();
    for (const org of cold) {
      const root = roots.get(org);
      if (root === undefined) {
        this.metrics.lookup("postgres", "miss");
        this.rememberUnknown(org, started);
        found.set(org, null);
      } else {
        byRoot.set(root, [...(byRoot.get(root) ?? []), org]);
      }
    }
    await Promise.all(
      [...byRoot.values()].map(async (members) => {
        for (const org of members) {
          // The tree loaded for the first member holds the rest, unless one moved meanwhile.
          const tree = found.get(members[0]!);
          found.set(org, tree?.has(org) ? tree : await this.tree(org, token));
        }
      }),
    );
    return found;
  }

  /**
   * For one decision of `user` (null: staff) in `org` about resources in `resourceOrgs`, when the tree is cold:
   * a path snapshot and the user, read from PostgreSQL in one round trip (a few rows instead of a big tree's orgs
   * and memberships). The snapshot answers this decision only; the user is cached. Once the decision is answered the
   * whole tree loads, for the decisions after. Null when the tree is warm or already loading, or when the read
   * cannot serve (unknown org, older than the token, PostgreSQL failing): the caller then reads as usual.
   * `user` in the answer is undefined when it must be read as usual (staff, or older than the token).
   */
  async pathFacts(
    org: string,
    user: string | null,
    resourceOrgs: readonly string[],
    token?: GraphVersions,
  ): Promise<{ tree: TreeSnapshot; user?: UserRecord | null } | null> {
    // The caller has just counted this lookup (warmFacts): look again without counting it twice.
    if (this.cachedTree(org, token, Date.now()) !== undefined || this.inflight.has(`t?${org}`)) return null;
    const started = Date.now();
    let tree: TreeSnapshot;
    let loadedUser: Versioned<UserRecord | null> | undefined;
    try {
      const loaded = await this.loader.pathsOf([org, ...resourceOrgs], user);
      if (!loaded) return null;
      tree = new TreeSnapshot(loaded.tree.data, loaded.tree.text.length);
      this.checkStore(tree.store);
      loadedUser = loaded.user;
    } catch (error) {
      this.logger.debug({ err: error }, "path snapshot read failed");
      return null;
    }
    if (!satisfies(token, `t:${tree.root}`, tree.version)) return null;
    this.metrics.lookup("path", "hit");
    // The whole tree starts loading once this decision has been answered, so the two do not compete; a failure
    // is the next decision's to meet.
    setImmediate(() => {
      this.tree(org).catch(() => undefined);
    });
    if (user === null || !loadedUser || !satisfies(token, `u:${user}`, loadedUser.version)) return { tree };
    this.rememberUser(user, { version: loadedUser.version, stamp: loadedUser.stamp, user: loadedUser.value, freshAt: started });
    return { tree, user: loadedUser.value };
  }

  /** A cached snapshot only (no load), for status and admin facts that already loaded it. */
  peekTree(org: string): TreeSnapshot | undefined {
    return this.orgIndex.get(org);
  }

  /** One load of the tree holding `org`: its value from Redis when PostgreSQL vouches for it, else PostgreSQL. */
  private async loadTree(org: string): Promise<TreeSnapshot | null> {
    const before = this.orgIndex.get(org);
    const fromRedis = await this.treeFromRedis(org, before);
    if (fromRedis !== undefined) return fromRedis;
    const started = Date.now();
    let loaded;
    try {
      loaded = await this.loader.treeOf(org);
    } catch (error) {
      throw new AuthzError("graph_unavailable", "org graph store unreachable and no fresh cached copy", { cause: error });
    }
    this.metrics.lookup("postgres", loaded ? "hit" : "miss");
    if (!loaded) {
      this.rememberUnknown(org, started);
      return null;
    }
    const snapshot = new TreeSnapshot(loaded.data, loaded.text.length);
    this.checkStore(snapshot.store);
    // PostgreSQL read after `before` was cached cannot be older than it, unless the database went back in time.
    if (before && before.store === snapshot.store && before.root === snapshot.root && before.version > snapshot.version) {
      this.restored(`t:${snapshot.root}`, before.version, snapshot.version);
    }
    snapshot.freshAt = started;
    this.keep(snapshot);
    this.publish(snapshot, loaded.text);
    return snapshot;
  }

  /**
   * The tree from Redis, if it holds exactly the version PostgreSQL holds now (asked first: one primary-key probe
   * instead of the tree's load). Null: PostgreSQL knows no such org; undefined: load from PostgreSQL. Redis is never
   * asked which version is current, so neither another store's entries, nor values of a history a restore undid,
   * nor a Redis restored from an old snapshot can serve.
   */
  private async treeFromRedis(org: string, before: TreeSnapshot | undefined): Promise<TreeSnapshot | null | undefined> {
    if (!this.redis?.ready) return undefined;
    const started = Date.now();
    let current: TreeVersion | null;
    try {
      current = await this.loader.treeVersion(org);
    } catch (error) {
      this.logger.debug({ err: error }, "tree version read failed");
      return undefined; // the load from PostgreSQL meets the same failure and reports it
    }
    if (!current) {
      this.metrics.lookup("postgres", "miss");
      this.rememberUnknown(org, started);
      return null;
    }
    this.checkStore(current.store);
    if (before && before.store === current.store && `t:${before.root}` === current.key && before.version > current.version) {
      this.restored(current.key, before.version, current.version);
    }
    try {
      let text = await this.redis.value(current.key, current.version, current.stamp);
      if (text === null) {
        // Not stored yet: one sidecar loads it, the rest wait a little for it.
        if (await this.redis.claim(current.key, current.version, current.stamp, SINGLE_FLIGHT_MS)) {
          this.metrics.lookup("redis", "miss");
          return undefined;
        }
        text = await this.awaitValue(current);
      }
      const snapshot = text === null ? undefined : new TreeSnapshot(JSON.parse(text) as TreeData, text.length);
      if (
        !snapshot ||
        snapshot.store !== current.store ||
        `t:${snapshot.root}` !== current.key ||
        snapshot.version !== current.version ||
        snapshot.stamp !== current.stamp ||
        !snapshot.has(org)
      ) {
        this.metrics.lookup("redis", "miss");
        return undefined;
      }
      snapshot.freshAt = started; // PostgreSQL said this version was current when the probe started
      this.metrics.lookup("redis", "hit");
      this.keep(snapshot);
      return snapshot;
    } catch (error) {
      this.metrics.lookup("redis", "miss");
      this.logger.debug({ err: error }, "redis tier read failed");
      return undefined;
    }
  }

  private async awaitValue(current: TreeVersion): Promise<string | null> {
    const deadline = Date.now() + SINGLE_FLIGHT_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(5);
      const text = await this.redis!.value(current.key, current.version, current.stamp);
      if (text !== null) return text;
    }
    return null;
  }

  private keep(snapshot: TreeSnapshot): void {
    if (snapshot.store !== this.storeId) return; // read before the store was replaced
    const key = `t:${snapshot.root}`;
    if ((this.heard.peek(key) ?? 0) > snapshot.version) return; // already replaced: used once, not kept
    const old = this.trees.peek(snapshot.root);
    if (old && old.version > snapshot.version) return;
    this.trees.set(snapshot.root, snapshot);
    for (const id of snapshot.orgIds()) {
      this.orgIndex.set(id, snapshot);
      this.unknownOrgs.delete(id);
    }
  }

  private unindex(snapshot: TreeSnapshot): void {
    for (const id of snapshot.orgIds()) if (this.orgIndex.get(id) === snapshot) this.orgIndex.delete(id);
  }

  private rememberUnknown(org: string, at: number): void {
    if (this.unknownOrgs.size >= UNKNOWN_ORGS_MAX) this.unknownOrgs.clear();
    this.unknownOrgs.set(org, at);
  }

  /** Best effort: the Redis tier is a cache, its failure only costs the next reader a PostgreSQL load. */
  private publish(snapshot: TreeSnapshot, text: string): void {
    if (!this.redis?.ready || snapshot.store !== this.storeId) return;
    this.redis.put(`t:${snapshot.root}`, snapshot.version, snapshot.stamp, text).catch((error: unknown) => {
      this.logger.debug({ err: error }, "redis tier write failed");
    });
  }

  // ---- users, roles, staff ----

  /** The user (null: unknown) if memory can answer now, undefined when it must be loaded. */
  warmUser(id: string, token: GraphVersions | undefined, now: number): UserRecord | null | undefined {
    const cached = this.users.get(id);
    return cached && this.fresh(cached.freshAt, now) && satisfies(token, `u:${id}`, cached.version) ? cached.user : undefined;
  }

  async user(id: string, token?: GraphVersions): Promise<UserRecord | null> {
    const now = Date.now();
    const warm = this.warmUser(id, token, now);
    if (warm !== undefined) return warm;
    const key = `u:${id}`;
    const load = (after: number) =>
      this.shared(key, after, () =>
        this.guarded(async (): Promise<CachedUser> => {
          const started = Date.now();
          const loaded = await this.loader.user(id);
          return { version: loaded.version, stamp: loaded.stamp, user: loaded.value, freshAt: started };
        }),
      );
    const cached = this.users.peek(id);
    const entry = token
      ? await this.atLeast(token, this.known(key, cached, now), load, (e) => ({ key, version: e.version }))
      : await load(-1);
    this.rememberUser(id, entry);
    return entry.user;
  }

  /** Caches a user read from PostgreSQL unless a newer version was heard of meanwhile. */
  private rememberUser(id: string, entry: CachedUser): void {
    if ((this.heard.peek(`u:${id}`) ?? 0) <= entry.version) this.users.set(id, entry);
  }

  warmRoles(token: GraphVersions | undefined, now: number): Map<string, RoleRecord> | undefined {
    const cached = this.roles;
    return cached && this.fresh(cached.freshAt, now) && satisfies(token, "roles", cached.version) ? cached.value : undefined;
  }

  async roleSet(token?: GraphVersions): Promise<Map<string, RoleRecord>> {
    const warm = this.warmRoles(token, Date.now());
    if (warm) return warm;
    const loaded = await this.versionedSet(token, "roles", this.roles, () => this.loader.roles());
    if ((this.heard.peek("roles") ?? 0) <= loaded.version) this.roles = loaded;
    return loaded.value;
  }

  warmStaff(token: GraphVersions | undefined, now: number): Map<string, StaffRecord> | undefined {
    const cached = this.staff;
    return cached && this.fresh(cached.freshAt, now) && satisfies(token, "staff", cached.version) ? cached.value : undefined;
  }

  async staffSet(token?: GraphVersions): Promise<Map<string, StaffRecord>> {
    const warm = this.warmStaff(token, Date.now());
    if (warm) return warm;
    const loaded = await this.versionedSet(token, "staff", this.staff, () => this.loader.staff());
    if ((this.heard.peek("staff") ?? 0) <= loaded.version) this.staff = loaded;
    return loaded.value;
  }

  private async versionedSet<T>(
    token: GraphVersions | undefined,
    key: "roles" | "staff",
    cached: CachedSet<T> | undefined,
    read: () => Promise<Versioned<Map<string, T>>>,
  ): Promise<CachedSet<T>> {
    const load = (after: number) =>
      this.shared(key, after, () =>
        this.guarded(async (): Promise<CachedSet<T>> => {
          const started = Date.now();
          const loaded = await read();
          return { version: loaded.version, stamp: loaded.stamp, value: loaded.value, freshAt: started };
        }),
      );
    if (!token) return load(-1);
    return this.atLeast(token, this.known(key, cached, Date.now()), load, (set) => ({ key, version: set.version }));
  }

  /** A cached entry's version, when it is fresh enough to say which version this process knows of. */
  private known(key: string, cached: { version: number; freshAt: number } | undefined, now: number) {
    return cached && this.fresh(cached.freshAt, now) ? { key, version: cached.version } : undefined;
  }

  private async guarded<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      throw error instanceof AuthzError ? error : new AuthzError("graph_unavailable", "org graph store unreachable", { cause: error });
    }
  }

  /**
   * One load of `name` at a time: a caller joins the load in flight when it started after `after` (a value of
   * `loadCounter`: loads started later read PostgreSQL after whatever happened at `after`), else starts one.
   * `after` -1 joins any load.
   */
  private shared<T>(name: string, after: number, run: () => Promise<T>): Promise<T> {
    const current = this.inflight.get(name);
    if (current && current.started > after) return current.promise as Promise<T>;
    const started = ++this.loadCounter;
    const promise = run().finally(() => {
      if (this.inflight.get(name)?.promise === promise) this.inflight.delete(name);
    });
    this.inflight.set(name, { started, promise });
    return promise;
  }

  /**
   * A read that must be at least as new as `token`. PostgreSQL is not polled: when what this process knows is older
   * than the token, the read waits for the change feed to announce the version (every read waiting on a key wakes
   * on the same notification and they share one load), and gives up after `consistencyWaitMs` with
   * graph_unavailable. Only with a feed that has gone silent does it ask PostgreSQL again, every POLL_MS, shared.
   * `known`: the version a fresh cached copy has (no load needed to learn it).
   */
  private async atLeast<T>(
    token: GraphVersions,
    known: { key: string; version: number } | undefined,
    load: (after: number) => Promise<T>,
    versionOf: (value: T) => { key: string; version: number } | null,
  ): Promise<T> {
    const arrived = Date.now();
    const deadline = arrived + this.options.consistencyWaitMs;
    let after: number | undefined = known && !this.postgresVersions.has(token) ? undefined : this.loadCounter;
    /** The feed announced the version before the load about to run began. */
    let announced = false;
    for (;;) {
      if (after !== undefined) {
        const value = await load(after);
        const got = versionOf(value);
        if (!got || satisfies(token, got.key, got.version)) return value;
        if (announced && known?.key === got.key) {
          // Heard as committed before this load began, yet PostgreSQL has an older version: it went back in time.
          this.restored(got.key, token.get(got.key) ?? 0, got.version);
          throw notInTime();
        }
        known = got;
      }
      const key = known!.key;
      const now = Date.now();
      if (now >= deadline) throw notInTime();
      const live = now - this.feedFreshAsOf() <= this.options.heartbeatMs * LIVE_BEATS;
      // A silent feed: poll on a common grid, so every read waiting at once wakes together and joins one load.
      const until = live ? deadline : Math.min(deadline, Math.ceil((now + 1) / POLL_MS) * POLL_MS);
      const waitingFrom = this.loadCounter;
      const woken = await this.heardOf(key, token.get(key) ?? 0, until);
      if (woken) {
        after = woken.at;
        announced = woken.heard;
        continue;
      }
      // Any load started since this wait began is newer than what this read has seen.
      after = waitingFrom;
      announced = false;
      if (Date.now() < deadline) continue; // a silent feed: ask PostgreSQL again
      // The feed confirmed, after this read arrived, that every committed change was delivered: no such version yet.
      if (this.feedFreshAsOf() >= arrived) throw notInTime();
      const value = await load(after);
      const got = versionOf(value);
      if (!got || satisfies(token, got.key, got.version)) return value;
      throw notInTime();
    }
  }

  /**
   * Resolves when `key` is heard at `need` or later (heard: true), when every waiter must look again (a resync, a
   * truncate, a new store: heard false), or with null at `until`. `at` is the load counter at the wake-up, so
   * everyone woken together can share one load.
   */
  private heardOf(key: string, need: number, until: number): Promise<{ at: number; heard: boolean } | null> {
    if ((this.heard.peek(key) ?? 0) >= need) return Promise.resolve({ at: this.loadCounter, heard: true });
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiters = set;
      const waiter = {
        need,
        wake: (result: { at: number; heard: boolean } | null) => {
          clearTimeout(timer);
          waiters.delete(waiter);
          if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
          resolve(result);
        },
      };
      const timer = setTimeout(() => waiter.wake(null), Math.max(0, until - Date.now()));
      waiters.add(waiter);
    });
  }

  private wakeAll(): void {
    const at = this.loadCounter;
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.wake({ at, heard: false });
  }

  // ---- invalidation (ChangeSink) ----

  change(key: string, version: number, source: ChangeSource): void {
    this.metrics.invalidation(source);
    if ((this.heard.peek(key) ?? 0) < version) this.heard.set(key, version);
    const waiting = this.waiters.get(key);
    if (waiting) {
      const at = this.loadCounter;
      for (const w of [...waiting]) if (w.need <= version) w.wake({ at, heard: true });
    }
    if (key.startsWith("t:")) {
      const snapshot = this.trees.peek(key.slice(2));
      if (snapshot && snapshot.version < version) this.trees.delete(snapshot.root);
      // A new or moved org may be one we remembered as unknown.
      this.unknownOrgs.clear();
    } else if (key.startsWith("u:")) {
      const id = key.slice(2);
      const cached = this.users.peek(id);
      if (cached && cached.version < version) this.users.delete(id);
    } else if (key === "roles") {
      if (this.roles && this.roles.version < version) this.roles = undefined;
    } else if (key === "staff") {
      if (this.staff && this.staff.version < version) this.staff = undefined;
    } else if (key === "all") {
      this.clear();
      this.wakeAll();
    }
  }

  /**
   * Re-checks every cached version against PostgreSQL: drops what changed, confirms the rest. A store with another
   * identity, or a cached or heard version ahead of PostgreSQL's (a restore), drops everything.
   */
  async resync(): Promise<void> {
    const started = Date.now();
    // Versions as they are before the query: what PostgreSQL answers cannot be older than these, short of a restore.
    const trees = [...this.trees.values()];
    const users = [...this.users.keys()].map((id) => [id, this.users.peek(id)?.version] as const);
    const roles = this.roles?.version;
    const staff = this.staff?.version;
    const keys = [...trees.map((t) => `t:${t.root}`), ...users.map(([u]) => `u:${u}`), "roles", "staff"];
    const heardBefore = keys.map((k): [string, number] => [k, this.heard.peek(k) ?? 0]);
    const { store, versions: current } = await this.loader.current(keys);
    if (store !== this.storeId) return this.checkStore(store);
    const held: [string, number | undefined][] = [
      ...trees.filter((t) => t.store === store).map((t): [string, number] => [`t:${t.root}`, t.version]),
      ...users.map(([id, v]): [string, number | undefined] => [`u:${id}`, v]),
      ["roles", roles],
      ["staff", staff],
      ...heardBefore,
    ];
    const ahead = held.find(([key, version]) => version !== undefined && version > (current.get(key)?.version ?? 0));
    if (ahead) {
      this.restored(ahead[0], ahead[1]!, current.get(ahead[0])?.version ?? 0);
      return;
    }
    // The same version with another stamp is another history (a restore that new writes have caught up with).
    const same = (key: string, entry: { version: number; stamp: string }) => {
      const now = current.get(key);
      return now !== undefined && now.version === entry.version && now.stamp === entry.stamp;
    };
    this.unknownOrgs.clear();
    for (const t of trees) {
      if (t.store === store && same(`t:${t.root}`, t)) t.freshAt = Math.max(t.freshAt, started);
      else this.trees.delete(t.root);
    }
    for (const [id] of users) {
      const cached = this.users.peek(id);
      if (!cached) continue;
      if (same(`u:${id}`, cached)) cached.freshAt = Math.max(cached.freshAt, started);
      else this.users.delete(id);
    }
    if (this.roles) {
      if (same("roles", this.roles)) this.roles.freshAt = Math.max(this.roles.freshAt, started);
      else this.roles = undefined;
    }
    if (this.staff) {
      if (same("staff", this.staff)) this.staff.freshAt = Math.max(this.staff.freshAt, started);
      else this.staff = undefined;
    }
    this.wakeAll();
  }

  clear(): void {
    this.trees.clear();
    this.orgIndex.clear();
    this.unknownOrgs.clear();
    this.users.clear();
    this.roles = undefined;
    this.staff = undefined;
  }

  stats(): { trees: number; orgs: number; users: number; bytes: number } {
    let bytes = 0;
    for (const t of this.trees.values()) bytes += t.bytes;
    return { trees: this.trees.size, orgs: this.orgIndex.size, users: this.users.size, bytes };
  }
}

function notInTime(): AuthzError {
  return new AuthzError("graph_unavailable", "org graph data as new as the graphToken did not arrive in time");
}

function satisfies(token: GraphVersions | undefined, key: string, version: number): boolean {
  if (!token) return true;
  const need = token.get(key);
  return need === undefined || version >= need;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
