import { z } from "zod";
import type { PlatformMapper } from "./platform.ts";

/**
 * Elastic Path Commerce Cloud Account Management (seed 003): accounts (with `parent_id`), account members and
 * account memberships, as the Accounts API answers them (JSON:API `data` lists). Shapes: the API reference
 * "Account Management" (Accounts, Account Members, Account Membership); see docs/importers.md.
 */
const resources = ["accounts", "account-members", "account-memberships"] as const;

const accountSchema = z.object({
  id: z.string().min(1),
  type: z.literal("account").optional(),
  name: z.string().min(1),
  legal_name: z.string().nullable().optional(),
  parent_id: z.string().min(1).nullable().optional(),
  // Elastic Path Commerce (seed 003) sets an account Active or Disabled; Commerce Cloud accounts carry no status.
  status: z.enum(["Active", "Disabled", "active", "disabled"]).optional(),
  registration_id: z.string().nullable().optional(),
  external_ref: z.string().nullable().optional(),
});

const memberSchema = z.object({
  id: z.string().min(1),
  type: z.literal("account_member").optional(),
  name: z.string().optional(),
  email: z.string().optional(),
});

const membershipSchema = z.object({
  id: z.string().min(1),
  type: z.literal("account_membership").optional(),
  account_member_id: z.string().min(1).optional(),
  relationships: z
    .object({
      account_member: z.object({ data: z.object({ id: z.string().min(1) }) }).optional(),
      account: z.object({ data: z.object({ id: z.string().min(1) }) }).optional(),
    })
    .optional(),
  links: z.object({ self: z.string().optional() }).optional(),
});

/** The account a membership belongs to: its `account` relationship, else its own `links.self` URL. */
const accountOfLink = (self: string | undefined) => self?.match(/\/accounts\/([^/]+)\/account-memberships\//)?.[1];

/** The one role Elastic Path associations carry (seed 003: "the only supported role is Buyer"). */
const BUYER = "ep_buyer";

export const elasticpath: PlatformMapper<(typeof resources)[number]> = {
  platform: "elasticpath",
  resources,
  map(records, { builder, findings }) {
    const accounts: { path: string; account: z.infer<typeof accountSchema> }[] = [];
    for (const record of records.accounts) {
      const account = findings.parse(record, accountSchema);
      if (account !== undefined) accounts.push({ path: record.path, account });
    }
    const ids = new Set(accounts.map((a) => a.account.id));
    for (const { path, account } of accounts) {
      const parent = account.parent_id ?? null;
      if (parent !== null && !ids.has(parent)) findings.error(`${path}.parent_id`, `unknown account "${parent}"`);
      builder.org(path, {
        id: account.id,
        name: account.name,
        parent,
        status: account.status?.toLowerCase() === "disabled" ? "disabled" : "active",
        // Level-3 reach (the purchases of the subtree) follows inheritRoles; associations themselves never cascade.
        inheritRoles: true,
        attributes: {
          platform: "elasticpath",
          ...(account.legal_name ? { legalName: account.legal_name } : {}),
          ...(account.external_ref ? { externalRef: account.external_ref } : {}),
        },
      });
    }

    for (const record of records["account-members"]) {
      const member = findings.parse(record, memberSchema);
      if (member === undefined) continue;
      builder.user(record.path, { id: member.id, ...(member.email ? { email: member.email } : {}) }, true);
    }

    for (const record of records["account-memberships"]) {
      const m = findings.parse(record, membershipSchema);
      if (m === undefined) continue;
      const member = m.relationships?.account_member?.data.id ?? m.account_member_id;
      const account = m.relationships?.account?.data.id ?? accountOfLink(m.links?.self);
      if (member === undefined) findings.error(`${record.path}.relationships.account_member.data.id`, "Required");
      if (account === undefined) findings.error(`${record.path}.links.self`, "names no account (/v2/accounts/{id}/account-memberships/…), and there is no account relationship");
      if (member === undefined || account === undefined) continue;
      if (!ids.has(account)) findings.error(`${record.path}.links.self`, `unknown account "${account}"`);
      if (!builder.hasUser(member)) findings.error(`${record.path}.relationships.account_member.data.id`, `unknown account member "${member}"`);
      // Seed 003: associations are not inherited from parents in the tree.
      builder.membership(record.path, { user: member, org: account, roles: [BUYER], inheritable: false });
    }
  },
};
