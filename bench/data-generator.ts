/**
 * Seeded, deterministic synthetic B2B customers for the benchmarks: many small flat companies, some 5-level trees
 * of up to 500 orgs (the first tree is always a full 500-org tree, 1/5/20/80/394 by level), memberships with
 * inherited and explicit roles (built-in role keys and one custom role), a few users in several trees, and orders
 * per org. The same seed and size give the same data, byte for byte.
 */

export type SizeName = "small" | "medium" | "large";

export interface DatasetSize {
  orgs: number;
  memberships: number;
}

/** 1,000 to 100,000 orgs, about ten memberships per org. */
export const SIZES: Record<SizeName, DatasetSize> = {
  small: { orgs: 1_000, memberships: 10_000 },
  medium: { orgs: 10_000, memberships: 100_000 },
  large: { orgs: 100_000, memberships: 1_000_000 },
};

/** Bumped whenever the generator's output changes, so a cached database is regenerated. */
export const GENERATOR_VERSION = 1;

export interface GenOrg {
  id: string;
  name: string;
  parent: string | null;
  status: "active" | "inactive" | "suspended";
  inheritRoles: boolean;
  overLimit?: "approval" | "deny";
}

export interface GenUser {
  id: string;
  email: string;
  status: "active" | "disabled";
}

export interface GenMembership {
  user: string;
  org: string;
  roles: string[];
  inheritable: boolean;
  limits?: { maxOrderTotal: number };
}

export interface GenOrder {
  id: string;
  org: string;
  buyer: string;
  total: number;
}

export interface GenRole {
  key: string;
  name: string;
  permissions: { code: string; level: 1 | 2 | 3 }[];
  assignableByBuyers: boolean;
  checkout: "direct" | "approval";
}

export type TreeKind = "flat" | "two-level" | "three-level" | "five-level";

export interface GenTree {
  root: string;
  kind: TreeKind;
  /** Org ids parents first (index 0 is the root). */
  orgs: string[];
  depth: number;
}

export interface Dataset {
  seed: number;
  size: DatasetSize;
  roles: GenRole[];
  staff: { id: string; roles: string[] }[];
  trees: GenTree[];
  orgs: GenOrg[];
  users: GenUser[];
  memberships: GenMembership[];
  orders: GenOrder[];
  /** A user with no membership, for write-to-visible probes. */
  probeUser: string;
}

/** The custom role every dataset carries (checkout through approval, like Emporix requesters). */
export const CUSTOM_ROLE: GenRole = {
  key: "bench_requester",
  name: "Requester (bench)",
  permissions: [
    { code: "order.place", level: 2 },
    { code: "order.view", level: 1 },
  ],
  assignableByBuyers: true,
  checkout: "approval",
};

export const STAFF_ID = "ops-bench";
const PROBE_USER = "probe-0";

/** mulberry32: small, fast, good enough for synthetic data; deterministic across platforms. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (rnd: () => number, lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));

/** Org counts by level (index 0: the root) for a tree of `size` orgs of `kind`. */
function levelSizes(kind: TreeKind, size: number): number[] {
  switch (kind) {
    case "flat":
      return [1];
    case "two-level":
      return [1, size - 1];
    case "three-level": {
      const l2 = Math.max(1, Math.round((size - 1) * 0.2));
      return [1, l2, size - 1 - l2];
    }
    case "five-level": {
      const l2 = Math.max(1, Math.round(size * 0.01));
      const l3 = Math.max(1, Math.round(size * 0.04));
      const l4 = Math.max(1, Math.round(size * 0.16));
      return [1, l2, l3, l4, size - 1 - l2 - l3 - l4];
    }
  }
}

function pickKind(rnd: () => number): { kind: TreeKind; size: number } {
  const r = rnd();
  if (r < 0.55) return { kind: "flat", size: 1 };
  if (r < 0.85) return { kind: "two-level", size: between(rnd, 2, 8) };
  if (r < 0.97) return { kind: "three-level", size: between(rnd, 10, 60) };
  return { kind: "five-level", size: between(rnd, 100, 500) };
}

