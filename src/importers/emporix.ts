import { z } from "zod";
import { own } from "./catalog.ts";
import type { PlatformMapper } from "./platform.ts";

/**
 * Emporix (seed 001): legal entities (COMPANY, SUBSIDIARY under `parentId`), contact assignments tying customers
 * to legal entities, the IAM customer groups each legal entity has (Admin, Buyer, Requester) and the users
 * assigned to them, and optionally the customers. Shapes: the API reference of the Customer Management
 * (Client Management) Service ("Legal entities", "Contact assignments"), the IAM Service ("Groups", "Retrieving
 * users assigned to a group") and the Customer Service; see docs/importers.md.
 */
const resources = ["legal-entities", "contact-assignments", "groups", "group-users", "customers"] as const;

const legalEntitySchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  type: z.enum(["COMPANY", "SUBSIDIARY"]),
  parentId: z.string().min(1).nullable().optional(),
  accountLimit: z.object({ currency: z.string(), value: z.number() }).optional(),
  customerGroups: z.array(z.unknown()).optional(),
  restrictions: z.array(z.unknown()).optional(),
});

const contactAssignmentSchema = z.object({
  id: z.string().min(1),
  legalEntity: z.object({ id: z.string().min(1) }),
  customer: z.object({ id: z.string().min(1) }),
  type: z.enum(["PRIMARY", "BILLING", "LOGISTICS", "CONTACT"]).optional(),
  primary: z.boolean().optional(),
});

const groupSchema = z.object({
  id: z.string().min(1),
  name: z.record(z.string(), z.string()).optional(),
  code: z.string().optional(),
  userType: z.enum(["CUSTOMER", "EMPLOYEE"]).optional(),
  b2b: z.object({ legalEntityId: z.string().min(1) }).optional(),
});

const groupUserSchema = z.object({
  id: z.string().optional(),
  groupId: z.string().min(1),
  userId: z.string().min(1),
  userType: z.enum(["CUSTOMER", "EMPLOYEE"]).optional(),
});

const customerSchema = z.object({
  id: z.string().min(1),
  contactEmail: z.string().optional(),
  active: z.boolean().optional(),
});

/** The predefined groups of a legal entity onto the Emporix templates (by code, else by English name). */
const templates: Record<string, string> = {
  B2B_ADMIN: "emp_admin",
  B2B_BUYER: "emp_buyer",
  B2B_REQUESTER: "emp_requester",
  Admin: "emp_admin",
  Buyer: "emp_buyer",
  Requester: "emp_requester",
};

export const emporix: PlatformMapper<(typeof resources)[number]> = {
  platform: "emporix",
  resources,
  map(records, { builder, findings }) {
    const entities: { path: string; entity: z.infer<typeof legalEntitySchema> }[] = [];
    for (const record of records["legal-entities"]) {
      const entity = findings.parse(record, legalEntitySchema);
      if (entity !== undefined) entities.push({ path: record.path, entity });
    }
    const ids = new Set(entities.map((e) => e.entity.id));
    for (const { path, entity } of entities) {
      const parent = entity.parentId ?? null;
      if (entity.type === "SUBSIDIARY" && parent === null) findings.error(`${path}.parentId`, "a SUBSIDIARY has a parent company");
      if (entity.type === "COMPANY" && parent !== null) findings.error(`${path}.parentId`, "a COMPANY is a top-level legal entity");
      if (parent !== null && !ids.has(parent)) findings.error(`${path}.parentId`, `unknown legal entity "${parent}"`);
      if (entity.accountLimit) {
        findings.note(
          `${path}.accountLimit`,
          `the entity's account limit (${entity.accountLimit.value} ${entity.accountLimit.currency}) has no place in our model, where limits belong to roles and memberships: not imported`,
        );
      }
      if (entity.customerGroups?.length) findings.note(`${path}.customerGroups`, "customer groups (prices) have no place in our model: not imported");
      if (entity.restrictions?.length) findings.note(`${path}.restrictions`, "site restrictions have no place in our model: not imported");
      builder.org(path, {
        id: entity.id,
        name: entity.name,
        parent,
        status: "active",
        inheritRoles: true,
        attributes: { platform: "emporix", type: entity.type },
      });
    }

    for (const record of records.customers) {
      const c = findings.parse(record, customerSchema);
      if (c === undefined) continue;
      builder.user(record.path, { id: c.id, ...(c.contactEmail ? { email: c.contactEmail } : {}), status: c.active === false ? "disabled" : "active" }, true);
    }

    // Which template each group stands for, at which legal entity.
    const groups = new Map<string, { entity: string; role: string }>();
    for (const record of records.groups) {
      const g = findings.parse(record, groupSchema);
      if (g === undefined) continue;
      const role = (g.code ? own(templates, g.code) : undefined) ?? (g.name?.en ? own(templates, g.name.en) : undefined);
      if (!g.b2b) {
        findings.note(record.path, "a group without b2b.legalEntityId grants nothing in a legal entity: not imported");
        continue;
      }
      if (!role) {
        findings.note(record.path, `group ${g.code ?? g.id} is not one of a legal entity's Admin, Buyer or Requester groups: not imported`);
        continue;
      }
      if (!ids.has(g.b2b.legalEntityId)) findings.error(`${record.path}.b2b.legalEntityId`, `unknown legal entity "${g.b2b.legalEntityId}"`);
      groups.set(g.id, { entity: g.b2b.legalEntityId, role });
    }

    const rolesOf = new Map<string, { roles: string[]; path: string }>();
    for (const record of records["group-users"]) {
      const a = findings.parse(record, groupUserSchema);
      if (a === undefined) continue;
      const group = groups.get(a.groupId);
      if (!group) continue; // a group the report already named, or not a legal entity's
      const key = `${a.userId}\u0000${group.entity}`;
      const entry = rolesOf.get(key) ?? { roles: [], path: record.path };
      if (!entry.roles.includes(group.role)) entry.roles.push(group.role);
      rolesOf.set(key, entry);
    }

    const tied = new Set<string>();
    for (const record of records["contact-assignments"]) {
      const a = findings.parse(record, contactAssignmentSchema);
      if (a === undefined) continue;
      const entity = a.legalEntity.id;
      if (!ids.has(entity)) findings.error(`${record.path}.legalEntity.id`, `unknown legal entity "${entity}"`);
      const key = `${a.customer.id}\u0000${entity}`;
      tied.add(key);
      const held = rolesOf.get(key);
      if (!held) {
        findings.note(record.path, `customer ${a.customer.id} is in no Admin, Buyer or Requester group of ${entity}: not imported (it could not act there)`);
        continue;
      }
      builder.user(`${record.path}.customer`, { id: a.customer.id });
      // Emporix propagates contacts when they are assigned, so the export already holds every entity they act in.
      builder.membership(record.path, { user: a.customer.id, org: entity, roles: held.roles, inheritable: false });
    }
    for (const [key, { path }] of rolesOf) {
      if (!tied.has(key)) {
        const [user, entity] = key.split("\u0000");
        findings.note(path, `customer ${user} is in a group of ${entity} without a contact assignment there: not imported`);
      }
    }
  },
};
