import { z } from "zod";
import { baselineGrants, Grants } from "./catalog.ts";
import type { SourceRecord } from "./sources.ts";
import type { PlatformMapper } from "./platform.ts";

/**
 * BigCommerce B2B Edition (seed 004): companies (the list or the nested hierarchy), company users and company
 * roles, as the Server to Server Management API (v3 `io`) answers them. Shapes: the API reference pages
 * "Companies", "Account Hierarchies", "Users" and "Company Roles and Permissions"; see docs/importers.md.
 */
const resources = ["companies", "users", "roles"] as const;

const numericId = z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(String);

interface Company {
  companyId: string;
  companyName: string;
  companyStatus: number;
  parentCompany?: { id?: string | null | undefined } | null | undefined;
  subsidiaries?: Company[] | undefined;
  customerGroupId?: unknown;
}
const companySchema: z.ZodType<Company, unknown> = z.lazy(() =>
  z.object({
    companyId: numericId,
    companyName: z.string().min(1),
    companyStatus: z.union([z.number().int(), z.string().regex(/^\d$/).transform(Number)]).pipe(z.number().int().min(0).max(3)),
    parentCompany: z.object({ id: numericId.nullable().optional() }).nullable().optional(),
    subsidiaries: z.array(companySchema).optional(),
    customerGroupId: z.unknown().optional(),
  }),
);

const userSchema = z.object({
  id: numericId,
  email: z.string().optional(),
  role: z.union([z.number().int(), z.string().regex(/^\d$/).transform(Number)]).pipe(z.number().int().min(0).max(3)),
  companyId: numericId,
  companyRoleId: numericId.nullable().optional(),
});

const roleSchema = z.object({
  id: numericId,
  name: z.string().min(1),
  roleType: z.number().int().optional(),
  permissions: z
    .array(z.object({ code: z.string().min(1), permissionLevel: z.union([z.literal(1), z.literal(2), z.literal(3)]) }))
    .optional(),
});

/** `companyStatus` onto our statuses (seed 004, Company Status Codes). */
const statuses = ["pending", "active", "rejected", "inactive"] as const;
/** The predefined user roles (`role` 0, 1, 2) onto the BigCommerce templates; 3 is a sales rep, seller side. */
const templates = ["bc_admin", "bc_senior_buyer", "bc_junior_buyer"] as const;

export const bigcommerceRoleKey = (id: string) => `bigcommerce:role-${id}`;

export const bigcommerce: PlatformMapper<(typeof resources)[number]> = {
  platform: "bigcommerce",
  resources,
  map(records, { builder, findings, catalog }) {
    // Custom roles (roleType 2; the predefined ones are the templates).
    const roles = new Map<string, "custom" | "predefined">();
    for (const record of records.roles) {
      const role = findings.parse(record, roleSchema);
      if (role === undefined) continue;
      if (role.roleType !== 2) {
        roles.set(role.id, "predefined");
        continue;
      }
      if (role.permissions === undefined) {
        findings.error(`${record.path}.permissions`, "a custom role needs its permissions (the Get Company Role Details response)");
        continue;
      }
      const grants = new Grants(catalog);
      for (const g of baselineGrants) grants.add(g.code, g.level);
      role.permissions.forEach((p, i) => {
        const code = grants.canonical(p.code);
        if (code === undefined) findings.note(`${record.path}.permissions[${i}].code`, `${p.code} is not in our catalog or its aliases: left out`);
        else grants.add(code, p.permissionLevel);
      });
      roles.set(role.id, "custom");
      builder.role(record.path, { key: bigcommerceRoleKey(role.id), name: role.name, permissions: grants.list(), assignableByBuyers: true });
    }

    // Companies: the flat list (parentCompany.id) or the hierarchy (nested subsidiaries).
    const companies: { path: string; company: Company; parent: string | null; parentPath: string }[] = [];
    const walk = (path: string, company: Company, nestedParent: string | null) => {
      const parent = nestedParent ?? company.parentCompany?.id ?? null;
      companies.push({ path, company, parent, parentPath: nestedParent === null ? `${path}.parentCompany.id` : path });
      company.subsidiaries?.forEach((child, i) => walk(`${path}.subsidiaries[${i}]`, child, company.companyId));
    };
    for (const record of records.companies) {
      const company = findings.parse(record, companySchema);
      if (company !== undefined) walk(record.path, company, null);
    }
    // The hierarchy repeats companies the list holds: the same company twice is one org, unless they disagree.
    const seen = new Map<string, { path: string; parent: string | null }>();
    const ids = new Set(companies.map((c) => c.company.companyId));
    for (const { path, company, parent, parentPath } of companies) {
      const earlier = seen.get(company.companyId);
      if (earlier) {
        if (earlier.parent !== parent && parent !== null && earlier.parent !== null) {
          findings.error(parentPath, `company ${company.companyId} is under ${earlier.parent} at ${earlier.path}`);
        }
        continue;
      }
      seen.set(company.companyId, { path, parent });
      if (parent !== null && !ids.has(parent)) findings.error(parentPath, `unknown company ${parent}`);
      if (company.customerGroupId !== undefined && company.customerGroupId !== null) {
        findings.note(`${path}.customerGroupId`, "customer groups (catalog and pricing) have no place in our model: not imported");
      }
      builder.org(path, {
        id: company.companyId,
        name: company.companyName,
        parent,
        status: statuses[company.companyStatus]!,
        // Users belong to one company; "company and subsidiaries" (level 3) reaches down the tree.
        inheritRoles: true,
        attributes: { platform: "bigcommerce" },
      });
    }
    // A company first seen nested but listed flat with its parent takes that parent.
    fillParents(builder.document.orgs, companies);

    for (const record of records.users) mapUser(record, roles, records.roles.length > 0, { builder, findings });
  },
};

function fillParents(orgs: { id: string; parent?: string | null | undefined }[], companies: { company: Company; parent: string | null }[]): void {
  const parents = new Map<string, string>();
  for (const c of companies) if (c.parent !== null) parents.set(c.company.companyId, c.parent);
  for (const org of orgs) if (org.parent === null && parents.has(org.id)) org.parent = parents.get(org.id)!;
}

function mapUser(
  record: SourceRecord,
  roles: Map<string, "custom" | "predefined">,
  haveRoles: boolean,
  { builder, findings }: Pick<Parameters<PlatformMapper["map"]>[1], "builder" | "findings">,
): void {
  const user = findings.parse(record, userSchema);
  if (user === undefined) return;
  if (user.role === 3) {
    findings.note(`${record.path}.role`, "a sales rep (role 3) acts for the seller: not imported as a buyer (make them staff)");
    return;
  }
  let role: string = templates[user.role as 0 | 1 | 2];
  const custom = user.companyRoleId ?? null;
  if (custom !== null) {
    const kind = roles.get(custom);
    if (kind === "custom") role = bigcommerceRoleKey(custom);
    else if (kind === undefined && haveRoles) {
      findings.error(`${record.path}.companyRoleId`, `unknown company role ${custom}`);
      return;
    } else if (kind === undefined) {
      findings.note(`${record.path}.companyRoleId`, `company role ${custom} is not in the export (no roles file): imported by its role ${user.role}`);
    }
  }
  if (!builder.hasOrg(user.companyId)) findings.error(`${record.path}.companyId`, `unknown company ${user.companyId}`);
  builder.user(record.path, { id: user.id, ...(user.email ? { email: user.email } : {}) }, true);
  // Not inheritable: a BigCommerce user acts in its own company; its level-3 codes reach the subsidiaries.
  builder.membership(record.path, { user: user.id, org: user.companyId, roles: [role], inheritable: false });
}