/** Roles of one (non-admin) membership: mostly buyers, some viewers and BigCommerce buyers, a few custom. */
function memberRoles(rnd: () => number): string[] {
  const r = rnd();
  if (r < 0.5) return ["buyer"];
  if (r < 0.65) return ["viewer"];
  if (r < 0.8) return ["bc_senior_buyer"];
  if (r < 0.87) return ["bc_junior_buyer"];
  if (r < 0.92) return [CUSTOM_ROLE.key];
  return ["buyer", "viewer"];
}

/**
 * Generates a dataset of about `size.orgs` orgs (exactly) and `size.memberships` memberships (within a few
 * percent), deterministic for a seed.
 */
export function generateDataset(size: DatasetSize, seed = 42): Dataset {
  const rnd = prng(seed);
  const perOrg = size.memberships / size.orgs;
  const trees: GenTree[] = [];
  const orgs: GenOrg[] = [];
  const users: GenUser[] = [];
  const memberships: GenMembership[] = [];
  const orders: GenOrder[] = [];
  let nextUser = 0;
  const newUser = (): string => {
    const id = `u${nextUser++}`;
    users.push({ id, email: `${id}@bench.test`, status: rnd() < 0.005 ? "disabled" : "active" });
    return id;
  };

  let remaining = size.orgs;
  let bigOrgs = 0;
  for (let t = 0; remaining > 0; t++) {
    // Tree 0 is the full 500-org, 5-level tree of the order-query benchmark.
    let { kind, size: treeSize } = t === 0 ? { kind: "five-level" as TreeKind, size: 500 } : pickKind(rnd);
    // Big trees hold at most 60% of the orgs, so small stores are still mostly small companies.
    if (t > 0 && kind === "five-level" && bigOrgs + treeSize > 0.6 * size.orgs) ({ kind, size: treeSize } = { kind: "three-level", size: between(rnd, 10, 60) });
    if (kind === "five-level") bigOrgs += Math.min(treeSize, remaining);
    treeSize = Math.min(treeSize, remaining);
    if (kind === "five-level" && treeSize < 5) kind = treeSize === 1 ? "flat" : "two-level";
    else if (kind === "three-level" && treeSize < 3) kind = treeSize === 1 ? "flat" : "two-level";
    else if (kind === "two-level" && treeSize < 2) kind = "flat";
    remaining -= treeSize;

    const root = `c${t}`;
    const levels = levelSizes(kind, treeSize);
    const tree: GenTree = { root, kind, orgs: [], depth: levels.length };
    let previous: string[] = [];
    levels.forEach((count, level) => {
      const current: string[] = [];
      for (let i = 0; i < count; i++) {
        const id = level === 0 ? root : `${root}-${level}.${i}`;
        const parent = level === 0 ? null : previous[level === 1 ? 0 : Math.floor(rnd() * previous.length)]!;
        const r = rnd();
        const org: GenOrg = {
          id,
          name: level === 0 ? `Company ${t}` : `Company ${t} unit ${level}.${i}`,
          parent,
          status: level > 0 && r < 0.01 ? "inactive" : level > 0 && r < 0.013 ? "suspended" : "active",
          inheritRoles: level === 0 || rnd() >= 0.02,
        };
        if (level === 0) org.overLimit = rnd() < 0.1 ? "deny" : "approval";
        orgs.push(org);
        tree.orgs.push(id);
        current.push(id);
      }
      previous = current;
    });
    trees.push(tree);

    // Memberships: a per-tree pool of users, the company admin at the root, unit admins, members by role.
    const counts = tree.orgs.map(() => Math.max(1, Math.round(perOrg * (0.25 + 1.5 * rnd()))));
    const total = counts.reduce((a, b) => a + b, 0);
    const pool: string[] = [];
    const poolSize = Math.max(1, Math.ceil(total / 2));
    for (let i = 0; i < poolSize; i++) pool.push(newUser());
    let cursor = 0;
    tree.orgs.forEach((org, index) => {
      const taken = new Set<string>();
      for (let k = 0; k < counts[index]!; k++) {
        let user = cursor < pool.length ? pool[cursor++]! : pool[Math.floor(rnd() * pool.length)]!;
        for (let tries = 0; taken.has(user) && tries < 8; tries++) user = pool[Math.floor(rnd() * pool.length)]!;
        if (taken.has(user)) continue;
        taken.add(user);
        const admin = k === 0 && (index === 0 || rnd() < 0.3);
        const roles = admin ? ["org_admin"] : memberRoles(rnd);
        const m: GenMembership = { user, org, roles, inheritable: admin || rnd() < 0.6 };
        if (roles[0] === "buyer" && rnd() < 0.1) m.limits = { maxOrderTotal: between(rnd, 5, 50) * 100 };
        memberships.push(m);
      }
    });
  }

  // A few users in several trees: consultants with a viewer or buyer role in 2 to 4 companies.
  const consultants = Math.max(5, Math.round(size.orgs / 500));
  for (let c = 0; c < consultants; c++) {
    const id = `x${c}`;
    users.push({ id, email: `${id}@consulting.test`, status: "active" });
    const n = between(rnd, 2, 4);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const tree = trees[Math.floor(rnd() * trees.length)]!;
      const org = tree.orgs[Math.floor(rnd() * tree.orgs.length)]!;
      if (seen.has(tree.root)) continue;
      seen.add(tree.root);
      memberships.push({ user: id, org, roles: [rnd() < 0.5 ? "viewer" : "buyer"], inheritable: true });
    }
  }
  users.push({ id: PROBE_USER, email: `${PROBE_USER}@bench.test`, status: "active" });

  // Orders: 1 to 5 per org, placed by members of that org (or of the tree's root when the org has none).
  const membersAt = new Map<string, string[]>();
  for (const m of memberships) {
    let list = membersAt.get(m.org);
    if (!list) membersAt.set(m.org, (list = []));
    list.push(m.user);
  }
  let orderNo = 0;
  for (const tree of trees) {
    for (const org of tree.orgs) {
      const buyers = membersAt.get(org) ?? membersAt.get(tree.root) ?? [];
      if (buyers.length === 0) continue;
      const n = between(rnd, 1, 5);
      for (let i = 0; i < n; i++) {
        orders.push({ id: `o${orderNo++}`, org, buyer: buyers[Math.floor(rnd() * buyers.length)]!, total: between(rnd, 1, 4000) });
      }
    }
  }

  return {
    seed,
    size,
    roles: [CUSTOM_ROLE],
    staff: [{ id: STAFF_ID, roles: ["store_admin"] }],
    trees,
    orgs,
    users,
    memberships,
    orders,
    probeUser: PROBE_USER,
  };
}

