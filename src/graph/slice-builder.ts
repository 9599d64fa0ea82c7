import type { GraphCache } from "../cache/graph-cache.ts";
import type { TreeSnapshot } from "../cache/tree-snapshot.ts";
import type { AdminSliceRequest, DecisionFacts, GraphSlice, GraphSliceData, SliceRequest, SubjectRef } from "../decisions/graph-port.ts";
import { toAuthzError } from "../errors.ts";
import { deepFreeze, type DeepFrozen } from "../model/deep-frozen.ts";
import type { RoleRecord, StaffRecord, UserRecord } from "../model/graph-schemas.ts";
import type { SliceMembership, SliceOrg, SliceUser } from "../model/graph-slice.ts";
import type { GraphVersions } from "../model/graph-token.ts";
import type { FactLoader } from "../store/fact-loader.ts";

/** What one slice is built from. */
interface Facts {
  tree: TreeSnapshot | null;
  roles: Map<string, RoleRecord>;
  user?: UserRecord | null;
  staff?: StaffRecord | null;
  /** Trees of resource orgs outside the acting tree (null: unknown org). */
  others?: Map<string, TreeSnapshot | null>;
}

/** Adds the path of each of `ids` found in `trees` (an org of another tree too, so the policy can say cross_tree). */
function withPaths(
  orgs: Readonly<Record<string, SliceOrg>>,
  trees: (TreeSnapshot | null)[],
  ids: string[],
): Readonly<Record<string, SliceOrg>> {
  let out: Record<string, SliceOrg> | undefined;
  for (const id of ids) {
    if (orgs[id] || out?.[id]) continue;
    const tree = trees.find((t) => t?.has(id));
    if (!tree) continue; // unknown: stays missing, the policy says unknown_org
    out ??= { ...orgs };
    for (const p of tree.nodes.get(id)?.path ?? []) {
      const n = tree.nodes.get(p);
      if (n) out[p] = n.slice;
    }
  }
  // A new record per decision: left unmarked, so the memo keys it by content (a mark would make every key new).
  return out ?? orgs;
}

const NO_ORGS = deepFreeze<Readonly<Record<string, SliceOrg>>>({});
const NO_MEMBERSHIPS = deepFreeze<readonly SliceMembership[]>([]);
const NO_ROLES = deepFreeze<Readonly<Record<string, DeepFrozen<RoleRecord>>>>({});

/**
 * Builds the graph slice of each decision from the cache: decisions (`slice`) read snapshots as they are
 * (warm: no I/O), administration decisions (`adminSlice`) first ask PostgreSQL for the tree's current version,
 * since they guard writes. Assembly only: the cache holds the facts, the store's queries read what it cannot.
 */
export class SliceBuilder implements DecisionFacts {
  private readonly sliceUsers = new WeakMap<UserRecord, DeepFrozen<SliceUser>>();
  private readonly roleObjects = new WeakMap<
    readonly string[],
    { from: Map<string, RoleRecord>; roles: DeepFrozen<Readonly<Record<string, DeepFrozen<RoleRecord>>>> }
  >();

  constructor(
    private readonly cache: GraphCache,
    private readonly store: Pick<FactLoader, "currentVersions" | "orgsOfUser">,
  ) {}

  /** Warm (every fact in memory): builds synchronously and returns a settled promise; else loads first. */
  slice(request: SliceRequest): Promise<GraphSlice> {
    let token: GraphVersions | undefined;
    try {
      token = request.atLeast ? this.cache.decodeToken(request.atLeast) : undefined;
    } catch (error) {
      return Promise.reject(toAuthzError(error, "invalid_request", "consistency.atLeast"));
    }
    const { subject, org, resourceOrgs } = request;
    const subtree = request.subtree === true;
    const warm = this.warmFacts(subject, org, token, resourceOrgs);
    if (warm) return Promise.resolve(this.assemble(warm, subject, org, subtree, resourceOrgs));
    return this.loadFacts(subject, org, token, subtree, resourceOrgs).then((facts) => this.assemble(facts, subject, org, subtree, resourceOrgs));
  }

