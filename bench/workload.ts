/**
 * The requests of each run, drawn (seeded) from a dataset: single checks shaped like storefront traffic, their
 * Cerbos equivalents, batches, the order query on the 500-org tree, cold requests (one per untouched tree), one
 * request per tree to warm the whole store, and the write-to-visible probe.
 */
import { prng, type DatasetIndex, type GenMembership, type GenOrder, type GenTree } from "./data-generator.ts";

export type CheckKind = "inherited_admin" | "owner_view" | "owner_place" | "member_view" | "outsider_view";

export interface CheckBody {
  subject: { id: string; kind: "user" };
  org: string;
  action: string;
  resource?: { type: "order"; id?: string; org: string; buyer?: string; attributes?: { total: number } };
}

/** The Cerbos check of the same question: the app resolves the subject's roles in the acting org; Cerbos decides. */
export interface CerbosBody {
  requestId: string;
  principal: { id: string; roles: string[]; attr: { actingOrg: string; adminOrgs: string[] } };
  resources: { actions: string[]; resource: { kind: "order"; id: string; attr: { org: string; path: string[]; buyer: string; total: number } } }[];
}

export interface CheckCase {
  kind: CheckKind;
  body: CheckBody;
  cerbos: CerbosBody;
}

/** Root admins of every tree, found in one pass. */
export function rootAdmins(index: DatasetIndex): Map<string, string> {
  const out = new Map<string, string>();
  const roots = new Set(index.data.trees.map((t) => t.root));
  for (const m of index.data.memberships) {
    if (roots.has(m.org) && m.roles[0] === "org_admin" && !out.has(m.org) && index.user.get(m.user)?.status === "active") out.set(m.org, m.user);
  }
  return out;
}

/** Memberships that give `user` roles in `org` (direct there, inheritable above it); the path must be plain. */
export function effectiveMemberships(index: DatasetIndex, user: string, org: string): GenMembership[] {
  return index.membershipsOnPath(user, org).filter((m) => m.org === org || m.inheritable);
}

function cerbosOf(index: DatasetIndex, body: CheckBody, order: GenOrder, n: number): CerbosBody {
  const effective = effectiveMemberships(index, body.subject.id, body.org);
  const roles = [...new Set(effective.flatMap((m) => m.roles))].sort();
  const adminOrgs = effective.filter((m) => m.roles.includes("org_admin")).map((m) => m.org);
  return {
    requestId: `r${n}`,
    principal: { id: body.subject.id, roles: roles.length > 0 ? roles : ["none"], attr: { actingOrg: body.org, adminOrgs } },
    resources: [
      {
        actions: [body.action],
        resource: { kind: "order", id: order.id, attr: { org: order.org, path: index.path.get(order.org) ?? [], buyer: order.buyer, total: order.total } },
      },
    ],
  };
}

const PLACE_ROLES = new Set(["buyer", "bc_senior_buyer", "org_admin"]);

/**
 * One single check about `order`: viewed by the company's admin (inherited), its buyer (or placed by them),
 * another member of its org, or a user of the company `otherTree()` picks. Undefined when the draw gives a case
 * the Cerbos policy cannot express (inactive orgs or users, checkout limits) or no such user exists.
 */
export function drawCase(index: DatasetIndex, rnd: () => number, admins: ReadonlyMap<string, string>, order: GenOrder, otherTree: () => GenTree, n: number): CheckCase | undefined {
  const org = order.org;
  if (!index.plainPath(org)) return undefined;
  const tree = index.treeOf.get(org)!;
  const r = rnd();
  let kind: CheckKind;
  let subject: string | undefined;
  if (r < 0.3) {
    kind = "inherited_admin";
    subject = admins.get(tree.root);
  } else if (r < 0.6) {
    subject = order.buyer;
    const granting = effectiveMemberships(index, subject, org);
    const canPlaceSimply = granting.some((m) => m.roles.some((k) => PLACE_ROLES.has(k))) && granting.every((m) => !m.limits);
    kind = canPlaceSimply && rnd() < 0.3 ? "owner_place" : "owner_view";
  } else if (r < 0.8) {
    kind = "member_view";
    const members = membersOf(index, org).filter((u) => u !== order.buyer);
    subject = members[Math.floor(rnd() * members.length)];
  } else {
    kind = "outsider_view";
    const other = otherTree();
    if (other.root === tree.root) return undefined;
    subject = admins.get(other.root);
    if (subject && index.membershipsOnPath(subject, org).length > 0) return undefined;
  }
  if (!subject || index.user.get(subject)?.status !== "active") return undefined;
  const action = kind === "owner_place" ? "order.place" : "order.view";
  const body: CheckBody = {
    subject: { id: subject, kind: "user" },
    org,
    action,
    resource: { type: "order", id: order.id, org, buyer: order.buyer, attributes: { total: order.total } },
  };
  return { kind, body, cerbos: cerbosOf(index, body, order, n) };
}

/**
 * `count` single checks (the repeated-bodies rows): an order somewhere in the store (uniform over orders, so big
 * companies get more traffic) and a subject as drawCase picks, with other companies drawn uniformly.
 */