/** Indexes over a dataset that the workloads and the peers' data need. */
export class DatasetIndex {
  readonly org = new Map<string, GenOrg>();
  readonly treeOf = new Map<string, GenTree>();
  readonly path = new Map<string, string[]>();
  readonly user = new Map<string, GenUser>();
  /** user -> org -> membership */
  readonly memberships = new Map<string, Map<string, GenMembership>>();
  readonly ordersAt = new Map<string, GenOrder[]>();

  constructor(readonly data: Dataset) {
    for (const o of data.orgs) this.org.set(o.id, o);
    for (const t of data.trees) for (const id of t.orgs) this.treeOf.set(id, t);
    for (const o of data.orgs) {
      const parentPath = o.parent === null ? [] : this.path.get(o.parent)!;
      this.path.set(o.id, [...parentPath, o.id]);
    }
    for (const u of data.users) this.user.set(u.id, u);
    for (const m of data.memberships) {
      let byOrg = this.memberships.get(m.user);
      if (!byOrg) this.memberships.set(m.user, (byOrg = new Map<string, GenMembership>()));
      byOrg.set(m.org, m);
    }
    for (const o of data.orders) {
      let list = this.ordersAt.get(o.org);
      if (!list) this.ordersAt.set(o.org, (list = []));
      list.push(o);
    }
  }

  /** The subject's memberships on `org`'s path, root first (what the sidecar's slice carries). */
  membershipsOnPath(user: string, org: string): GenMembership[] {
    const mine = this.memberships.get(user);
    if (!mine) return [];
    return (this.path.get(org) ?? []).flatMap((id) => {
      const m = mine.get(id);
      return m ? [m] : [];
    });
  }

  /** Every org on the path is active and accepts inherited roles (below the root). */
  plainPath(org: string): boolean {
    return (this.path.get(org) ?? []).every((id) => {
      const o = this.org.get(id)!;
      return o.status === "active" && (o.parent === null || o.inheritRoles);
    });
  }
}