  /** The facts of a slice if memory holds them all, without I/O. */
  private warmFacts(subject: SubjectRef, org: string | undefined, token: GraphVersions | undefined, resourceOrgs?: string[]): Facts | undefined {
    const now = Date.now();
    const tree = org === undefined ? null : this.cache.warmTree(org, token, now);
    if (tree === undefined) return undefined;
    const roles = this.cache.warmRoles(token, now);
    if (!roles) return undefined;
    const facts: Facts = { tree, roles };
    if (subject.kind === "staff") {
      const staff = this.cache.warmStaff(token, now);
      if (!staff) return undefined;
      facts.staff = staff.get(subject.id) ?? null;
    } else {
      const user = this.cache.warmUser(subject.id, token, now);
      if (user === undefined) return undefined;
      facts.user = user;
    }
    if (resourceOrgs && resourceOrgs.length > 0 && tree) {
      for (const id of resourceOrgs) {
        if (tree.has(id)) continue;
        const other = this.cache.warmTree(id, token, now);
        if (other === undefined) return undefined;
        (facts.others ??= new Map()).set(id, other);
      }
    }
    return facts;
  }

  private async loadFacts(
    subject: SubjectRef,
    org: string | undefined,
    token: GraphVersions | undefined,
    /** Admin decisions and subtrees read beyond the paths: they wait for the whole tree. */
    wholeTree: boolean,
    resourceOrgs?: string[],
  ): Promise<Facts> {
    // Independent reads, in flight together: a cold decision waits for the slowest, not for their sum. A cold
    // tree is read as a path snapshot together with the user, in one round trip.
    const staff = subject.kind === "staff";
    const [path, roles, staffRecord] = await Promise.all([
      org === undefined || wholeTree ? null : this.cache.pathFacts(org, staff ? null : subject.id, resourceOrgs ?? [], token),
      this.cache.roleSet(token),
      staff ? this.cache.staffSet(token).then((all) => all.get(subject.id) ?? null) : undefined,
    ]);
    const [tree, user] = await Promise.all([
      path ? path.tree : org === undefined ? null : this.cache.tree(org, token),
      staff || path?.user !== undefined ? path?.user : this.cache.user(subject.id, token),
    ]);
    const facts: Facts = { tree, roles };
    if (staff) facts.staff = staffRecord ?? null;
    else facts.user = user ?? null;
    const outside = tree && resourceOrgs ? resourceOrgs.filter((id) => !tree.has(id)) : [];
    if (outside.length > 0) facts.others = await this.cache.treesOf(outside, token);
    return facts;
  }

  /** The slice from its facts: shared frozen parts, so a warm slice allocates one small object. */
  private assemble(facts: Facts, subject: SubjectRef, org: string | undefined, subtree: boolean, resourceOrgs?: string[]): GraphSlice {
    const staff = subject.kind === "staff";
    const graph: GraphSliceData = { tree: null, orgs: NO_ORGS, memberships: NO_MEMBERSHIPS, roles: NO_ROLES };
    if (staff) graph.staff = facts.staff ?? null;
    else graph.user = this.sliceUser(facts.user ?? null);
    const tree = facts.tree;
    if (!tree || org === undefined) return { graph, graphToken: this.cache.emptyToken };
    // Staff hold no memberships: their path slice is the orgs alone.
    const path = tree.pathSlice(staff ? "\u0000staff" : subject.id, org);
    graph.tree = tree.treeInfo;
    graph.memberships = path.memberships;
    graph.roles = path.roleKeys.length > 0 ? this.customRoles(path.roleKeys, facts.roles) : NO_ROLES;
    // Staff act in the whole acting tree (MODEL "Staff"): their order scope is every org of it.
    graph.orgs = subtree ? tree.subtreeOrgs(staff ? tree.root : org) : path.orgs;
    if (resourceOrgs && resourceOrgs.length > 0) graph.orgs = withPaths(graph.orgs, [tree, ...(facts.others?.values() ?? [])], resourceOrgs);
    return { graph, graphToken: tree.token };
  }

  private sliceUser(user: UserRecord | null): DeepFrozen<SliceUser> | null {
    if (!user) return null;
    let s = this.sliceUsers.get(user);
    if (!s) this.sliceUsers.set(user, (s = deepFreeze({ id: user.id, status: user.status })));
    return s;
  }

  /** The custom roles among `keys` (built-in templates come from the policy bundle). */
  private customRoles(keys: readonly string[], custom: Map<string, RoleRecord>): DeepFrozen<Readonly<Record<string, DeepFrozen<RoleRecord>>>> {
    const memo = this.roleObjects.get(keys);
    if (memo && memo.from === custom) return memo.roles;
    // The role records are the cache's own: frozen, so no reader of a slice can change what the next one reads.
    const frozen = deepFreeze<Readonly<Record<string, DeepFrozen<RoleRecord>>>>(pickRoles(keys, custom));
    this.roleObjects.set(keys, { from: custom, roles: frozen });
    return frozen;
  }

  // ---- administration ----

