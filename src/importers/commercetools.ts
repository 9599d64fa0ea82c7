import { z } from "zod";
import { baselineGrants, Grants, own, type Level } from "./catalog.ts";
import type { PlatformMapper } from "./platform.ts";

/**
 * commercetools Composable Commerce for B2B: Business Units (Company, Division), their Associates with Associate
 * Role assignments, Associate Roles, and Customers (seed 002). Shapes: the API reference pages "Business Units",
 * "Associate Roles" and "Customers"; docs/importers.md has the mapping table.
 */
const resources = ["business-units", "associate-roles", "customers"] as const;

const keyReference = z.object({ key: z.string().min(1) });
const customerReference = z.object({ typeId: z.literal("customer").optional(), id: z.string().min(1) });

const businessUnitSchema = z.object({
  key: z.string().min(1),
  name: z.string().min(1),
  unitType: z.enum(["Company", "Division"]),
  status: z.enum(["Active", "Inactive"]),
  parentUnit: keyReference.optional(),
  topLevelUnit: keyReference,
  associateMode: z.enum(["Explicit", "ExplicitAndFromParent"]),
  associates: z
    .array(
      z.object({
        customer: customerReference,
        associateRoleAssignments: z.array(
          z.object({ associateRole: keyReference, inheritance: z.enum(["Enabled", "Disabled"]) }),
        ),
      }),
    )
    .default([]),
  stores: z.array(z.unknown()).optional(),
  storeMode: z.string().optional(),
  approvalRuleMode: z.string().optional(),
});

const associateRoleSchema = z.object({
  key: z.string().min(1),
  name: z.string().min(1).optional(),
  buyerAssignable: z.boolean().default(true),
  permissions: z.array(z.string()),
});

const customerSchema = z.object({
  id: z.string().min(1),
  email: z.string().optional(),
  customerGroup: z.unknown().optional(),
  stores: z.array(z.unknown()).optional(),
});

/**
 * The Permission enum onto our codes: "My …" is level 1, "Others …" level 2 (MODEL.md, Levels). `null`: the
 * permission has no counterpart in our catalog, which the report says.
 */
const permissions: Record<string, readonly (readonly [string, Level])[] | null> = {
  AddChildUnits: [["org.create_child", 2]],
  UpdateAssociates: [["user.manage", 2], ["user.view", 2], ["role.view", 2]],
  UpdateBusinessUnitDetails: [["org.update", 2], ["address.manage", 2], ["address.view", 2]],
  UpdateParentUnit: null,
  CreateMyCarts: [["cart.create", 1]],
  CreateOthersCarts: [["cart.create", 2]],
  ViewMyCarts: null,
  ViewOthersCarts: null,
  UpdateMyCarts: null,
  UpdateOthersCarts: null,
  DeleteMyCarts: null,
  DeleteOthersCarts: null,
  ViewMyOrders: [["order.view", 1]],
  ViewOthersOrders: [["order.view", 2]],
  UpdateMyOrders: [["order.update", 1]],
  UpdateOthersOrders: [["order.update", 2]],
  CreateMyOrdersFromMyCarts: [["order.place", 1]],
  CreateMyOrdersFromMyQuotes: [["order.place", 1]],
  CreateOrdersFromOthersCarts: [["order.place", 2]],
  CreateOrdersFromOthersQuotes: [["order.place", 2]],
  ViewMyQuotes: [["quote.view", 1]],
  ViewOthersQuotes: [["quote.view", 2]],
  AcceptMyQuotes: [["quote.checkout", 1]],
  AcceptOthersQuotes: [["quote.checkout", 2]],
  RenegotiateMyQuotes: [["quote.create", 1]],
  RenegotiateOthersQuotes: [["quote.create", 2]],
  DeclineMyQuotes: null,
  DeclineOthersQuotes: null,
  ReassignMyQuotes: null,
  ReassignOthersQuotes: null,
  ViewMyQuoteRequests: [["quote.view", 1]],
  ViewOthersQuoteRequests: [["quote.view", 2]],
  CreateMyQuoteRequestsFromMyCarts: [["quote.create", 1]],
  CreateQuoteRequestsFromOthersCarts: [["quote.create", 2]],
  UpdateMyQuoteRequests: [["quote.create", 1]],
  UpdateOthersQuoteRequests: [["quote.create", 2]],
  CreateApprovalRules: null,
  UpdateApprovalRules: null,
  UpdateApprovalFlows: [["approval.decide", 2]],
  ViewMyShoppingLists: [["list.view", 1]],
  ViewOthersShoppingLists: [["list.view", 2]],
  CreateMyShoppingLists: [["list.manage", 1]],
  CreateOthersShoppingLists: [["list.manage", 2]],
  UpdateMyShoppingLists: [["list.manage", 1]],
  UpdateOthersShoppingLists: [["list.manage", 2]],
  DeleteMyShoppingLists: [["list.manage", 1]],
  DeleteOthersShoppingLists: [["list.manage", 2]],
};

