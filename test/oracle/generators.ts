import fc from "fast-check";
import { catalog, permissionCodes, templates, type Limits, type OrgStatus } from "./model.ts";
import type { Change, CheckItem, OracleCase, OracleRequest, PartyRef, ResourceRef, StaffName, SubjectRef } from "./oracle-case.ts";

/**
 * fast-check arbitraries for differential cases. Raw draws (picks, flags) are mapped to a well-formed case, so
 * fast-check shrinks the draws and every shrunk case is still a valid store: a disagreement shrinks to a small
 * tree, few memberships and one request.
 */

const MAX_DEPTH = 5;
const MAX_ROOTS = 3;

const statusArb: fc.Arbitrary<OrgStatus> = fc.oneof(
  { arbitrary: fc.constant("active" as const), weight: 8 },
  { arbitrary: fc.constantFrom<OrgStatus>("inactive", "suspended", "pending", "rejected", "disabled"), weight: 3 },
);

/** Amounts around the limits below, so the boundaries (equal is within) are hit often. */
const amounts = [0, 50, 100, 100.5, 499, 500, 500.001, 501, 1000, 5000];
const limitValues = [0, 100, 500, 1000];

const limitsArb: fc.Arbitrary<Limits> = fc
  .record(
    {
      maxOrderTotal: fc.constantFrom(...limitValues),
      periodBudget: fc.record({ amount: fc.constantFrom(...limitValues), period: fc.constantFrom("day", "week", "month", "year") }),
    },
    { requiredKeys: [] },
  )
  .filter((l) => l.maxOrderTotal !== undefined || l.periodBudget !== undefined);

const aliasesOf = new Map<string, string[]>();
for (const [alias, code] of Object.entries(catalog.aliases)) aliasesOf.set(code, [...(aliasesOf.get(code) ?? []), alias]);

/** A custom role: valid for the catalog (supported levels only), sometimes naming a code by its BigCommerce alias. */
const customRoleArb = fc
  .record({
    grants: fc.uniqueArray(
      fc.record({ code: fc.constantFrom(...permissionCodes), levelPick: fc.nat(2), alias: fc.nat(3) }),
      { minLength: 0, maxLength: 8, selector: (g) => g.code },
    ),
    limits: fc.option(limitsArb, { nil: undefined }),
    checkout: fc.oneof({ arbitrary: fc.constant("direct" as const), weight: 4 }, { arbitrary: fc.constant("approval" as const), weight: 1 }),
  })
  .map((r) => ({
    permissions: r.grants.flatMap((g) => {
      const levels = catalog.permissions[g.code]!.levels;
      const aliases = aliasesOf.get(g.code) ?? [];
      const code = g.alias === 0 && aliases.length > 0 ? aliases[0]! : g.code;
      const grant = { code, level: levels[g.levelPick % levels.length]! };
      // Sometimes the same code again under another alias at another level: they merge at the highest.
      if (g.alias === 1 && aliases.length > 1) return [grant, { code: aliases[1]!, level: levels[(g.levelPick + 1) % levels.length]! }];
      return [grant];
    }),
    checkout: r.checkout,
    ...(r.limits ? { limits: r.limits } : {}),
  }));

const templateKeys = Object.keys(templates).sort();

const staffNameArb: fc.Arbitrary<StaffName> = fc.constantFrom("admin", "support", "none", "ghost");

const subjectArb: fc.Arbitrary<SubjectRef> = fc.oneof(
  { arbitrary: fc.nat().map((user) => ({ user })), weight: 12 },
  { arbitrary: staffNameArb.map((staff) => ({ staff })), weight: 2 },
  { arbitrary: fc.constant({ unknownUser: true as const }), weight: 1 },
  { arbitrary: fc.nat().map((userAsStaff) => ({ userAsStaff })), weight: 1 },
  { arbitrary: staffNameArb.map((staffAsUser) => ({ staffAsUser })), weight: 1 },
);

const orgRefArb = fc.oneof({ arbitrary: fc.nat(), weight: 15 }, { arbitrary: fc.constant(-1), weight: 1 });

const partyArb: fc.Arbitrary<PartyRef> = fc.oneof(
  { arbitrary: fc.constant("self" as const), weight: 4 },
  { arbitrary: fc.constant("stranger" as const), weight: 1 },
  { arbitrary: fc.nat().map((user) => ({ user })), weight: 2 },
  { arbitrary: staffNameArb.map((staff) => ({ staff })), weight: 1 },
);

