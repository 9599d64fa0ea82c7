import type pg from "pg";
import type { ImportDocument } from "../model/graph-schemas.ts";

/**
 * The embedded store's demo: one document showing every feature of the model, and a host-side `orders` table so
 * the README can run the SQL that `POST /v1/orders/query` returns.
 *
 * ACME (company)                    alice: org_admin, inherited down the tree
 * ├── ACME-EU (division)            bob: buyer here only (not inheritable)
 * │   ├── ACME-DE                   carol: regional_buyer (limit override 500); erin: approver; henry: disabled user
 * │   │   └── ACME-BER              dave: requester (every order needs approval)
 * │   └── ACME-FR (inheritRoles false: alice's role stops here)   gina: viewer
 * └── ACME-US                       frank: buyer (frank is also org_admin of GLOBEX: two trees)
 *     └── ACME-LAB (inactive unit)
 * GLOBEX (company, overLimit deny)  └── GLOBEX-OPS
 * INITECH (pending company)         ivan: org_admin, refused until approved
 */
export const demoDocument: ImportDocument = {
  roles: [
    {
      key: "requester",
      name: "Requester",
      assignableByBuyers: true,
      checkout: "approval",
      permissions: [
        { code: "catalog.browse", level: 2 },
        { code: "cart.create", level: 2 },
        { code: "order.place", level: 2 },
        { code: "order.view", level: 1 },
      ],
    },
    {
      key: "regional_buyer",
      name: "Regional buyer",
      assignableByBuyers: true,
      checkout: "direct",
      limits: { maxOrderTotal: 5000, periodBudget: { amount: 20000, period: "month" } },
      permissions: [
        { code: "catalog.browse", level: 2 },
        { code: "cart.create", level: 2 },
        { code: "order.place", level: 2 },
        { code: "order.view", level: 3 },
      ],
    },
  ],
  orgs: [
    { id: "ACME", name: "Acme Corp", parent: null, status: "active", inheritRoles: true, attributes: { country: "US" }, overLimit: "approval" },
    { id: "ACME-EU", name: "Acme Europe", parent: "ACME", status: "active", inheritRoles: true, attributes: { region: "EU" } },
    { id: "ACME-DE", name: "Acme Germany", parent: "ACME-EU", status: "active", inheritRoles: true, attributes: { country: "DE" } },
    { id: "ACME-BER", name: "Acme Berlin", parent: "ACME-DE", status: "active", inheritRoles: true, attributes: {} },
    { id: "ACME-FR", name: "Acme France", parent: "ACME-EU", status: "active", inheritRoles: false, attributes: { country: "FR" } },
    { id: "ACME-US", name: "Acme US", parent: "ACME", status: "active", inheritRoles: true, attributes: {} },
    { id: "ACME-LAB", name: "Acme R&D unit", parent: "ACME-US", status: "inactive", inheritRoles: true, attributes: {} },
    { id: "GLOBEX", name: "Globex GmbH", parent: null, status: "active", inheritRoles: true, attributes: {}, overLimit: "deny" },
    { id: "GLOBEX-OPS", name: "Globex Operations", parent: "GLOBEX", status: "active", inheritRoles: true, attributes: {} },
    { id: "INITECH", name: "Initech", parent: null, status: "pending", inheritRoles: true, attributes: {}, overLimit: "approval" },
  ],
  users: [
    { id: "alice", email: "alice@acme.test", status: "active" },
    { id: "bob", email: "bob@acme.test", status: "active" },
    { id: "carol", email: "carol@acme.test", status: "active" },
    { id: "dave", email: "dave@acme.test", status: "active" },
    { id: "erin", email: "erin@acme.test", status: "active" },
    { id: "frank", email: "frank@globex.test", status: "active" },
    { id: "gina", email: "gina@acme.test", status: "active" },
    { id: "henry", email: "henry@acme.test", status: "disabled" },
    { id: "ivan", email: "ivan@initech.test", status: "active" },
  ],
  memberships: [
    { user: "alice", org: "ACME", roles: ["org_admin"], inheritable: true },
    { user: "bob", org: "ACME-EU", roles: ["buyer"], inheritable: false },
    { user: "carol", org: "ACME-DE", roles: ["regional_buyer"], inheritable: true, limits: { maxOrderTotal: 500 } },
    { user: "dave", org: "ACME-BER", roles: ["requester"], inheritable: true },
    { user: "erin", org: "ACME-DE", roles: ["bc_senior_buyer"], inheritable: true },
    { user: "henry", org: "ACME-DE", roles: ["buyer"], inheritable: true },
    { user: "frank", org: "ACME-US", roles: ["buyer"], inheritable: true },
    { user: "frank", org: "GLOBEX", roles: ["org_admin"], inheritable: true },
    { user: "gina", org: "ACME-FR", roles: ["viewer"], inheritable: true },
    { user: "ivan", org: "INITECH", roles: ["org_admin"], inheritable: true },
  ],
  staff: [{ id: "ops-1", roles: ["store_admin"] }],
};

/** A host application's orders (not part of the graph store): what the order-query SQL filters. */
export async function createDemoOrders(pool: pg.Pool): Promise<void> {
  await pool.query(`
    create table if not exists orders (
      id text primary key, org_id text not null, buyer_id text not null,
      total numeric(12, 2) not null, currency text not null default 'EUR', placed_at timestamptz not null default now());
    insert into orders (id, org_id, buyer_id, total, currency) values
      ('o1', 'ACME', 'alice', 1200, 'USD'),
      ('o2', 'ACME-EU', 'bob', 300, 'EUR'),
      ('o3', 'ACME-DE', 'carol', 450, 'EUR'),
      ('o4', 'ACME-DE', 'erin', 2100, 'EUR'),
      ('o5', 'ACME-BER', 'dave', 80, 'EUR'),
      ('o6', 'ACME-BER', 'carol', 640, 'EUR'),
      ('o7', 'ACME-FR', 'gina', 95, 'EUR'),
      ('o8', 'ACME-US', 'frank', 5000, 'USD'),
      ('o9', 'GLOBEX', 'frank', 700, 'EUR'),
      ('o10', 'GLOBEX-OPS', 'frank', 40, 'EUR')
    on conflict (id) do nothing`);
}