/** Our key of an imported Associate Role: prefixed, so it never shadows a template (`ct_admin`, `buyer`). */
export const commercetoolsRoleKey = (key: string) => `commercetools:${key}`;

export const commercetools: PlatformMapper<(typeof resources)[number]> = {
  platform: "commercetools",
  resources,
  map(records, { builder, findings, catalog }) {
    const roles = new Map<string, string>();
    for (const record of records["associate-roles"]) {
      const role = findings.parse(record, associateRoleSchema);
      if (role === undefined) continue;
      const grants = new Grants(catalog);
      for (const g of baselineGrants) grants.add(g.code, g.level);
      role.permissions.forEach((permission, i) => {
        const where = `${record.path}.permissions[${i}]`;
        const mapped = own(permissions, permission);
        if (mapped === undefined) findings.note(where, `${permission} is not a Permission this importer knows: left out`);
        else if (mapped === null) findings.note(where, `${permission} has no counterpart in our permission catalog: left out`);
        else for (const [code, level] of mapped) grants.add(code, level);
      });
      roles.set(role.key, record.path);
      builder.role(record.path, {
        key: commercetoolsRoleKey(role.key),
        name: role.name ?? role.key,
        permissions: grants.list(),
        assignableByBuyers: role.buyerAssignable,
      });
    }

    for (const record of records.customers) {
      const customer = findings.parse(record, customerSchema);
      if (customer === undefined) continue;
      if (customer.customerGroup !== undefined) findings.note(`${record.path}.customerGroup`, "customer groups have no place in our model: not imported");
      if (customer.stores?.length) findings.note(`${record.path}.stores`, "store assignments have no place in our model: not imported");
      builder.user(record.path, { id: customer.id, ...(customer.email ? { email: customer.email } : {}) }, true);
    }

    const units: { path: string; unit: z.infer<typeof businessUnitSchema> }[] = [];
    for (const record of records["business-units"]) {
      const unit = findings.parse(record, businessUnitSchema);
      if (unit !== undefined) units.push({ path: record.path, unit });
    }
    const byKey = new Map(units.map((u) => [u.unit.key, u.unit]));
    for (const { path, unit } of units) {
      const parent = unit.parentUnit?.key ?? null;
      if (unit.unitType === "Division" && parent === null) findings.error(`${path}.parentUnit`, "a Division has a parent unit");
      if (unit.unitType === "Company" && parent !== null) findings.error(`${path}.parentUnit`, "a Company is a top-level unit");
      if (parent !== null && !byKey.has(parent)) findings.error(`${path}.parentUnit.key`, `unknown business unit "${parent}"`);
      // Checked only where the parents reach a Company: a broken chain is reported at its own break.
      const top = topOf(unit, byKey);
      if (top !== undefined && byKey.get(top)?.unitType === "Company" && top !== unit.topLevelUnit.key) {
        findings.error(`${path}.topLevelUnit.key`, `is "${unit.topLevelUnit.key}", but the parent units lead to "${top}"`);
      }
      if (unit.stores?.length) findings.note(`${path}.stores`, "store assignments have no place in our model: not imported");
      builder.org(path, {
        id: unit.key,
        name: unit.name,
        parent,
        status: unit.status === "Active" ? "active" : "inactive",
        inheritRoles: unit.associateMode === "ExplicitAndFromParent",
        attributes: { platform: "commercetools", unitType: unit.unitType },
      });
      unit.associates.forEach((associate, i) => {
        const where = `${path}.associates[${i}]`;
        const keys: string[] = [];
        associate.associateRoleAssignments.forEach((assignment, j) => {
          const role = assignment.associateRole.key;
          if (!roles.has(role)) findings.error(`${where}.associateRoleAssignments[${j}].associateRole.key`, `unknown associate role "${role}"`);
          if (!keys.includes(role)) keys.push(role);
        });
        if (keys.length === 0) {
          findings.note(where, "an associate without role assignments can do nothing: not imported");
          return;
        }
        const modes = new Set(associate.associateRoleAssignments.map((a) => a.inheritance));
        if (modes.size > 1) {
          findings.note(
            `${where}.associateRoleAssignments`,
            "mixes Enabled and Disabled inheritance; our membership has one inheritable flag: imported as not inheritable",
          );
        }
        builder.user(`${where}.customer`, { id: associate.customer.id });
        builder.membership(where, {
          user: associate.customer.id,
          org: unit.key,
          roles: keys.map(commercetoolsRoleKey),
          inheritable: modes.size === 1 && modes.has("Enabled"),
        });
      });
    }
  },
};

/** The top-level unit the parent references lead to, or undefined when they break off or loop. */
function topOf(unit: { key: string; parentUnit?: { key: string } | undefined }, byKey: Map<string, { key: string; parentUnit?: { key: string } | undefined }>): string | undefined {
  const seen = new Set<string>();
  let cur: typeof unit | undefined = unit;
  while (cur?.parentUnit) {
    if (seen.has(cur.key)) return undefined;
    seen.add(cur.key);
    cur = byKey.get(cur.parentUnit.key);
  }
  return cur?.key;
}
