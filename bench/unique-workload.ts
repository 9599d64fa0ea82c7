/**
 * The headline workloads of issue 11: requests shaped like a storefront's, no two alike. Companies are drawn
 * with a Zipf skew (weight 1/rank over the companies in a seeded random order: the first company gets about a
 * tenth of the traffic, most companies a little), then an order of that company, then who asks about it
 * (workload.ts drawCase: its admin, its buyer, another member, or the admin of another company drawn the same
 * way). A draw equal to an earlier one is drawn again, so the hottest companies run out of new questions and the
 * skew flattens at the top, as with real traffic where every checkout is a new order.
 */
import { prng, type DatasetIndex, type GenOrder, type GenTree } from "./data-generator.ts";
import type { PoolRequest } from "./request-pool.ts";
import { drawCase, rootAdmins, type BatchBody, type CheckBody, type CheckCase } from "./workload.ts";

/** What a pool's draw looked like: how many users and companies, and how skewed. */
export interface DrawStats {
  requests: number;
  users: number;
  trees: number;
  /** Share of the requests going to the busiest company, and to the busiest 1% of the users. */
  topTreeShare: number;
  topUsersShare: number;
  /** Draws thrown away for equalling an earlier request. */
  redrawn: number;
}

const SKEW = 1;

/** Orders of each company that has any, by root. */
function ordersByTree(index: DatasetIndex): Map<GenTree, GenOrder[]> {
  const out = new Map<GenTree, GenOrder[]>();
  for (const tree of index.data.trees) {
    const orders = tree.orgs.flatMap((id) => index.ordersAt.get(id) ?? []);
    if (orders.length > 0) out.set(tree, orders);
  }
  return out;
}

/** A Zipf draw over `trees` in a seeded random order. */
export function skewedSampler<T>(items: readonly T[], rnd: () => number, exponent = SKEW): () => T {
  const order = [...items];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const cumulative = new Float64Array(order.length);
  let sum = 0;
  order.forEach((_, i) => (cumulative[i] = sum += 1 / (i + 1) ** exponent));
  return () => {
    const x = rnd() * sum;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return order[lo]!;
  };
}

function statsOf(subjects: readonly string[], trees: readonly string[], redrawn: number): DrawStats {
  const count = (xs: readonly string[]) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
    return [...m.values()].sort((a, b) => b - a);
  };
  const users = count(subjects);
  const byTree = count(trees);
  const top = users.slice(0, Math.max(1, Math.round(users.length / 100))).reduce((a, b) => a + b, 0);
  return {
    requests: subjects.length,
    users: users.length,
    trees: byTree.length,
    topTreeShare: (byTree[0] ?? 0) / Math.max(1, trees.length),
    topUsersShare: top / Math.max(1, subjects.length),
    redrawn,
  };
}

/** `count` single checks, no two bodies alike, drawn as the module comment says. */
export function uniqueCheckCases(index: DatasetIndex, count: number, seed = 23): { cases: CheckCase[]; stats: DrawStats } {
  const rnd = prng(seed);
  const admins = rootAdmins(index);
  const orders = ordersByTree(index);
  const tree = skewedSampler([...orders.keys()], rnd);
  const anyTree = skewedSampler(index.data.trees, rnd);
  const seen = new Set<string>();
  const cases: CheckCase[] = [];
  let redrawn = 0;
  for (let attempts = 0; cases.length < count && attempts < count * 50; attempts++) {
    const list = orders.get(tree())!;
    const drawn = drawCase(index, rnd, admins, list[Math.floor(rnd() * list.length)]!, anyTree, cases.length);
    if (!drawn) continue;
    // The order fixes its org, buyer and total: these four make the body.
    const key = `${drawn.body.subject.id}\u0000${drawn.body.org}\u0000${drawn.body.action}\u0000${drawn.body.resource!.id}`;
    if (seen.has(key)) {
      redrawn++;
      continue;
    }
    seen.add(key);
    cases.push(drawn);
  }
  const stats = statsOf(
    cases.map((c) => c.body.subject.id),
    cases.map((c) => index.treeOf.get(c.body.org)!.root),
    redrawn,
  );
  return { cases, stats };
}

/**
 * One check per (subject, acting org) of `cases`, with no resource: sent before a measured run so the sidecar's
 * graph and user caches hold what the run asks about (as a running sidecar's do) while no measured body has been
 * seen.
 */
export function warmBodies(cases: readonly CheckCase[]): CheckBody[] {
  const seen = new Map<string, CheckBody>();
  for (const { body } of cases) {
    const key = `${body.subject.id}\u0000${body.org}`;
    if (!seen.has(key)) seen.set(key, { subject: body.subject, org: body.org, action: "order.view" });
  }
  return [...seen.values()];
}

const BATCH_ACTIONS = ["order.view", "order.place", "order.update"];

/**
 * `count` batches of `size` checks, no item asked twice in the pool: the admin of a 5-level company acting in one of its orgs of levels 1 to 3, asking view/place/update about orders across that org's subtree.
 */
