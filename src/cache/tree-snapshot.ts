import type { SliceMembership, SliceOrg, TreeInfo } from "../model/graph-slice.ts";
import type { TreeData } from "../model/tree-data.ts";
import { deepFreeze, freezeUnmarked, type DeepFrozen } from "../model/deep-frozen.ts";
import { encodeToken } from "../model/graph-token.ts";

export interface OrgNode {
  readonly id: string;
  readonly name: string;
  readonly parent: string | null;
  readonly status: string;
  readonly inheritRoles: boolean;
  readonly attributes: Record<string, unknown>;
  readonly overLimit: string;
  readonly path: readonly string[];
  readonly children: string[];
  readonly slice: SliceOrg;
}

/** The tree-dependent part of a slice for one (subject, acting org): memoized, since decisions repeat. */
export interface PathSlice {
  readonly orgs: DeepFrozen<Readonly<Record<string, SliceOrg>>>;
  readonly memberships: DeepFrozen<readonly SliceMembership[]>;
  /** Role keys the memberships reference (custom ones go into the slice). */
  readonly roleKeys: readonly string[];
}


const SLICE_MEMO_MAX = 4096;
const NO_MEMBERSHIPS: readonly SliceMembership[] = deepFreeze([]);

/** A tree indexed for slicing: lookups by org and by (user, org), built once per loaded version. */
export class TreeSnapshot {
  readonly root: string;
  readonly version: number;
  /** The store this was read from (its identity), and the random stamp of this version. */
  readonly store: string;
  readonly stamp: string;
  readonly nodes = new Map<string, OrgNode>();
  /**
   * user -> that user's membership in this tree, or memberships when more than one: most users hold one, and an array
   * per user cost about 56 bytes each on a tree of a million memberships.
   */
  private readonly byUser = new Map<string, SliceMembership | SliceMembership[]>();
  readonly membershipCount: number;
  /**
   * A path snapshot (`s` given): only the orgs on some paths and one user's memberships there, enough for that
   * user's decisions on those paths (pathSlice, has, membership) but not for subtrees, heights or other users.
   */
  readonly partial: boolean;
  private readonly orgCount: number;
  /** Bytes of the serialized form: a memory estimate for status and the benchmark. */
  readonly bytes: number;
  /** Time (ms) as of which this version is known to be the newest: its load, or the feed's last confirmation. */
  freshAt = 0;
  private readonly memo = new Map<string, PathSlice>();
  private readonly subtreeMemo = new Map<string, DeepFrozen<Readonly<Record<string, SliceOrg>>>>();
  private heights?: Map<string, number>;
  private info?: DeepFrozen<TreeInfo>;
  private tokenText?: string;

  constructor(data: TreeData, bytes: number) {
    this.root = data.r;
    this.version = data.v;
    this.store = data.i;
    this.stamp = data.x ?? "";
    this.bytes = bytes;
    for (const [id, parent, name, status, inheritRoles, attributes, overLimit] of data.o) {
      const parentNode = parent === null ? undefined : this.nodes.get(parent);
      // Rows come parents-first; a parent missing here would mean a torn read, which one statement cannot give.
      // Frozen once here, unmarked to keep big trees small (freezeUnmarked): the slices that share them stay immutable.
      const path = freezeUnmarked(parentNode ? [...parentNode.path, id] : [id]);
      const slice = freezeUnmarked({ parent, status, inheritRoles, path });
      this.nodes.set(id, { id, name, parent, status, inheritRoles, attributes, overLimit, path, children: [], slice });
      parentNode?.children.push(id);
    }
    // Most memberships share a few role lists: one frozen array per distinct list keeps big trees small.
    const roleLists = new Map<string, readonly string[]>();
    for (const [user, org, roles, inheritable, limits] of data.m) {
      const key = roles.join("\u0000");
      let shared = roleLists.get(key);
      if (!shared) roleLists.set(key, (shared = deepFreeze(roles)));
      const m: SliceMembership = freezeUnmarked(limits ? { org, roles: shared, inheritable, limits } : { org, roles: shared, inheritable });
      const held = this.byUser.get(user);
      if (held === undefined) this.byUser.set(user, m);
      else if (Array.isArray(held)) held.push(m);
      else this.byUser.set(user, [held, m]);
    }
    this.membershipCount = data.m.length;
    this.partial = data.s !== undefined;
    this.orgCount = data.s ?? this.nodes.size;
  }