/** Orders are mostly placed by the case's users, so level-1 (own orders) visibility is exercised. */
const orderBuyerArb: fc.Arbitrary<PartyRef> = fc.oneof(
  { arbitrary: fc.nat().map((user) => ({ user })), weight: 6 },
  { arbitrary: fc.constant("stranger" as const), weight: 1 },
  { arbitrary: staffNameArb.map((staff) => ({ staff })), weight: 1 },
);

const resourceArb: fc.Arbitrary<ResourceRef> = fc.record(
  {
    type: fc.constantFrom("quote" as const, "list" as const),
    org: orgRefArb,
    buyer: partyArb,
    owner: partyArb,
    total: fc.constantFrom(...amounts),
    spentInPeriod: fc.constantFrom(...amounts),
  },
  { requiredKeys: [] },
);

const checkoutHeavyCodes = [...catalog.checkoutCodes, "approval.decide", "order.view"];
const actionArb = fc.oneof(
  { arbitrary: fc.constantFrom(...permissionCodes), weight: 4 },
  { arbitrary: fc.constantFrom(...checkoutHeavyCodes), weight: 3 },
  { arbitrary: fc.constantFrom(...Object.keys(catalog.aliases)), weight: 1 },
);

const checkItemArb: fc.Arbitrary<CheckItem> = fc
  .record({ action: actionArb, resource: fc.option(resourceArb, { nil: undefined, freq: 3 }) })
  .map(({ action, resource }) => (resource ? { action, resource } : { action }));