  async adminSlice(request: AdminSliceRequest): Promise<GraphSlice> {
    const actor = request.actor;
    const change = (typeof request.change === "object" && request.change !== null ? request.change : {}) as Record<string, unknown>;
    const token = await this.currentVersions(request, change);
    const base = this.assemble(await this.loadFacts(actor, request.org, token, true), actor, request.org, false);
    const graph: GraphSliceData = { ...base.graph };
    const tree = request.org !== undefined ? this.cache.peekTree(request.org) : undefined;
    const roleKeys = new Set<string>(Object.keys(graph.roles));
    const changeRoles = Array.isArray(change.roles) ? change.roles.filter((r): r is string => typeof r === "string") : [];
    for (const r of changeRoles) roleKeys.add(r);

    switch (request.operation) {
      case "org.reparent": {
        const org = request.org;
        if (tree && org !== undefined && tree.has(org)) graph.subtree = subtreeShape(tree, org);
        const parent = typeof change.parent === "string" ? change.parent : null;
        graph.targetTree = null;
        if (parent !== null) {
          const target = await this.cache.tree(parent, token);
          if (target) {
            graph.targetTree = { root: target.root, size: target.size };
            graph.orgs = withPaths(graph.orgs, [target], [parent]);
          }
        }
        break;
      }
      case "org.tree":
        if (tree && request.org !== undefined) graph.orgs = tree.subtreeOrgs(request.org);
        break;
      case "membership.put":
      case "membership.delete": {
        // An inheritable membership cascades into the org's subtree: the policy judges where, so it gets the whole
        // subtree and its size (to tell a complete subtree from a partial one).
        if (request.operation === "membership.put" && tree && request.org !== undefined && tree.has(request.org)) {
          graph.orgs = tree.subtreeOrgs(request.org);
          graph.subtree = subtreeShape(tree, request.org);
        }
        const userId = typeof change.user === "string" ? change.user : "";
        const membership = (request.org !== undefined && tree?.membership(userId, request.org)) || null;
        for (const r of membership?.roles ?? []) roleKeys.add(r);
        graph.target = { user: this.sliceUser(await this.cache.user(userId, token)), membership };
        break;
      }
      case "user.put":
      case "user.view": {
        const userId = typeof change.id === "string" ? change.id : "";
        // Every org the user belongs to, in every tree: editing an account needs managing all of them, so an org of
        // another tree must reach the policy (it is never in the actor's scope there; only acting-tree paths are sent).
        const [user, orgs] = await Promise.all([
          this.cache.user(userId, token).then((u) => this.sliceUser(u)),
          this.store.orgsOfUser(userId),
        ]);
        if (tree) graph.orgs = withPaths(graph.orgs, [tree], orgs);
        graph.target = { user, orgs };
        break;
      }
      default:
        break;
    }
    if (roleKeys.size > 0) {
      const custom = await this.cache.roleSet(token);
      // Built for this decision only, so keyed by content (input-json.ts); the records in it are the cache's, frozen.
      graph.roles = pickRoles(roleKeys, custom);
    }
    return { graph, graphToken: base.graphToken };
  }

  /**
   * The versions PostgreSQL holds now for everything an admin decision reads, used as a token: administration
   * guards writes, so it never reads a cache that has not yet heard of a change. One round trip.
   */
  private async currentVersions(request: AdminSliceRequest, change: Record<string, unknown>): Promise<GraphVersions> {
    const given = request.atLeast ? this.cache.decodeToken(request.atLeast) : undefined;
    const orgs = [request.org, typeof change.parent === "string" ? change.parent : undefined].filter((o): o is string => !!o);
    const users = [request.actor.kind === "staff" ? undefined : request.actor.id, change.user, change.id].filter(
      (u): u is string => typeof u === "string",
    );
    const versions = new Map<string, number>(given ?? []);
    for (const [key, version] of await this.store.currentVersions(orgs, users)) versions.set(key, Math.max(version, versions.get(key) ?? 0));
    return this.cache.readFromPostgres(versions);
  }
}

/** The custom roles among `keys` (built-in templates come from the policy bundle), each the cache's record, frozen. */
function pickRoles(keys: Iterable<string>, custom: Map<string, RoleRecord>): Record<string, DeepFrozen<RoleRecord>> {
  const roles: Record<string, DeepFrozen<RoleRecord>> = {};
  for (const k of keys) {
    const r = custom.get(k);
    if (r) roles[k] = deepFreeze(r);
  }
  return roles;
}

/** `graph.subtree` of the input contract: the subtree's height and size below `org`. */
function subtreeShape(tree: TreeSnapshot, org: string): { height: number; size: number } {
  return { height: tree.height(org), size: tree.subtree(org).length };
}