export function checkCases(index: DatasetIndex, count: number, seed = 7): CheckCase[] {
  const rnd = prng(seed);
  const admins = rootAdmins(index);
  const orders = index.data.orders;
  const trees = index.data.trees;
  const cases: CheckCase[] = [];
  for (let attempts = 0; cases.length < count && attempts < count * 50; attempts++) {
    const order = orders[Math.floor(rnd() * orders.length)]!;
    const drawn = drawCase(index, rnd, admins, order, () => trees[Math.floor(rnd() * trees.length)]!, cases.length);
    if (drawn) cases.push(drawn);
  }
  return cases;
}

const membersCache = new WeakMap<DatasetIndex, Map<string, string[]>>();
export function membersOf(index: DatasetIndex, org: string): string[] {
  let byOrg = membersCache.get(index);
  if (!byOrg) {
    byOrg = new Map();
    for (const m of index.data.memberships) {
      let list = byOrg.get(m.org);
      if (!list) byOrg.set(m.org, (list = []));
      list.push(m.user);
    }
    membersCache.set(index, byOrg);
  }
  return byOrg.get(org) ?? [];
}

export interface BatchBody {
  subject: { id: string; kind: "user" };
  org: string;
  checks: { action: string; resource: NonNullable<CheckBody["resource"]> }[];
}

/**
 * Batches of `size` checks: the admin of a 5-level company acting in one of its level-2 units, asking about
 * orders across that unit's subtree (view, place, update), as an order list page would.
 */
export function batchBodies(index: DatasetIndex, count: number, size = 100, seed = 11): BatchBody[] {
  const rnd = prng(seed);
  const admins = rootAdmins(index);
  const bigTrees = index.data.trees.filter((t) => t.kind === "five-level" && admins.has(t.root));
  const out: BatchBody[] = [];
  const actions = ["order.view", "order.place", "order.update"];
  for (let i = 0; out.length < count && i < count * 20; i++) {
    const tree = bigTrees[i % bigTrees.length]!;
    const units = tree.orgs.filter((id) => index.path.get(id)?.length === 2);
    const unit = units[Math.floor(rnd() * units.length)];
    if (!unit) continue;
    const below = tree.orgs.filter((id) => index.path.get(id)?.includes(unit));
    const orders = below.flatMap((id) => index.ordersAt.get(id) ?? []);
    if (orders.length === 0) continue;
    const checks = Array.from({ length: size }, () => {
      const o = orders[Math.floor(rnd() * orders.length)]!;
      return {
        action: actions[Math.floor(rnd() * actions.length)]!,
        resource: { type: "order" as const, id: o.id, org: o.org, buyer: o.buyer, attributes: { total: o.total } },
      };
    });
    out.push({ subject: { id: admins.get(tree.root)!, kind: "user" }, org: unit, checks });
  }
  return out;
}

/** The order query of the 500-org tree's admin acting at its root: a scope of all 500 orgs. */
export function orderQueryBody(index: DatasetIndex): { subject: { id: string; kind: "user" }; org: string } {
  const tree = index.data.trees.find((t) => t.orgs.length === 500)!;
  const admin = rootAdmins(index).get(tree.root);
  if (!admin) throw new Error(`no admin at ${tree.root}`);
  return { subject: { id: admin, kind: "user" }, org: tree.root };
}

export interface TreeRequest {
  tree: GenTree;
  body: CheckBody;
}

/** One check in each of `trees`: its admin views an order in one of its orgs (without orders: no resource). */
export function treeRequests(index: DatasetIndex, trees: GenTree[], seed = 13): TreeRequest[] {
  const rnd = prng(seed);
  const admins = rootAdmins(index);
  const out: TreeRequest[] = [];
  for (const tree of trees) {
    // A company whose admin is disabled is still loaded by a check of the probe user (who has no memberships).
    const subject = admins.get(tree.root) ?? index.data.probeUser;
    const org = tree.orgs[Math.floor(rnd() * tree.orgs.length)]!;
    const order = (index.ordersAt.get(org) ?? [])[0];
    const body: CheckBody = { subject: { id: subject, kind: "user" }, org, action: "order.view" };
    if (order) body.resource = { type: "order", id: order.id, org, buyer: order.buyer, attributes: { total: order.total } };
    out.push({ tree, body });
  }
  return out;
}

/** `count` distinct trees in seeded random order, none of `exclude`; `kind` restricts the shape. */
export function sampleTrees(index: DatasetIndex, count: number, exclude: ReadonlySet<string>, kind?: GenTree["kind"], seed = 17): GenTree[] {
  const rnd = prng(seed);
  const pool = index.data.trees.filter((t) => !exclude.has(t.root) && (kind === undefined || t.kind === kind));
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

export interface Probe {
  org: string;
  user: string;
  check: CheckBody;
}

/** The write-to-visible probe: the probe user (no memberships) and an org of a small company. */
export function visibilityProbe(index: DatasetIndex): Probe {
  const tree = index.data.trees.find((t) => t.kind === "three-level" && index.plainPath(t.orgs.at(-1)!)) ?? index.data.trees[0]!;
  const org = tree.orgs.at(-1)!;
  const user = index.data.probeUser;
  return {
    org,
    user,
    check: { subject: { id: user, kind: "user" }, org, action: "order.view", resource: { type: "order", org, buyer: user } },
  };
}