const requestArb: fc.Arbitrary<OracleRequest> = fc.oneof(
  {
    arbitrary: fc
      .record({ via: fc.constantFrom("check" as const, "data" as const), subject: subjectArb, org: orgRefArb, item: checkItemArb })
      .map(({ via, subject, org, item }) => ({ kind: "check" as const, via, subject, org, ...item })),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("batch" as const),
      via: fc.constantFrom("batch" as const, "data" as const),
      subject: subjectArb,
      org: orgRefArb,
      checks: fc.array(checkItemArb, { minLength: 1, maxLength: 60 }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({
        kind: fc.constantFrom("ordersQuery" as const, "ordersFilter" as const, "permissions" as const),
        subject: subjectArb,
        org: orgRefArb,
        data: fc.boolean(),
      })
      .map(({ data, ...r }) => (data && r.kind !== "ordersFilter" ? { ...r, via: "data" as const } : r)),
    weight: 3,
  },
);

const rawCaseArb = fc.record({
  orgs: fc.array(
    fc.record({
      parentPick: fc.nat(),
      newTree: fc.oneof({ arbitrary: fc.constant(false), weight: 6 }, { arbitrary: fc.constant(true), weight: 1 }),
      status: statusArb,
      inheritRoles: fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 }),
      overLimit: fc.option(fc.constantFrom("approval" as const, "deny" as const), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 14 },
  ),
  users: fc.array(fc.oneof({ arbitrary: fc.constant("active" as const), weight: 6 }, { arbitrary: fc.constant("disabled" as const), weight: 1 }), {
    minLength: 1,
    maxLength: 6,
  }),
  roles: fc.array(customRoleArb, { maxLength: 3 }),
  memberships: fc.array(
    fc.record({
      user: fc.nat(),
      org: fc.nat(),
      roles: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      inheritable: fc.oneof({ arbitrary: fc.constant(true), weight: 3 }, { arbitrary: fc.constant(false), weight: 1 }),
      limits: fc.option(limitsArb, { nil: undefined, freq: 2 }),
    }),
    { maxLength: 16 },
  ),
  orders: fc.array(fc.record({ org: orgRefArb, buyer: orderBuyerArb }), { maxLength: 40 }),
  requests: fc.array(requestArb, { maxLength: 10 }),
  changes: fc.array(
    fc.record({
      kind: fc.constantFrom("orgStatus", "inheritRoles", "userStatus", "membership", "removeMembership", "removeMembership"),
      pick: fc.nat(),
      status: statusArb,
      flag: fc.boolean(),
      roles: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
      limits: fc.option(limitsArb, { nil: undefined, freq: 2 }),
    }),
    { maxLength: 4 },
  ),
});

type RawCase = typeof rawCaseArb extends fc.Arbitrary<infer T> ? T : never;

/** Maps raw draws to a well-formed case: trees of depth at most 5, one membership per user and org, known roles. */
export function normalize(raw: RawCase): OracleCase {
  const orgs: OracleCase["orgs"] = [];
  const depth: number[] = [];
  let roots = 0;
  raw.orgs.forEach((o, i) => {
    const candidates = depth.flatMap((d, j) => (d < MAX_DEPTH ? [j] : []));
    const root = i === 0 || (o.newTree && roots < MAX_ROOTS) || candidates.length === 0;
    if (root) {
      roots++;
      depth.push(1);
      orgs.push({ parent: null, status: o.status, inheritRoles: o.inheritRoles, ...(o.overLimit ? { overLimit: o.overLimit } : {}) });
      return;
    }
    const parent = candidates[o.parentPick % candidates.length]!;
    depth.push(depth[parent]! + 1);
    orgs.push({ parent, status: o.status, inheritRoles: o.inheritRoles });
  });
  const rolePool = [...templateKeys, ...raw.roles.map((_, i) => `#${i}`)];
  const seen = new Set<string>();
  const memberships: OracleCase["memberships"] = [];
  for (const m of raw.memberships) {
    const user = m.user % raw.users.length;
    const org = m.org % orgs.length;
    if (seen.has(`${user}/${org}`)) continue;
    seen.add(`${user}/${org}`);
    const roles = [...new Set(m.roles.map((r) => rolePool[r % rolePool.length]!))];
    memberships.push({ user, org, roles, inheritable: m.inheritable, ...(m.limits ? { limits: m.limits } : {}) });
  }
  const fixSubject = (s: SubjectRef): SubjectRef => {
    if ("user" in s) return { user: s.user % raw.users.length };
    if ("userAsStaff" in s) return { userAsStaff: s.userAsStaff % raw.users.length };
    return s;
  };
  const fixParty = (p: PartyRef): PartyRef => (typeof p === "object" && "user" in p ? { user: p.user % raw.users.length } : p);
  const fixOrg = (o: number) => (o < 0 ? -1 : o % orgs.length);
  const fixResource = (r: ResourceRef): ResourceRef => ({
    ...r,
    ...(r.org !== undefined ? { org: fixOrg(r.org) } : {}),
    ...(r.buyer !== undefined ? { buyer: fixParty(r.buyer) } : {}),
    ...(r.owner !== undefined ? { owner: fixParty(r.owner) } : {}),
  });
  const fixItem = (item: CheckItem): CheckItem => (item.resource ? { action: item.action, resource: fixResource(item.resource) } : item);
  const requests = raw.requests.map((r): OracleRequest => {
    const common = { subject: fixSubject(r.subject), org: fixOrg(r.org) };
    if (r.kind === "check") return { ...r, ...common, ...fixItem(r) };
    if (r.kind === "batch") return { ...r, ...common, checks: r.checks.map(fixItem) };
    return { ...r, ...common };
  });
  const changes = raw.changes.flatMap((ch): Change[] => {
    switch (ch.kind) {
      case "orgStatus":
        return [{ kind: "orgStatus", org: ch.pick % orgs.length, status: ch.status }];
      case "inheritRoles":
        return [{ kind: "inheritRoles", org: ch.pick % orgs.length, inheritRoles: ch.flag }];
      case "userStatus":
        return [{ kind: "userStatus", user: ch.pick % raw.users.length, status: ch.flag ? "active" : "disabled" }];
      case "membership":
        if (memberships.length === 0) return [];
        return [
          {
            kind: "membership",
            membership: ch.pick % memberships.length,
            roles: [...new Set(ch.roles.map((r) => rolePool[r % rolePool.length]!))],
            inheritable: ch.flag,
            ...(ch.limits ? { limits: ch.limits } : {}),
          },
        ];
      default:
        return memberships.length === 0 ? [] : [{ kind: "removeMembership", membership: ch.pick % memberships.length }];
    }
  });
  return {
    orgs,
    users: raw.users.map((status) => ({ status })),
    roles: raw.roles,
    memberships,
    orders: raw.orders.map((o) => ({ org: fixOrg(o.org), buyer: fixParty(o.buyer) })),
    requests,
    ...(changes.length > 0 ? { changes } : {}),
    sweep: true,
  };
}

export const caseArb: fc.Arbitrary<OracleCase> = rawCaseArb.map(normalize);