  /** Orgs in the tree. */
  get size(): number {
    return this.orgCount;
  }

  get overLimit(): string {
    return this.nodes.get(this.root)?.overLimit ?? "approval";
  }

  /** `graph.tree` of the input contract. */
  get treeInfo(): DeepFrozen<TreeInfo> {
    return (this.info ??= deepFreeze({ root: this.root, size: this.size, overLimit: this.overLimit }));
  }

  /** The graphToken of data read from this snapshot. */
  get token(): string {
    return (this.tokenText ??= encodeToken(this.store, [[`t:${this.root}`, this.version]]));
  }

  has(org: string): boolean {
    return this.nodes.has(org);
  }

  /** The orgs on `org`'s path and the subject's memberships there (README: what the slice must contain). */
  pathSlice(subject: string, org: string): PathSlice {
    const key = subject + "\u0000" + org;
    const hit = this.memo.get(key);
    if (hit) return hit;
    const node = this.nodes.get(org);
    const orgs: Record<string, SliceOrg> = {};
    const memberships: SliceMembership[] = [];
    const roleKeys = new Set<string>();
    if (node) {
      const mine = this.membershipsOf(subject);
      for (const id of node.path) {
        const n = this.nodes.get(id);
        if (n) orgs[id] = n.slice;
        for (const m of mine) {
          if (m.org !== id) continue;
          memberships.push(m);
          for (const r of m.roles) roleKeys.add(r);
        }
      }
    }
    const slice: PathSlice = deepFreeze({
      orgs: deepFreeze(orgs),
      memberships: deepFreeze(memberships),
      roleKeys: deepFreeze([...roleKeys]),
    });
    if (this.memo.size >= SLICE_MEMO_MAX) this.memo.clear();
    this.memo.set(key, slice);
    return slice;
  }

  /** The orgs on `org`'s path and below it (order scopes, org.tree), memoized per org. */
  subtreeOrgs(org: string): DeepFrozen<Readonly<Record<string, SliceOrg>>> {
    let orgs = this.subtreeMemo.get(org);
    if (!orgs) {
      const out: Record<string, SliceOrg> = {};
      for (const id of this.nodes.get(org)?.path ?? []) {
        const n = this.nodes.get(id);
        if (n) out[id] = n.slice;
      }
      for (const n of this.subtree(org)) out[n.id] = n.slice;
      orgs = deepFreeze(out);
      if (this.subtreeMemo.size >= SLICE_MEMO_MAX) this.subtreeMemo.clear();
      this.subtreeMemo.set(org, orgs);
    }
    return orgs;
  }

  /** `org` and all its descendants, parents first. */
  subtree(org: string): OrgNode[] {
    const start = this.nodes.get(org);
    if (!start) return [];
    const out: OrgNode[] = [start];
    for (let i = 0; i < out.length; i++) {
      for (const c of out[i]!.children) {
        const n = this.nodes.get(c);
        if (n) out.push(n);
      }
    }
    return out;
  }

  /** Levels from `org` down to its deepest descendant (a leaf is 1). */
  height(org: string): number {
    if (!this.heights) {
      const heights = new Map<string, number>();
      const order = this.subtree(this.root);
      for (let i = order.length - 1; i >= 0; i--) {
        const n = order[i]!;
        let h = 1;
        for (const c of n.children) h = Math.max(h, (heights.get(c) ?? 0) + 1);
        heights.set(n.id, h);
      }
      this.heights = heights;
    }
    return this.heights.get(org) ?? 0;
  }

  /** `user`'s membership at `org`, if any. */
  membership(user: string, org: string): SliceMembership | undefined {
    return this.membershipsOf(user).find((m) => m.org === org);
  }

  /** Orgs of this tree where `user` has a membership, sorted. */
  orgsOf(user: string): string[] {
    return this.membershipsOf(user).map((m) => m.org).sort();
  }

  private membershipsOf(user: string): readonly SliceMembership[] {
    const held = this.byUser.get(user);
    if (held === undefined) return NO_MEMBERSHIPS;
    return Array.isArray(held) ? held : [held];
  }

  /** Every org id, for the org -> tree index. */
  orgIds(): IterableIterator<string> {
    return this.nodes.keys();
  }
}
