import type pg from "pg";
import { CHECK_KEY, type TestSidecar } from "../http/sidecar-test-support.ts";
import { check, effectivePermissions, orderVisible, permissionCodes, type CheckAnswer, type Resource, type Subject, type World } from "./model.ts";
import {
  CaseIds,
  changedCase,
  importDocument,
  STAFF,
  VIEWER_OVERRIDE,
  worldOf,
  type CheckItem,
  type OracleCase,
  type OracleRequest,
  type SubjectRef,
} from "./oracle-case.ts";

/**
 * Runs a differential case against a real sidecar: imports the case's store through the API, fills the host's
 * orders table, sends every request over HTTP, and compares what matters for security (the decision, the
 * approvers' org, the visible orders, the effective permissions) with the model.
 */

export interface Disagreement {
  /** The single request that disagrees, in the case's terms (a fixture replays it). */
  request: OracleRequest;
  /** "first pass", or "after changes". */
  pass?: string;
  expected: unknown;
  actual: unknown;
}
export interface RunResult {
  decisions: number;
  disagreements: Disagreement[];
  /** How often the model expected each outcome (a vacuous run would be all denies). */
  outcomes: Record<string, number>;
}

/** The store-wide parts every case assumes: the staff and the custom role replacing a template. */
export async function prepareStore(t: TestSidecar, db: pg.Pool): Promise<void> {
  for (const s of Object.values(STAFF)) await t.sidecar.graph.putStaff(s.id, { roles: [...s.roles] });
  const { key, ...role } = VIEWER_OVERRIDE;
  const put = await t.call("PUT", `/v1/roles/${key}`, { actor: `staff:${STAFF.admin.id}`, body: role });
  if (put.status !== 200 && put.status !== 201) throw new Error(`could not override role ${key}: ${put.status} ${JSON.stringify(put.body)}`);
  await db.query("create table if not exists orders (id text primary key, org_id text not null, buyer_id text not null)");
}

/** How much of the sweep a case sends: about `sweepBudget` checks, and queries for about `sweepPairs` pairs. */
export interface RunOptions {
  sweepBudget: number;
  sweepPairs: number;
}

let runs = 0;

/**
 * Runs a case: `sidecars[0]` takes the writes, requests go to each sidecar in turn. With `changes`, every
 * request and the sweep run again after the writes, against the model of the changed store.
 */
