import type { Limits, Membership, Org, OrgStatus, RoleDef, Subject, World } from "./model.ts";

/**
 * One differential case: a small store (orgs by index, users, custom roles, memberships, orders) and the requests
 * asked of it. Indices instead of ids keep generated cases and committed fixtures readable and let every run
 * import the same case under fresh ids (`prefix`), so runs never see each other's data in the shared store.
 */
export interface OracleCase {
  orgs: { parent: number | null; status: OrgStatus; inheritRoles: boolean; overLimit?: "approval" | "deny" }[];
  users: { status: "active" | "disabled" }[];
  /** Custom roles, keyed `c<index>` under the run's prefix. */
  roles: { permissions: { code: string; level: number }[]; limits?: Limits; checkout: "direct" | "approval" }[];
  /** `roles` name a template key or `#<index>` for a custom role. */
  memberships: { user: number; org: number; roles: string[]; inheritable: boolean; limits?: Limits }[];
  orders: { org: number; buyer: PartyRef }[];
  requests: OracleRequest[];
  /**
   * Writes applied after the first pass (through the API: a membership removal, then one import of the changed
   * orgs, users and memberships); every request and the sweep are then asked again and compared with the model
   * of the changed store, so nothing stale is served.
   */
  changes?: Change[];
  /** Whether the run also sweeps every code over the case's subjects and orgs (a sampled part of it by default). */
  sweep?: boolean;
}

export type Change =
  | { kind: "orgStatus"; org: number; status: OrgStatus }
  | { kind: "inheritRoles"; org: number; inheritRoles: boolean }
  | { kind: "userStatus"; user: number; status: "active" | "disabled" }
  | { kind: "membership"; membership: number; roles: string[]; inheritable: boolean; limits?: Limits }
  | { kind: "removeMembership"; membership: number };

/** The case as its changes leave it (memberships by index into the case's list before any removal). */
export function changedCase(c: OracleCase): OracleCase {
  const orgs = c.orgs.map((o) => ({ ...o }));
  const users = c.users.map((u) => ({ ...u }));
  const memberships: (OracleCase["memberships"][number] | undefined)[] = c.memberships.map((m) => ({ ...m }));
  for (const change of c.changes ?? []) {
    if (change.kind === "orgStatus") orgs[change.org]!.status = change.status;
    else if (change.kind === "inheritRoles") orgs[change.org]!.inheritRoles = change.inheritRoles;
    else if (change.kind === "userStatus") users[change.user]!.status = change.status;
    else if (change.kind === "removeMembership") memberships[change.membership] = undefined;
    else if (memberships[change.membership]) {
      const { user, org } = memberships[change.membership]!;
      memberships[change.membership] = { user, org, roles: change.roles, inheritable: change.inheritable, ...(change.limits ? { limits: change.limits } : {}) };
    }
  }
  return { ...c, orgs, users, memberships: memberships.filter((m) => m !== undefined), changes: [] };
}

/** Who: a user of the case, a store-wide staff member, or someone the store does not know. */
export type SubjectRef =
  | { user: number }
  | { staff: StaffName }
  | { unknownUser: true }
  /** A user's id asked as a staff member: unknown staff. */
  | { userAsStaff: number }
  /** A staff member's id asked as a user: unknown user. */
  | { staffAsUser: StaffName };

/** A resource's buyer or owner: the subject itself, a user of the case, or someone else. */
export type PartyRef = "self" | "stranger" | { user: number } | { staff: StaffName };

/** -1: an org the store does not know. */
export type OrgRef = number;

export interface ResourceRef {
  /** `order` when absent. */
  type?: "quote" | "list";
  org?: OrgRef;
  buyer?: PartyRef;
  owner?: PartyRef;
  total?: number;
  spentInPeriod?: number;
}
export interface CheckItem {
  action: string;
  resource?: ResourceRef;
}

export type OracleRequest =
  | ({ kind: "check"; via: "check" | "data"; subject: SubjectRef; org: OrgRef } & CheckItem)
  | { kind: "batch"; via: "batch" | "data"; subject: SubjectRef; org: OrgRef; checks: CheckItem[] }
  /** `via: "data"` asks the same through OPA's Data API (b2b/orders/scope, b2b/permissions/effective). */
  | { kind: "ordersQuery" | "ordersFilter" | "permissions"; subject: SubjectRef; org: OrgRef; via?: "data" };

/** Store-wide staff, created once per sidecar (the first staff member comes from the operator, not the API). */
export const STAFF = {
  admin: { id: "ops-admin", roles: ["store_admin"] },
  support: { id: "ops-support", roles: ["store_support"] },
  none: { id: "ops-none", roles: ["no_such_staff_role"] },
} as const;
export type StaffName = keyof typeof STAFF | "ghost";
const GHOST_STAFF = "ops-ghost";