export function uniqueBatchBodies(index: DatasetIndex, count: number, size: number, seed = 29): BatchBody[] {
  const rnd = prng(seed);
  const admins = rootAdmins(index);
  const big = index.data.trees.filter((t) => t.kind === "five-level" && admins.has(t.root));
  const units = new Map(big.map((t) => [t, t.orgs.filter((id) => (index.path.get(id)?.length ?? 9) <= 3)]));
  const below = new Map<string, GenOrder[]>();
  const ordersBelow = (unit: string, tree: GenTree) => {
    let list = below.get(unit);
    if (!list) below.set(unit, (list = tree.orgs.filter((id) => index.path.get(id)?.includes(unit)).flatMap((id) => index.ordersAt.get(id) ?? [])));
    return list;
  };
  // Uniform over the companies: with the skew, the busiest ones run out of unasked items within a few batches.
  const tree = () => big[Math.floor(rnd() * big.length)]!;
  const seen = new Set<string>();
  const out: BatchBody[] = [];
  for (let attempts = 0; out.length < count && attempts < count * 4; attempts++) {
    const t = tree();
    const unitList = units.get(t)!;
    const unit = unitList[Math.floor(rnd() * unitList.length)];
    if (!unit) continue;
    const orders = ordersBelow(unit, t);
    if (orders.length === 0) continue;
    const subject = admins.get(t.root)!;
    const checks: BatchBody["checks"] = [];
    for (let tries = 0; checks.length < size && tries < size * 4; tries++) {
      const o = orders[Math.floor(rnd() * orders.length)]!;
      const action = BATCH_ACTIONS[Math.floor(rnd() * BATCH_ACTIONS.length)]!;
      const key = `${subject}\u0000${unit}\u0000${action}\u0000${o.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      checks.push({ action, resource: { type: "order", id: o.id, org: o.org, buyer: o.buyer, attributes: { total: o.total } } });
    }
    if (checks.length === size) out.push({ subject: { id: subject, kind: "user" }, org: unit, checks });
  }
  return out;
}

/**
 * Order queries on the 500-org tree by every (admin, acting org) pair it has (an org admin acts in their org and,
 * when the role is inheritable, anywhere below it), in seeded random order: a different admin or acting org
 * each request, so the pool repeats only after all of them.
 */
export function orderQueryPairs(index: DatasetIndex, seed = 31): { subject: { id: string; kind: "user" }; org: string }[] {
  const rnd = prng(seed);
  const tree = index.data.trees.find((t) => t.orgs.length === 500);
  if (!tree) throw new Error("no 500-org tree in the store");
  const inTree = new Set(tree.orgs);
  const pairs: { subject: { id: string; kind: "user" }; org: string }[] = [];
  const seen = new Set<string>();
  for (const m of index.data.memberships) {
    if (!inTree.has(m.org) || !m.roles.includes("org_admin") || index.user.get(m.user)?.status !== "active") continue;
    const orgs = m.inheritable ? tree.orgs.filter((id) => index.path.get(id)?.includes(m.org)) : [m.org];
    for (const org of orgs) {
      const key = `${m.user}\u0000${org}`;
      if (seen.has(key)) continue;
      seen.add(key);
      pairs.push({ subject: { id: m.user, kind: "user" }, org });
    }
  }
  for (let i = pairs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [pairs[i], pairs[j]] = [pairs[j]!, pairs[i]!];
  }
  return pairs;
}

export const MIX = { check: 0.7, batch: 0.1, permissions: 0.1, ordersQuery: 0.1 } as const;
export const MIXED_BATCH_SIZE = 10;

/**
 * The mixed workload: about 70% single checks, 10% batches of MIXED_BATCH_SIZE, 10% `/v1/permissions` and 10%
 * order queries, each built from the next unique check of `cases` (its subject and acting org; a batch asks about
 * orders of the same company). A permissions or order-query body equal to an earlier one is skipped for the
 * next case's, so no two requests of the pool are alike.
 */
export function mixedRequests(index: DatasetIndex, cases: readonly CheckCase[], count: number, seed = 37): PoolRequest[] {
  const rnd = prng(seed);
  const orders = ordersByTree(index);
  const seen = new Set<string>();
  const out: PoolRequest[] = [];
  for (let i = 0; out.length < count && i < cases.length; i++) {
    const { body } = cases[i]!;
    const who = { subject: body.subject, org: body.org };
    const r = rnd();
    if (r < MIX.check) {
      out.push({ path: "/v1/check", body });
      continue;
    }
    if (r < MIX.check + MIX.batch) {
      const list = orders.get(index.treeOf.get(body.org)!)!;
      const checks = Array.from({ length: MIXED_BATCH_SIZE }, () => {
        const o = list[Math.floor(rnd() * list.length)]!;
        return { action: BATCH_ACTIONS[Math.floor(rnd() * BATCH_ACTIONS.length)]!, resource: { type: "order" as const, id: o.id, org: o.org, buyer: o.buyer, attributes: { total: o.total } } };
      });
      out.push({ path: "/v1/check/batch", body: { ...who, checks } });
      continue;
    }
    const path = r < MIX.check + MIX.batch + MIX.permissions ? "/v1/permissions" : "/v1/orders/query";
    const key = `${path}\u0000${who.subject.id}\u0000${who.org}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, body: who });
  }
  return out;
}
