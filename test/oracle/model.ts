import { readFileSync } from "node:fs";

/**
 * An independent model of the authorization rules, for differential tests against the sidecar.
 *
 * Written from the domain model (README "What we chose where the contract is silent" for the points it leaves
 * open), not from the Rego: it shares no code with policies/ or src/. It reads two JSON files of the policy pack,
 * the permission catalog (codes, levels, transactional flags, aliases, status gates, staff roles) and the built-in
 * role templates, because those are data a store configures, not rules. Each function names the model section it
 * follows, so it can be checked against the model line by line.
 */

interface CatalogData {
  permissions: Record<string, { levels: number[]; transactional: boolean }>;
  aliases: Record<string, string>;
  checkoutCodes: string[];
  statusGates: Record<string, { refuseActing: boolean; denyAll: boolean; denyTransactional: boolean; deny: string[]; staffOnly: string[] }>;
  staffRoles: Record<string, { all: boolean; codes: string[] }>;
}

function readPolicyData<T>(relative: string): T {
  return JSON.parse(readFileSync(new URL(`../../policies/b2b/${relative}`, import.meta.url), "utf8")) as T;
}

export const catalog = readPolicyData<CatalogData>("catalog/data.json");
const templateData = readPolicyData<{ roles: Record<string, RoleDef> }>("templates/data.json");
export const templates: Record<string, RoleDef> = templateData.roles;
export const permissionCodes = Object.keys(catalog.permissions).sort();

export type Level = 1 | 2 | 3;
export type OrgStatus = "active" | "inactive" | "suspended" | "pending" | "rejected" | "disabled";
export interface Limits {
  maxOrderTotal?: number;
  periodBudget?: { amount: number; period: "day" | "week" | "month" | "year" };
}
export interface RoleDef {
  key: string;
  permissions: { code: string; level: number }[];
  limits?: Limits;
  checkout?: "direct" | "approval";
}
export interface Org {
  id: string;
  parent: string | null;
  status: OrgStatus;
  inheritRoles: boolean;
  /** Read on a top-level org only: what exceeding a checkout limit gives. */
  overLimit?: "approval" | "deny";
}
export interface Membership {
  user: string;
  org: string;
  roles: string[];
  inheritable: boolean;
  limits?: Limits;
}
export interface World {
  orgs: Map<string, Org>;
  users: Map<string, { id: string; status: "active" | "disabled" }>;
  memberships: Membership[];
  /** Custom roles of the store; a key here replaces the template of the same key entirely. */
  roles: Map<string, RoleDef>;
  staff: Map<string, { id: string; roles: string[] }>;
}

export interface Subject {
  id: string;
  kind?: "user" | "staff";
}
export interface Resource {
  type: string;
  org?: string;
  buyer?: string;
  owner?: string;
  attributes?: { total?: number; spentInPeriod?: number };
}
export type Decision = "allow" | "deny" | "approval_required";
export interface CheckAnswer {
  /** Every decision the model accepts; more than one only where the model leaves a choice open. */
  decisions: Decision[];
  /** Where an approval lands, for approval_required. */
  approversOrg?: string;
  /**
   * For an allow of a code without checkout limits: the grant reported as the reason (direct before inherited
   * before level-3 reach, nearest org first, then role key; README of the policy pack, "Other answers").
   */
  how?: { code: string; role: string; org?: string };
}

// ---- Trees (MODEL "Entities": disjoint trees, each org at most one parent) ----

/** Ancestors from the tree root down to the org itself. */
export function pathOf(world: World, orgId: string): string[] {
  const path: string[] = [];
  for (let at: string | null = orgId; at !== null; ) {
    const org = world.orgs.get(at);
    if (!org) break;
    path.unshift(at);
    at = org.parent;
  }
  return path;
}

function rootOf(world: World, orgId: string): string {
  return pathOf(world, orgId)[0]!;
}

/**
 * The path test (MODEL "Who may do what", rule 2): `from` is `to` or an ancestor of it, and every org on the path
 * below `from` down to `to` accepts cascading roles. An opt-out cuts the chain for its whole subtree.
 */
