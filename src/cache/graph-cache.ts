import type { Logger } from "pino";
import { AuthzError } from "../errors.ts";
import type { FactLoader, Versioned } from "../store/fact-loader.ts";
import type { RoleRecord, StaffRecord, UserRecord } from "../store/graph-schemas.ts";
import type { GraphVersions } from "../store/graph-token.ts";
import type { CacheMetrics } from "./cache-metrics.ts";
import type { ChangeSink, ChangeSource } from "./change-feed.ts";
import { Lru } from "./lru.ts";
import type { RedisTier } from "./redis-tier.ts";
import { TreeSnapshot, type TreeData } from "./tree-snapshot.ts";

export interface GraphCacheOptions {
  maxTrees: number;
  maxUsers: number;
  /** How long cached data may serve without confirmation that no change was missed (PostgreSQL down). */
  maxStalenessMs: number;
  /** How long a read waits for data as new as a graphToken. */
  consistencyWaitMs: number;
}

interface CachedUser {
  version: number;
  user: UserRecord | null;
  freshAt: number;
}

interface CachedSet<T> {
  version: number;
  value: Map<string, T>;
  freshAt: number;
}

const UNKNOWN_ORGS_MAX = 10_000;
const RETRY_MS = 25;
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
  private readonly trees: Lru<string, TreeSnapshot>;
  private readonly orgIndex = new Map<string, TreeSnapshot>();
  /** Orgs PostgreSQL did not know, and when: spares it repeated lookups of unknown ids. */
  private readonly unknownOrgs = new Map<string, number>();
  private readonly users: Lru<string, CachedUser>;
  private roles: CachedSet<RoleRecord> | undefined;
  private staff: CachedSet<StaffRecord> | undefined;
  /** Newest version heard per key, so a load that raced a change is not cached as current. */
  private readonly heard = new Lru<string, number>(100_000);
  private readonly loading = new Map<string, Promise<TreeSnapshot | null>>();
  private feedFreshAsOf: () => number = () => 0;

  constructor(
    private readonly loader: FactLoader,
    private readonly redis: RedisTier | undefined,
    private readonly options: GraphCacheOptions,
    private readonly metrics: CacheMetrics,
    private readonly logger: Logger,
  ) {
    this.trees = new Lru(options.maxTrees, (_root, snapshot) => this.unindex(snapshot));
    this.users = new Lru(options.maxUsers);
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
    const warm = this.warmTree(org, token, Date.now());
    if (warm !== undefined) return warm;
    if (token) return this.loadTree(org, token);
    let pending = this.loading.get(org);
    if (!pending) {
      pending = this.loadTree(org).finally(() => this.loading.delete(org));
      this.loading.set(org, pending);
    }
    return pending;
  }

  /**
   * The trees holding each of `orgs` (null: no such org), for a batch's resource orgs: one PostgreSQL round trip
   * finds which exist and where, so many unknown orgs cost one query, and each tree among them loads once.
   */
  async treesOf(orgs: readonly string[], token?: GraphVersions): Promise<Map<string, TreeSnapshot | null>> {
    const found = new Map<string, TreeSnapshot | null>();
    const now = Date.now();
    const cold: string[] = [];
    for (const org of new Set(orgs)) {
      const warm = this.warmTree(org, token, now);
      if (warm === undefined) cold.push(org);
      else found.set(org, warm);
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
    if (this.cachedTree(org, token, Date.now()) !== undefined || this.loading.has(org)) return null;
    const started = Date.now();
    let tree: TreeSnapshot;
    let loadedUser: Versioned<UserRecord | null> | undefined;
    try {
      const loaded = await this.loader.pathsOf([org, ...resourceOrgs], user);
      if (!loaded) return null;
      tree = new TreeSnapshot(loaded.tree.data, loaded.tree.text.length);
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
    this.rememberUser(user, { version: loadedUser.version, user: loadedUser.value, freshAt: started });
    return { tree, user: loadedUser.value };
  }

  /** A cached snapshot only (no load), for status and admin facts that already loaded it. */
  peekTree(org: string): TreeSnapshot | undefined {
    return this.orgIndex.get(org);
  }

  private async loadTree(org: string, token?: GraphVersions): Promise<TreeSnapshot | null> {
    const deadline = Date.now() + this.options.consistencyWaitMs;
    for (;;) {
      const fromRedis = await this.treeFromRedis(org, token);
      if (fromRedis) return fromRedis;
      const started = Date.now();
      let failure: unknown;
      try {
        const loaded = await this.loader.treeOf(org);
        this.metrics.lookup("postgres", loaded ? "hit" : "miss");
        if (!loaded) {
          this.rememberUnknown(org, started);
          return null;
        }
        const snapshot = new TreeSnapshot(loaded.data, loaded.text.length);
        snapshot.freshAt = started;
        this.store(snapshot);
        this.publish(`t:${snapshot.root}`, snapshot.version, loaded.text, snapshot);
        if (satisfies(token, `t:${snapshot.root}`, snapshot.version)) return snapshot;
      } catch (error) {
        failure = error;
      }
      // PostgreSQL unreachable, or older than the token asks (a token from elsewhere): wait only with a token.
      if (!token || Date.now() + RETRY_MS > deadline) {
        throw new AuthzError(
          "graph_unavailable",
          failure ? "org graph store unreachable and no fresh cached copy" : "org graph data as new as the graphToken did not arrive in time",
          failure ? { cause: failure } : {},
        );
      }
      await sleep(RETRY_MS);
    }
  }

  private async treeFromRedis(org: string, token?: GraphVersions): Promise<TreeSnapshot | null> {
    if (!this.redis?.ready) return null;
    if (!this.fresh(0, Date.now())) return null; // the relay's pointer is only as current as the feed
    try {
      let hit = await this.redis.treeOf(org);
      if (hit && hit.text === null && (this.heard.peek(hit.key) ?? 0) <= hit.version && satisfies(token, hit.key, hit.version)) {
        // The current version is not stored yet: one sidecar loads it, the rest wait a little for it.
        if (await this.redis.claim(hit.key, hit.version, SINGLE_FLIGHT_MS)) return null;
        hit = await this.awaitValue(org, hit.key, hit.version);
      }
      if (!hit?.text || (this.heard.peek(hit.key) ?? 0) > hit.version || !satisfies(token, hit.key, hit.version)) {
        this.metrics.lookup("redis", "miss");
        return null;
      }
      const snapshot = new TreeSnapshot(JSON.parse(hit.text) as TreeData, hit.text.length);
      if (!snapshot.has(org)) {
        this.metrics.lookup("redis", "miss"); // the org moved: its hint is older than the tree
        return null;
      }
      snapshot.freshAt = Math.min(Date.now(), this.feedFreshAsOf());
      this.metrics.lookup("redis", "hit");
      this.store(snapshot);
      return snapshot;
    } catch (error) {
      this.metrics.lookup("redis", "miss");
      this.logger.debug({ err: error }, "redis tier read failed");
      return null;
    }
  }

  private async awaitValue(org: string, key: string, version: number) {
    const deadline = Date.now() + SINGLE_FLIGHT_WAIT_MS;
    while (Date.now() < deadline) {
      await sleep(5);
      const hit = await this.redis!.treeOf(org);
      if (!hit || hit.key !== key || hit.version !== version || hit.text) return hit;
    }
    return null;
  }

  private store(snapshot: TreeSnapshot): void {
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
  private publish(key: string, version: number, text: string, snapshot?: TreeSnapshot): void {
    if (!this.redis?.ready) return;
    this.redis.put(key, version, text, snapshot?.orgIds()).catch((error: unknown) => {
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
    const warm = this.warmUser(id, token, Date.now());
    if (warm !== undefined) return warm;
    const key = `u:${id}`;
    const entry = await this.retrying(token, key, async () => {
      const started = Date.now();
      const loaded = await this.loader.user(id);
      return { version: loaded.version, user: loaded.value, freshAt: started };
    });
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
    const loaded = await this.retrying(token, "roles", () => this.timed(() => this.loader.roles()));
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
    const loaded = await this.retrying(token, "staff", () => this.timed(() => this.loader.staff()));
    if ((this.heard.peek("staff") ?? 0) <= loaded.version) this.staff = loaded;
    return loaded.value;
  }

  private async timed<T>(load: () => Promise<Versioned<Map<string, T>>>): Promise<CachedSet<T>> {
    const started = Date.now();
    const loaded = await load();
    return { version: loaded.version, value: loaded.value, freshAt: started };
  }

  /** Loads from PostgreSQL; with a token, retries until the version arrives or the wait is over. */
  private async retrying<T extends { version: number }>(token: GraphVersions | undefined, key: string, load: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.consistencyWaitMs;
    for (;;) {
      let failure: unknown;
      try {
        const value = await load();
        if (satisfies(token, key, value.version)) return value;
      } catch (error) {
        failure = error;
      }
      if (!token || Date.now() + RETRY_MS > deadline) {
        throw new AuthzError("graph_unavailable", failure ? "org graph store unreachable" : "org graph data as new as the graphToken did not arrive in time", failure ? { cause: failure } : {});
      }
      await sleep(RETRY_MS);
    }
  }

  // ---- invalidation (ChangeSink) ----

  change(key: string, version: number, source: ChangeSource): void {
    this.metrics.invalidation(source);
    if ((this.heard.peek(key) ?? 0) < version) this.heard.set(key, version);
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
    }
  }

  /** Re-checks every cached version against PostgreSQL: drops what changed, confirms the rest. */
  async resync(): Promise<void> {
    const started = Date.now();
    const trees = [...this.trees.values()];
    const users = [...this.users.keys()];
    const keys = [...trees.map((t) => `t:${t.root}`), ...users.map((u) => `u:${u}`), "roles", "staff"];
    const current = await this.loader.versions(keys);
    this.unknownOrgs.clear();
    for (const t of trees) {
      if (current.get(`t:${t.root}`) === t.version) t.freshAt = Math.max(t.freshAt, started);
      else this.trees.delete(t.root);
    }
    for (const id of users) {
      const cached = this.users.peek(id);
      if (!cached) continue;
      if (current.get(`u:${id}`) === cached.version) cached.freshAt = Math.max(cached.freshAt, started);
      else this.users.delete(id);
    }
    if (this.roles) {
      if (current.get("roles") === this.roles.version) this.roles.freshAt = Math.max(this.roles.freshAt, started);
      else this.roles = undefined;
    }
    if (this.staff) {
      if (current.get("staff") === this.staff.version) this.staff.freshAt = Math.max(this.staff.freshAt, started);
      else this.staff = undefined;
    }
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

function satisfies(token: GraphVersions | undefined, key: string, version: number): boolean {
  if (!token) return true;
  const need = token.get(key);
  return need === undefined || version >= need;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