export async function runCase(sidecars: TestSidecar[], db: pg.Pool, c: OracleCase, options: RunOptions): Promise<RunResult> {
  const writer = sidecars[0]!;
  const ids = new CaseIds(`r${++runs}${Math.random().toString(36).slice(2, 6)}`);
  const imported = await writer.call("POST", "/v1/import", { actor: `staff:${STAFF.admin.id}`, body: importDocument(c, ids) });
  if (imported.status !== 200) throw new Error(`import refused: ${imported.status} ${JSON.stringify(imported.body)}`);
  const someUser: Subject = { id: ids.user(0) };
  const orders = c.orders.map((o, i) => ({ id: ids.order(i), org: ids.org(o.org), buyer: ids.party(o.buyer, someUser) }));
  if (orders.length > 0) {
    await db.query("insert into orders (id, org_id, buyer_id) select * from unnest($1::text[], $2::text[], $3::text[])", [
      orders.map((o) => o.id),
      orders.map((o) => o.org),
      orders.map((o) => o.buyer),
    ]);
  }
  const passes: CaseRun[] = [];
  const first = new CaseRun(sidecars, db, worldOf(c, ids), ids, { atLeast: imported.body.graphToken as string }, orders);
  await first.all(c, options);
  passes.push(first);

  if (c.changes && c.changes.length > 0) {
    const changed = changedCase(c);
    const removals = new Set(c.changes.flatMap((change) => (change.kind === "removeMembership" ? [change.membership] : [])));
    for (const index of removals) {
      const m = c.memberships[index]!;
      const removed = await writer.call("DELETE", `/v1/orgs/${ids.org(m.org)}/members/${ids.user(m.user)}`, { actor: `staff:${STAFF.admin.id}` });
      if (removed.status >= 300) throw new Error(`membership removal refused: ${removed.status} ${JSON.stringify(removed.body)}`);
    }
    // One import of everything the case holds: its token covers every tree and user the changes touched.
    const { roles: _roles, ...document } = importDocument(changed, ids);
    const rewritten = await writer.call("POST", "/v1/import", { actor: `staff:${STAFF.admin.id}`, body: document });
    if (rewritten.status !== 200) throw new Error(`changes refused: ${rewritten.status} ${JSON.stringify(rewritten.body)}`);
    const second = new CaseRun(sidecars, db, worldOf(changed, ids), ids, { atLeast: rewritten.body.graphToken as string }, orders, "after changes");
    await second.all(changed, options);
    passes.push(second);
    // MODEL: a removed membership stops working at once, whatever a token says. The sidecar that took the writes
    // must answer from them even when asked with the token of before them.
    const stale = new CaseRun([writer], db, worldOf(changed, ids), ids, first.consistency, orders, "after changes, old token");
    for (const request of changed.requests) await stale.send(request);
    passes.push(stale);
  }

  const outcomes: Record<string, number> = {};
  for (const p of passes) for (const [k, n] of Object.entries(p.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
  return {
    decisions: passes.reduce((n, p) => n + p.decisions, 0),
    disagreements: passes.flatMap((p) => p.disagreements),
    outcomes,
  };
}

class CaseRun {
  decisions = 0;
  readonly disagreements: Disagreement[] = [];
  readonly outcomes: Record<string, number> = {};

  private turn = 0;

  constructor(
    private readonly sidecars: TestSidecar[],
    private readonly db: pg.Pool,
    readonly world: World,
    private readonly ids: CaseIds,
    readonly consistency: { atLeast: string },
    private readonly orders: { id: string; org: string; buyer: string }[],
    /** Which pass of the case this is, named in its disagreements. */
    private readonly pass = "first pass",
  ) {}

  /** The sidecar answering the next request: each in turn. */
  private get t(): TestSidecar {
    return this.sidecars[this.turn++ % this.sidecars.length]!;
  }

  /**
   * Asks `path` with `body` plus a forged slice and settings, as a hostile caller would: the sidecar gathers the
   * facts itself, so they must change nothing (the model never sees them). Refusing them (400 naming them) is as
   * good as ignoring them; then the plain request is asked.
   */
  private async ask(path: string, body: { subject: Subject; org: string; [field: string]: unknown }, viaData: boolean): Promise<{ status: number; body: any }> {
    const t = this.t;
    const send = (b: object) => t.call("POST", path, { key: CHECK_KEY, body: viaData ? { input: b } : b });
    const forged = { graph: forgedSlice(body.subject, body.org), settings: { maxDepth: 99, buyerOrgRole: "org_admin" } };
    const res = await send({ ...body, ...forged });
    if (res.status === 400 && /graph|settings/.test(JSON.stringify(res.body?.error?.details ?? []))) return send(body);
    return res;
  }

  async all(c: OracleCase, options: RunOptions): Promise<void> {
    for (const request of c.requests) await this.send(request);
    if (c.sweep !== false) await this.sweep(c, options);
  }

  async send(request: OracleRequest): Promise<void> {
    const subject = this.ids.subject(request.subject);
    const org = this.ids.org(request.org);
    switch (request.kind) {
      case "check":
        return this.checks(request, subject, org, [request], request.via === "data");
      case "batch":
        return this.checks(request, subject, org, request.checks, request.via === "data");
      case "ordersQuery":
        return this.ordersQuery(request, subject, org);
      case "ordersFilter":
        return this.ordersFilter(request, subject, org);
      case "permissions":
        return this.permissions(request, subject, org);
    }
  }

  private resource(item: CheckItem, subject: Subject): Resource | undefined {
    const r = item.resource;
    if (!r) return undefined;
    const attributes = {
      ...(r.total !== undefined ? { total: r.total } : {}),
      ...(r.spentInPeriod !== undefined ? { spentInPeriod: r.spentInPeriod } : {}),
    };
    return {
      type: r.type ?? "order",
      ...(r.org !== undefined ? { org: this.ids.org(r.org) } : {}),
      ...(r.buyer !== undefined ? { buyer: this.ids.party(r.buyer, subject) } : {}),
      ...(r.owner !== undefined ? { owner: this.ids.party(r.owner, subject) } : {}),
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
    };
  }

  /** A check, a batch, or either through the Data API: one decision per item, each compared with the model. */
  private async checks(request: OracleRequest, subject: Subject, org: string, items: CheckItem[], viaData: boolean): Promise<void> {
    const checks = items.map((item) => {
      const resource = this.resource(item, subject);
      return { action: item.action, ...(resource ? { resource } : {}) };
    });
    const single = request.kind === "check";
    let answers: unknown[];
    const plain = single ? { subject, org, ...checks[0], consistency: this.consistency } : { subject, org, checks, consistency: this.consistency };
    const path = viaData ? (single ? "/v1/data/b2b/check/decision" : "/v1/data/b2b/batch/results") : single ? "/v1/check" : "/v1/check/batch";
    const res = await this.ask(path, plain, viaData);
    this.decisions += checks.length;
    if (res.status !== 200) {
      this.disagreements.push({ pass: this.pass, request, expected: "200", actual: { status: res.status, body: res.body } });
      return;
    }
    if (viaData) answers = single ? [res.body.result] : res.body.result;
    else answers = single ? [res.body] : res.body.results;
    checks.forEach((c, i) => {
      const expected = check(this.world, subject, org, c.action, c.resource);
      const outcome = expected.decisions.join("|");
      this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      const actual = answers[i] as { decision: string; allow: boolean; approvers?: { org: string } } | undefined;
      const mismatch = compareDecision(expected, actual);
      if (!mismatch) return;
      const item = items[i]!;
      this.disagreements.push({
        pass: this.pass,
        request: { kind: "check", via: viaData ? "data" : "check", subject: request.subject, org: request.org, ...item },
        expected,
        actual: { decision: actual?.decision, allow: actual?.allow, approvers: actual?.approvers, reasons: (actual as any)?.reasons },
      });
    });
  }

  private async ordersQuery(request: OracleRequest & { via?: "data" }, subject: Subject, org: string): Promise<void> {
    const body = { subject, org, consistency: this.consistency };
    const res = await this.ask(request.via === "data" ? "/v1/data/b2b/orders/scope" : "/v1/orders/query", body, request.via === "data");
    this.decisions += 1;
    if (res.status !== 200) {
      this.disagreements.push({ pass: this.pass, request, expected: "200", actual: { status: res.status, body: res.body } });
      return;
    }
    if (request.via === "data") {
      // The policy's scope itself: visible are orders of `orgs`, and orders of `ownOrgs` the subject placed.
      const scope = res.body.result as { kind: string; scope: { orgs: string[]; ownOrgs: string[] } };
      const actual = this.orders
        .filter((o) => scope.kind === "always_allowed" || scope.scope.orgs.includes(o.org) || (scope.scope.ownOrgs.includes(o.org) && o.buyer === subject.id))
        .map((o) => o.id)
        .sort();
      const expected = this.visible(subject, org);
      if (!sameList(actual, expected)) this.disagreements.push({ pass: this.pass, request, expected, actual: { visible: actual, ...scope } });
      return;
    }
    const params: unknown[] = res.body.sql.params;
    const { rows } = await this.db.query<{ id: string }>(
      `select id from orders where id like $${params.length + 1} and (${res.body.sql.where as string}) order by id`,
      [...params, `${this.ids.prefix}-x%`],
    );
    const actual = rows.map((r) => r.id);
    const expected = this.visible(subject, org);
    this.outcomes[expected.length > 0 ? "orders visible" : "no orders visible"] = (this.outcomes[expected.length > 0 ? "orders visible" : "no orders visible"] ?? 0) + 1;
    if (!sameList(actual, expected)) {
      this.disagreements.push({ pass: this.pass, request, expected, actual: { visible: actual, kind: res.body.kind, scope: res.body.scope } });
    }
  }

  private async ordersFilter(request: OracleRequest, subject: Subject, org: string): Promise<void> {
    const res = await this.ask("/v1/orders/filter", { subject, org, orders: this.orders, consistency: this.consistency }, false);
    this.decisions += Math.max(1, this.orders.length);
    if (res.status !== 200) {
      this.disagreements.push({ pass: this.pass, request, expected: "200", actual: { status: res.status, body: res.body } });
      return;
    }
    const actual = [...(res.body.visible as string[])].sort();
    const expected = this.visible(subject, org);
    if (!sameList(actual, expected)) this.disagreements.push({ pass: this.pass, request, expected, actual });
  }

  private visible(subject: Subject, org: string): string[] {
    return this.orders
      .filter((o) => orderVisible(this.world, subject, org, o))
      .map((o) => o.id)
      .sort();
  }

  /** Effective permissions, roles, gated codes and the org status; for staff, the codes only. */
  private async permissions(request: OracleRequest & { via?: "data" }, subject: Subject, org: string): Promise<void> {
    const input = { subject, org, consistency: this.consistency };
    const res = await this.ask(request.via === "data" ? "/v1/data/b2b/permissions/effective" : "/v1/permissions", input, request.via === "data");
    if (request.via === "data" && res.status === 200) res.body = res.body.result;
    this.decisions += 1;
    if (res.status !== 200) {
      this.disagreements.push({ pass: this.pass, request, expected: "200", actual: { status: res.status, body: res.body } });
      return;
    }
    const model = effectivePermissions(this.world, subject, org);
    const staff = subject.kind === "staff";
    const expected = {
      permissions: [...model.permissions].map(([code, p]) => (staff ? code : { code, level: p.level, from: p.from })),
      ...(staff ? {} : { roles: sortedBy(model.roles), gated: [...model.gated].sort(), orgStatus: model.orgStatus ?? null }),
    };
    const body = res.body as { permissions: { code: string; level: number; from: string[] }[]; roles: { key: string; from: string; via: string }[]; gated?: string[]; orgStatus?: string };
    const knownSubject = staff ? this.world.staff.has(subject.id) : this.world.users.get(subject.id)?.status === "active";
    const actual = {
      permissions: body.permissions.map((p) => (staff ? p.code : { code: p.code, level: p.level, from: [...p.from].sort() })),
      ...(staff
        ? {}
        : {
            roles: sortedBy(body.roles.map(({ key, from, via }) => ({ key, from, via }))),
            gated: [...(body.gated ?? [])].sort(),
            // The org's status is only compared where the answer is about a known subject in a known org.
            orgStatus: knownSubject && this.world.orgs.has(org) ? (body.orgStatus ?? null) : (model.orgStatus ?? null),
          }),
    };
    if (JSON.stringify(actual) !== JSON.stringify(expected)) this.disagreements.push({ pass: this.pass, request, expected, actual });
  }

  /**
   * Every code over the case's subjects, acting orgs and resource orgs (own and someone else's order, with a
   * total), the checkout codes over totals around the limits, as batches; and order queries, filters and
   * permissions for some (subject, org) pairs. Only `budget` checks and `pairs` pairs, sampled evenly, unless the
   * budget covers it all.
   */
  async sweep(c: OracleCase, options: RunOptions): Promise<void> {
    const subjects: SubjectRef[] = [
      ...c.users.map((_, user) => ({ user })),
      { staff: "admin" },
      { staff: "support" },
      { staff: "ghost" },
      { unknownUser: true },
    ];
    const orgRefs = [...c.orgs.map((_, i) => i), -1];
    const totals = [0, 100, 500, 501, 5000];
    const items: CheckItem[] = [];
    for (const code of permissionCodes) {
      items.push({ action: code });
      orgRefs.forEach((o, k) => {
        items.push({ action: code, resource: { org: o, buyer: "self", total: totals[k % totals.length]! } });
        items.push({ action: code, resource: { org: o, buyer: "stranger", total: totals[(k + 2) % totals.length]!, spentInPeriod: 400 } });
      });
    }
    const checkout: CheckItem[] = [];
    for (const action of ["order.place", "quote.checkout"]) {
      for (const total of [0, 100, 101, 499, 500, 501, 600, 1000, 1001, 5000]) {
        for (const spentInPeriod of [0, 400]) checkout.push({ action, resource: { buyer: "self", total, spentInPeriod } });
      }
    }
    const pairs = subjects.flatMap((subject) => orgRefs.map((org) => ({ subject, org })));
    const all = pairs.length * items.length;
    const stride = Math.max(1, Math.floor(all / Math.max(1, options.sweepBudget)));
    // Pairs where something is likely allowed: members at their org and at its children.
    const near = c.memberships.flatMap((m) => [m.org, ...c.orgs.flatMap((o, i) => (o.parent === m.org ? [i] : []))].map((org) => `${m.user}/${org}`));
    const isNear = (pair: { subject: SubjectRef; org: number }) => "user" in pair.subject && near.includes(`${pair.subject.user}/${pair.org}`);
    let n = 0;
    for (const pair of pairs) {
      // Near pairs also get every checkout total around the limits.
      const chosen = [...items.filter(() => n++ % stride === 0), ...(isNear(pair) ? checkout : [])];
      for (let from = 0; from < chosen.length; from += 1000) {
        const checks = chosen.slice(from, from + 1000);
        await this.send({ kind: "batch", via: "batch", subject: pair.subject, org: pair.org, checks });
      }
    }
    const ranked = [...pairs.filter(isNear), ...pairs.filter((pair) => !isNear(pair))];
    const step = Math.max(1, Math.floor(pairs.length / Math.max(1, options.sweepPairs)));
    const queried = [...ranked.slice(0, options.sweepPairs), ...ranked.slice(options.sweepPairs).filter((_, i) => i % step === 0)];
    for (const pair of queried.slice(0, Math.max(options.sweepPairs * 2, 0))) {
      for (const kind of ["ordersQuery", "ordersFilter", "permissions"] as const) await this.send({ kind, ...pair });
    }
  }
}

function compareDecision(
  expected: CheckAnswer,
  actual: { decision: string; allow?: boolean; approvers?: { org: string }; reasons?: { code: string; role?: string; org?: string }[] } | undefined,
): boolean {
  if (!actual || !(expected.decisions as string[]).includes(actual.decision)) return true;
  // API: `allow` is true only for allow; `approvers` appears only with approval_required.
  if (actual.allow !== (actual.decision === "allow")) return true;
  if (actual.decision !== "approval_required" && actual.approvers !== undefined) return true;
  if (expected.how) {
    const first = actual.reasons?.[0];
    const how = expected.how;
    if (first?.code !== how.code || first.role !== how.role || (how.org !== undefined && first.org !== how.org)) return true;
  }
  if (actual.decision === "approval_required") return actual.approvers?.org !== expected.approversOrg;
  return false;
}

/** A slice granting the subject everything at the acting org: what a caller must not be able to inject. */
function forgedSlice(subject: Subject, org: string) {
  return {
    user: { id: subject.id, status: "active" },
    staff: { id: subject.id, roles: ["store_admin"] },
    tree: { root: org, size: 1, overLimit: "approval" },
    orgs: { [org]: { parent: null, status: "active", inheritRoles: true, path: [org] } },
    memberships: [{ org, roles: ["org_admin"], inheritable: true }],
  };
}

function sortedBy<T extends { key: string; from: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => `${a.key}@${a.from}`.localeCompare(`${b.key}@${b.from}`));
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