function pathTest(world: World, from: string, to: string): boolean {
  const path = pathOf(world, to);
  const at = path.indexOf(from);
  if (at < 0) return false;
  return path.slice(at + 1).every((id) => world.orgs.get(id)!.inheritRoles);
}

// ---- Roles (MODEL "Permission codes and levels") ----

function canonical(code: string): string | undefined {
  if (catalog.permissions[code]) return code;
  return catalog.aliases[code];
}

/** A role's grants as code -> level: aliases mapped (several merge at the highest), unsupported levels grant nothing. */
function roleLevels(world: World, key: string): Map<string, Level> {
  const def = world.roles.get(key) ?? templates[key];
  const levels = new Map<string, Level>();
  for (const p of def?.permissions ?? []) {
    const code = canonical(p.code);
    if (!code || !catalog.permissions[code]!.levels.includes(p.level)) continue;
    levels.set(code, Math.max(levels.get(code) ?? 0, p.level) as Level);
  }
  return levels;
}

function roleDef(world: World, key: string): RoleDef | undefined {
  return world.roles.get(key) ?? templates[key];
}

export type Via = "direct" | "inherited" | "reach";
export interface Grant {
  role: string;
  /** Where the membership is. */
  from: string;
  via: Via;
  level: Level;
  membership: Membership;
}

/**
 * The grants of `code` for a user acting in `acting` (MODEL "Who may do what", rules 1-3):
 * a membership at the acting org (direct); an inheritable membership at an ancestor that passes the path test
 * (inherited, every permission of the role); any membership at an ancestor that passes the path test, for its
 * level-3 permissions (reach; README: level-3 reach ignores `inheritable`). Memberships elsewhere grant nothing.
 */
export function grantsOf(world: World, userId: string, acting: string, code: string): Grant[] {
  const path = pathOf(world, acting);
  const grants: Grant[] = [];
  for (const m of world.memberships) {
    if (m.user !== userId || !path.includes(m.org)) continue;
    const direct = m.org === acting;
    if (!direct && !pathTest(world, m.org, acting)) continue;
    for (const role of m.roles) {
      const level = roleLevels(world, role).get(code);
      if (level === undefined) continue;
      if (direct) grants.push({ role, from: m.org, via: "direct", level, membership: m });
      else if (m.inheritable) grants.push({ role, from: m.org, via: "inherited", level, membership: m });
      else if (level === 3) grants.push({ role, from: m.org, via: "reach", level, membership: m });
    }
  }
  return grants;
}

/**
 * Whose resource it is: its buyer, or, for a resource without one, its owner. (The model says "its buyer (or
 * owner)"; we read the owner as the buyer's stand-in for resources that are not orders, so an order's buyer is
 * never outvoted by an owner field.)
 */
function partyOf(resource: Resource): string | undefined {
  return resource.buyer ?? resource.owner;
}

/**
 * Does a grant at `level`, evaluated at the acting org, cover the resource (MODEL "Who may do what", resource
 * levels)? Level 1: the resource's org is the acting org and the subject placed or owns it; level 2: the
 * resource's org is the acting org; level 3: also an org below it under the path test. No resource: any level.
 */
function covers(world: World, level: Level, acting: string, subjectId: string, resource: Resource | undefined): boolean {
  if (!resource) return true;
  const org = resource.org ?? acting;
  if (level === 1) return org === acting && partyOf(resource) === subjectId;
  if (level === 2) return org === acting;
  return pathTest(world, acting, org);
}

// ---- Status (MODEL "Status") ----

type Gate = CatalogData["statusGates"][string];

function gateOf(status: string): Gate {
  // An unknown status is refused like disabled (fail closed).
  return catalog.statusGates[status] ?? catalog.statusGates.disabled!;
}

/** Does the status of the org the action lands in refuse `code` to a buyer? */
function gateRefuses(status: string, code: string): boolean {
  const gate = gateOf(status);
  return (
    gate.denyAll ||
    (gate.denyTransactional && catalog.permissions[code]!.transactional) ||
    gate.deny.includes(code) ||
    gate.staffOnly.includes(code)
  );
}