/**
 * A store-wide custom role with a template's key: it replaces the built-in `viewer` entirely for every case
 * (MODEL "Role": stores add custom roles; a custom role replaces the template of the same key).
 */
export const VIEWER_OVERRIDE: RoleDef & { name: string; assignableByBuyers: boolean } = {
  key: "viewer",
  name: "Viewer (store override)",
  assignableByBuyers: true,
  permissions: [
    { code: "catalog.browse", level: 2 },
    { code: "get_orders", level: 3 },
    { code: "quote.checkout", level: 1 },
  ],
  limits: { maxOrderTotal: 100 },
  checkout: "direct",
};

export const UNKNOWN_ORG = "NOWHERE";
export const UNKNOWN_USER = "nobody";
export const STRANGER = "stranger";

/** The concrete ids of one run of a case. */
export class CaseIds {
  constructor(readonly prefix: string) {}
  org(index: OrgRef): string {
    return index < 0 ? UNKNOWN_ORG : `${this.prefix}-o${index}`;
  }
  user(index: number): string {
    return `${this.prefix}-u${index}`;
  }
  order(index: number): string {
    return `${this.prefix}-x${index}`;
  }
  role(ref: string): string {
    return ref.startsWith("#") ? `${this.prefix}-c${ref.slice(1)}` : ref;
  }
  subject(ref: SubjectRef): Subject {
    if ("user" in ref) return { id: this.user(ref.user) };
    if ("staff" in ref) return { id: staffId(ref.staff), kind: "staff" };
    if ("userAsStaff" in ref) return { id: this.user(ref.userAsStaff), kind: "staff" };
    if ("staffAsUser" in ref) return { id: staffId(ref.staffAsUser) };
    return { id: UNKNOWN_USER };
  }
  party(ref: PartyRef, subject: Subject): string {
    if (ref === "self") return subject.id;
    if (ref === "stranger") return STRANGER;
    if ("user" in ref) return this.user(ref.user);
    return staffId(ref.staff);
  }
}

function staffId(name: StaffName): string {
  return name === "ghost" ? GHOST_STAFF : STAFF[name].id;
}

/** The import document of a case (API "POST /v1/import"). */
export function importDocument(c: OracleCase, ids: CaseIds) {
  return {
    roles: c.roles.map((r, i) => ({
      key: ids.role(`#${i}`),
      name: `custom ${i}`,
      permissions: r.permissions,
      checkout: r.checkout,
      ...(r.limits ? { limits: r.limits } : {}),
    })),
    orgs: c.orgs.map((o, i) => ({
      id: ids.org(i),
      name: `org ${i}`,
      parent: o.parent === null ? null : ids.org(o.parent),
      status: o.status,
      inheritRoles: o.inheritRoles,
      ...(o.overLimit ? { overLimit: o.overLimit } : {}),
    })),
    users: c.users.map((u, i) => ({ id: ids.user(i), status: u.status })),
    memberships: c.memberships.map((m) => ({
      user: ids.user(m.user),
      org: ids.org(m.org),
      roles: m.roles.map((r) => ids.role(r)),
      inheritable: m.inheritable,
      ...(m.limits ? { limits: m.limits } : {}),
    })),
  };
}

/** The model's view of the store after importing the case: the case itself plus the store-wide staff and roles. */
export function worldOf(c: OracleCase, ids: CaseIds): World {
  const orgs = new Map<string, Org>();
  c.orgs.forEach((o, i) => {
    orgs.set(ids.org(i), {
      id: ids.org(i),
      parent: o.parent === null ? null : ids.org(o.parent),
      status: o.status,
      inheritRoles: o.inheritRoles,
      ...(o.overLimit ? { overLimit: o.overLimit } : {}),
    });
  });
  const memberships: Membership[] = c.memberships.map((m) => ({
    user: ids.user(m.user),
    org: ids.org(m.org),
    roles: m.roles.map((r) => ids.role(r)),
    inheritable: m.inheritable,
    ...(m.limits ? { limits: m.limits } : {}),
  }));
  const roles = new Map<string, RoleDef>([[VIEWER_OVERRIDE.key, VIEWER_OVERRIDE]]);
  c.roles.forEach((r, i) => roles.set(ids.role(`#${i}`), { key: ids.role(`#${i}`), ...r }));
  return {
    orgs,
    users: new Map(c.users.map((u, i) => [ids.user(i), { id: ids.user(i), status: u.status }])),
    memberships,
    roles,
    staff: new Map(Object.values(STAFF).map((s) => [s.id, { id: s.id, roles: [...s.roles] }])),
  };
}