// ---- Checkout (MODEL "Checkout limits and approvals") ----

/** A membership's limits override its role's field by field. */
function effectiveLimits(role: RoleDef | undefined, membership: Membership): Limits {
  return { ...(role?.limits ?? {}), ...(membership.limits ?? {}) };
}

type Outcome = "allow" | "approval_required" | "deny";
const permissiveness: Record<Outcome, number> = { allow: 0, approval_required: 1, deny: 2 };

/**
 * The outcome of one grant of a checkout code. Where a role with `checkout: approval` is also over a limit in a
 * tree whose `overLimit` is `deny`, the model does not say which wins ("always" approval vs. the tree's deny):
 * `approvalWins` picks the reading, and the caller accepts either.
 */
function checkoutOutcome(world: World, grant: Grant, resource: Resource | undefined, treeDenies: boolean, approvalWins: boolean): Outcome {
  const def = roleDef(world, grant.role);
  const limits = effectiveLimits(def, grant.membership);
  const total = resource?.attributes?.total ?? 0;
  const spent = resource?.attributes?.spentInPeriod ?? 0;
  const over =
    (limits.maxOrderTotal !== undefined && total > limits.maxOrderTotal) ||
    (limits.periodBudget !== undefined && spent + total > limits.periodBudget.amount);
  const approvalCheckout = def?.checkout === "approval";
  if (approvalCheckout && (approvalWins || !over)) return "approval_required";
  if (over) return treeDenies ? "deny" : "approval_required";
  return "allow";
}

// ---- Decisions ----

const viaRank: Record<Via, number> = { direct: 0, inherited: 1, reach: 2 };
const reasonCode: Record<Via, string> = { direct: "direct_role", inherited: "inherited_role", reach: "level3_reach" };

/** The grant an allow names: direct before inherited before reach, nearest org first, then role key. */
function reported(world: World, acting: string, grants: Grant[]): { code: string; role: string; org: string } {
  const depth = pathOf(world, acting).length;
  const distance = (g: Grant) => depth - pathOf(world, g.from).length;
  const best = [...grants].sort(
    (a, b) => viaRank[a.via] - viaRank[b.via] || distance(a) - distance(b) || (a.role < b.role ? -1 : a.role > b.role ? 1 : 0),
  )[0]!;
  return { code: reasonCode[best.via], role: best.role, org: best.from };
}

const DENY: CheckAnswer = { decisions: ["deny"] };

/** One check (MODEL "Who may do what", "Status", "Checkout limits and approvals"; staff from "Entities"). */
export function check(world: World, subject: Subject, acting: string, action: string, resource?: Resource): CheckAnswer {
  const code = canonical(action);
  if (!code) throw new Error(`the model is asked an unknown action ${action}; the API answers 400`);
  const staff = subject.kind === "staff";
  if (staff ? !world.staff.has(subject.id) : !world.users.has(subject.id)) return DENY;
  if (!staff && world.users.get(subject.id)!.status !== "active") return DENY;
  const actingOrg = world.orgs.get(acting);
  if (!actingOrg) return DENY;
  const landing = resource?.org ?? acting;
  const landingOrg = world.orgs.get(landing);
  if (!landingOrg) return DENY;
  // Authority never crosses trees, staff included.
  if (rootOf(world, landing) !== rootOf(world, acting)) return DENY;
  // Nobody approves their own order.
  if (code === "approval.decide" && resource && partyOf(resource) === subject.id) return DENY;

  if (staff) {
    // Staff are not limited by org status; store_admin holds everything, other staff roles their codes.
    const roles = world.staff.get(subject.id)!.roles;
    const role = [...roles].sort().find((r) => catalog.staffRoles[r]?.all === true || catalog.staffRoles[r]?.codes.includes(code) === true);
    return role !== undefined ? { decisions: ["allow"], how: { code: "staff", role } } : DENY;
  }

  if (gateOf(actingOrg.status).refuseActing) return DENY;
  if (gateRefuses(landingOrg.status, code)) return DENY;

  const covering = grantsOf(world, subject.id, acting, code).filter((g) => covers(world, g.level, acting, subject.id, resource));
  if (covering.length === 0) return DENY;
  if (!catalog.checkoutCodes.includes(code)) return { decisions: ["allow"], how: reported(world, acting, covering) };

  // The most permissive grant decides.
  const treeDenies = world.orgs.get(rootOf(world, acting))!.overLimit === "deny";
  const decisions = new Set<Decision>();
  for (const approvalWins of [true, false]) {
    const best = covering
      .map((g) => checkoutOutcome(world, g, resource, treeDenies, approvalWins))
      .reduce((a, b) => (permissiveness[a] <= permissiveness[b] ? a : b));
    decisions.add(best);
  }
  return { decisions: [...decisions].sort(), approversOrg: landing };
}

/**
 * Orders a subject may list acting in `acting` (MODEL "Orders"): an order is visible exactly when viewing it is
 * allowed, its org being where the action lands and its buyer deciding level-1 ownership.
 */
export function orderVisible(world: World, subject: Subject, acting: string, order: { org: string; buyer?: string }): boolean {
  const resource: Resource = { type: "order", org: order.org, ...(order.buyer !== undefined ? { buyer: order.buyer } : {}) };
  const answer = check(world, subject, acting, "order.view", resource);
  return answer.decisions.length === 1 && answer.decisions[0] === "allow";
}

export interface EffectivePermissions {
  /** code -> the highest level held, and the grants at that level as `role@org`, sorted. */
  permissions: Map<string, { level: Level; from: string[] }>;
  /** Roles held by membership (direct) or cascade (inherited); a level-3 reach alone brings permissions, not a role. */
  roles: { key: string; from: string; via: "direct" | "inherited" }[];
  /** Held codes that the acting org's status refuses now. */
  gated: string[];
  orgStatus: OrgStatus | undefined;
}

/**
 * A subject's effective permissions in an org (API "POST /v1/permissions"): every code some grant holds, at its
 * highest level, with where that level comes from, and which of them the org's status refuses now. Nothing for
 * an unknown or disabled subject or an unknown org. Staff hold their staff roles' codes (levels unspecified).
 */
export function effectivePermissions(world: World, subject: Subject, acting: string): EffectivePermissions {
  const org = world.orgs.get(acting);
  const empty: EffectivePermissions = { permissions: new Map(), roles: [], gated: [], orgStatus: org?.status };
  if (!org) return empty;
  if (subject.kind === "staff") {
    const staff = world.staff.get(subject.id);
    if (!staff) return empty;
    for (const code of permissionCodes) {
      const from = staff.roles.filter((r) => catalog.staffRoles[r]?.all === true || catalog.staffRoles[r]?.codes.includes(code) === true);
      if (from.length > 0) empty.permissions.set(code, { level: 3, from: from.map((r) => `${r}@staff`).sort() });
    }
    return empty;
  }
  const user = world.users.get(subject.id);
  if (!user || user.status !== "active") return empty;
  const result: EffectivePermissions = { ...empty, permissions: new Map() };
  const roles = new Map<string, { key: string; from: string; via: "direct" | "inherited" }>();
  const refusesActing = gateOf(org.status).refuseActing;
  for (const code of permissionCodes) {
    const grants = grantsOf(world, subject.id, acting, code);
    if (grants.length === 0) continue;
    const level = Math.max(...grants.map((g) => g.level)) as Level;
    const from = [...new Set(grants.filter((g) => g.level === level).map((g) => `${g.role}@${g.from}`))].sort();
    result.permissions.set(code, { level, from });
    if (refusesActing || gateRefuses(org.status, code)) result.gated.push(code);
  }
  // A role shows up even when it grants no code of the catalog; the reach needs a level-3 code, not a role.
  for (const m of world.memberships) {
    if (m.user !== subject.id || !pathOf(world, acting).includes(m.org)) continue;
    const via = m.org === acting ? "direct" : m.inheritable && pathTest(world, m.org, acting) ? "inherited" : undefined;
    if (via) for (const key of m.roles) roles.set(`${key}@${m.org}`, { key, from: m.org, via });
  }
  result.roles = [...roles.values()];
  return result;
}
