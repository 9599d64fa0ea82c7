import type pg from "pg";
import { AuthzError, type ErrorDetail } from "../errors.ts";
import { parseOrThrow } from "../validation.ts";
import {
  createOrgBodySchema,
  putMembershipBodySchema,
  putRoleBodySchema,
  putUserBodySchema,
  staffInputSchema,
  updateOrgBodySchema,
  type MembershipRecord,
  type OrgRecord,
  type RoleRecord,
  type StaffRecord,
  type TreeNode,
  type UserRecord,
} from "../model/graph-schemas.ts";
import { roleFromRow } from "./fact-loader.ts";
import { encodeToken } from "../model/graph-token.ts";
import {
  findOrg,
  MEMBERSHIP_COLUMNS,
  membershipFromRow,
  orgFromRow,
  subtreeRows,
  subtreeShape,
  type MembershipRow,
} from "./org-queries.ts";
import { inTransaction, lockTrees, lockTreesOf, toStoreError } from "./transactions.ts";
import { writtenVersions } from "./store-identity.ts";
import type { TreeLimitReason, TreeShape } from "../model/tree-limits.ts";

export interface TreeLimits {
  maxDepth: number;
  maxOrgs: number;
}


/**
 * The store's own re-check of the tree limits, under its tree locks, for what concurrency can change after the
 * policy judged (two writers racing to exceed a limit) and for writes no policy judged (the demo graph). It
 * answers with the policy's reason codes and messages (policies/b2b/trees), so a caller cannot tell which refused.
 */
export function recheckTreeLimits(limits: TreeLimits, trees: readonly TreeShape[]): TreeLimitReason[] {
  const sizes = trees
    .filter((t) => t.size > limits.maxOrgs)
    .map((t) => ({ code: "size_limit", message: `tree ${t.root} would have ${t.size} orgs; a tree has at most ${limits.maxOrgs} orgs` }));
  const depths = trees.filter((t) => t.height > limits.maxDepth).map((t) => ({
    code: "depth_limit",
    message: `tree ${t.root} would be ${t.height} levels deep (org ${t.deepest}); a tree has at most ${limits.maxDepth} levels`,
  }));
  return [...sizes, ...depths];
}

/** Reasons as error details, as the admin decision reports them: the reason code is the detail's path. */
export function reasonDetails(reasons: readonly TreeLimitReason[]): ErrorDetail[] {
  return reasons.map((r) => ({ path: r.code, message: r.message }));
}

/** A refusal in the policy's terms (reason codes as the detail paths). */
function refusedBy(code: "unprocessable" | "conflict", reasons: readonly TreeLimitReason[]): AuthzError {
  return new AuthzError(code, reasons.map((r) => r.message).join("; "), { details: reasonDetails(reasons) });
}

/** Every write answers with the token of the versions it produced. */
export interface Written {
  graphToken: string;
}

/** Told about the versions a write produced, before it returns (so this process never reads its own write stale). */
export type OnWritten = (versions: Map<string, number>) => void;

/**
 * Management reads and writes of the org graph. Each write is one transaction that locks the trees it touches
 * (lockTreesOf) before checking the tree invariants, so concurrent writers cannot together break them.
 */
export class GraphRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: TreeLimits,
    private readonly onWritten: OnWritten = () => undefined,
  ) {}

  private async write<T>(work: (client: pg.PoolClient) => Promise<{ keys: string[]; value: T }>): Promise<T & Written> {
    const { value, written } = await inTransaction(this.pool, async (client) => {
      const { keys, value } = await work(client);
      return { value, written: await writtenVersions(client, keys) };
    });
    this.onWritten(written.versions);
    return { graphToken: encodeToken(written.store, written.versions), ...value };
  }

  private async read<T>(work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
    try {
      const client = await this.pool.connect();
      try {
        return await work(client);
      } finally {
        client.release();
      }
    } catch (error) {
      throw toStoreError(error);
    }
  }

  // ---- orgs ----

  /** `creator`: a buyer creating a child org gets these roles in it (MODEL, Administration), in the same transaction. */
  async createOrg(body: unknown, creator?: { user: string; roles: string[] }): Promise<Written & { org: OrgRecord }> {
    const input = parseOrThrow(createOrgBodySchema, body);
    return this.write(async (client) => {
      let root = input.id;
      if (input.parent !== null) {
        const roots = await lockTreesOf(client, [input.parent]);
        const parentRoot = roots.get(input.parent);
        if (!parentRoot) throw notFound("org", input.parent, "parent");
        root = parentRoot;
        // The policy judged the limits; a writer racing this one may have moved the parent or grown the tree since.
        const parent = await findOrg(client, input.parent);
        const { size } = await subtreeShape(client, root);
        const refused = recheckTreeLimits(this.limits, [{ root, size: size + 1, height: (parent?.path.length ?? 0) + 1, deepest: input.id }]);
        // Depth before size, as the policy orders them (the re-check lists sizes first).
        if (refused.length > 0) throw refusedBy("unprocessable", refused.slice(-1));
      } else {
        await lockTrees(client, [input.id]);
      }
      const exists = await client.query("select 1 from orgs where id = $1", [input.id]);
      if (exists.rowCount) throw new AuthzError("conflict", `org ${input.id} already exists`, { details: [{ path: "id", message: "already exists" }] });
      await client.query(
        `insert into orgs (id, name, parent, status, inherit_roles, attributes, over_limit)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [input.id, input.name, input.parent, input.status, input.inheritRoles, input.attributes, input.overLimit ?? "approval"],
      );
      if (creator) {
        await client.query("insert into memberships (org_id, user_id, roles, inheritable) values ($1, $2, $3, true)", [
          input.id,
          creator.user,
          creator.roles,
        ]);
      }
      const org = await findOrg(client, input.id);
      return { keys: [`t:${root}`], value: { org: org! } };
    });
  }

  async updateOrg(id: string, body: unknown): Promise<Written & { org: OrgRecord }> {
    const patch = parseOrThrow(updateOrgBodySchema, body);
    return this.write(async (client) => {
      const moving = patch.parent !== undefined;
      const roots = await lockTreesOf(client, moving && patch.parent ? [id, patch.parent] : [id]);
      const oldRoot = roots.get(id);
      if (!oldRoot) throw notFound("org", id);
      const current = (await findOrg(client, id))!;
      const keys = [`t:${oldRoot}`];
      if (moving && patch.parent !== current.parent) {
        keys.push(`t:${await this.checkMove(client, current, patch.parent ?? null, roots)}`);
      }
      await client.query(
        `update orgs set
           name = coalesce($2, name), status = coalesce($3, status), inherit_roles = coalesce($4, inherit_roles),
           attributes = coalesce($5, attributes), over_limit = coalesce($6, over_limit),
           parent = case when $7 then $8 else parent end, updated_at = now()
         where id = $1`,
        [id, patch.name, patch.status, patch.inheritRoles, patch.attributes, patch.overLimit, moving, patch.parent ?? null],
      );
      return { keys, value: { org: (await findOrg(client, id))! } };
    });
  }

  /** Re-parenting `org` under `parent` (null: top-level) keeps trees acyclic and within limits; returns the new root. */
  private async checkMove(client: pg.ClientBase, org: OrgRecord, parent: string | null, roots: Map<string, string | null>): Promise<string> {
    const shape = await subtreeShape(client, org.id);
    if (parent === null) return org.id;
    const newRoot = roots.get(parent);
    if (!newRoot) throw notFound("org", parent, "parent");
    // The policy judged the move; a writer racing this one may have changed the trees since (b2b.admin.orgs reasons).
    const target = (await findOrg(client, parent))!;
    if (target.path.includes(org.id)) {
      throw refusedBy("conflict", [{ code: "cycle", message: `org ${parent} is ${org.id} or one of its descendants` }]);
    }
    // Within one tree a move changes no size (0 never exceeds the limit).
    const size = newRoot !== roots.get(org.id) ? (await subtreeShape(client, newRoot)).size + shape.size : 0;
    const refused = recheckTreeLimits(this.limits, [
      { root: newRoot, size, height: target.path.length + shape.height, deepest: org.id },
    ]);
    if (refused.length > 0) throw refusedBy("unprocessable", refused.slice(-1)); // depth first, as the policy
    return newRoot;
  }

  async getOrg(id: string): Promise<OrgRecord> {
    const org = await this.read((client) => findOrg(client, id));
    if (!org) throw notFound("org", id);
    return org;
  }

  /** The subtree under `id`, nested, with the root and size of the whole tree. */
  async getTree(id: string): Promise<{ root: string; size: number; tree: TreeNode }> {
    return this.read(async (client) => {
      const rows = await subtreeRows(client, id);
      const first = rows[0];
      if (!first) throw notFound("org", id);
      const root = first.path[0]!;
      const { size } = await subtreeShape(client, root);
      const nodes = new Map<string, TreeNode>();
      for (const row of rows) {
        const node: TreeNode = { ...orgFromRow(row), children: [] };
        nodes.set(row.id, node);
        if (row.parent !== null && row.id !== id) nodes.get(row.parent)?.children.push(node);
      }
      return { root, size, tree: nodes.get(id)! };
    });
  }

  /** Top-level orgs with the size of their trees. */
  async listTrees(): Promise<{ root: string; name: string; size: number }[]> {
    return this.read(async (client) => {
      const { rows } = await client.query<{ root: string; name: string; size: string }>(
        `with recursive down (root, id, d) as (
           select id, id, 1 from orgs where parent is null
           union all
           select down.root, o.id, down.d + 1 from orgs o join down on o.parent = down.id where down.d < 64
         )
         select r.id as root, r.name, count(*) as size from down join orgs r on r.id = down.root
         group by r.id, r.name order by r.id`,
      );
      return rows.map((r) => ({ root: r.root, name: r.name, size: Number(r.size) }));
    });
  }

  // ---- memberships ----

  async listMembers(org: string): Promise<MembershipRecord[]> {
    return this.read(async (client) => {
      const exists = await client.query("select 1 from orgs where id = $1", [org]);
      if (!exists.rowCount) throw notFound("org", org);
      const { rows } = await client.query<MembershipRow>(
        `select ${MEMBERSHIP_COLUMNS} from memberships where org_id = $1 order by user_id`,
        [org],
      );
      return rows.map(membershipFromRow);
    });
  }

  async putMembership(org: string, user: string, body: unknown): Promise<Written & { membership: MembershipRecord; created: boolean }> {
    const input = parseOrThrow(putMembershipBodySchema, body);
    return this.write(async (client) => {
      const root = (await lockTreesOf(client, [org])).get(org);
      if (!root) throw notFound("org", org);
      const known = await client.query("select 1 from users where id = $1", [user]);
      if (!known.rowCount) throw notFound("user", user);
      const { rows } = await client.query<MembershipRow & { created: boolean }>(
        `insert into memberships (org_id, user_id, roles, inheritable, limits) values ($1, $2, $3, $4, $5)
         on conflict (org_id, user_id) do update
           set roles = excluded.roles, inheritable = excluded.inheritable, limits = excluded.limits, updated_at = now()
         returning ${MEMBERSHIP_COLUMNS}, (xmax = 0) as created`,
        [org, user, input.roles, input.inheritable, input.limits ?? null],
      );
      const row = rows[0]!;
      return { keys: [`t:${root}`], value: { membership: membershipFromRow(row), created: row.created } };
    });
  }

  async deleteMembership(org: string, user: string): Promise<Written & { membership: MembershipRecord }> {
    return this.write(async (client) => {
      const root = (await lockTreesOf(client, [org])).get(org);
      if (!root) throw notFound("org", org);
      const { rows } = await client.query<MembershipRow>(
        `delete from memberships where org_id = $1 and user_id = $2 returning ${MEMBERSHIP_COLUMNS}`,
        [org, user],
      );
      if (!rows[0]) throw notFound("membership", `${user}@${org}`);
      return { keys: [`t:${root}`], value: { membership: membershipFromRow(rows[0]) } };
    });
  }

  // ---- users ----

  async putUser(id: string, body: unknown): Promise<Written & { user: UserRecord; created: boolean }> {
    const input = parseOrThrow(putUserBodySchema, body);
    return this.write(async (client) => {
      const { rows } = await client.query<UserRecord & { created: boolean }>(
        `insert into users (id, email, status) values ($1, $2, $3)
         on conflict (id) do update set email = excluded.email, status = excluded.status, updated_at = now()
         returning id, email, status, (xmax = 0) as created`,
        [id, input.email ?? null, input.status],
      );
      const { created, ...user } = rows[0]!;
      return { keys: [`u:${id}`], value: { user, created } };
    });
  }

  async getUser(id: string): Promise<UserRecord & { memberships: MembershipRecord[] }> {
    return this.read(async (client) => {
      const { rows } = await client.query<UserRecord>("select id, email, status from users where id = $1", [id]);
      if (!rows[0]) throw notFound("user", id);
      const ms = await client.query<MembershipRow>(
        `select ${MEMBERSHIP_COLUMNS} from memberships where user_id = $1 order by org_id`,
        [id],
      );
      return { ...rows[0], memberships: ms.rows.map(membershipFromRow) };
    });
  }

  // ---- roles and staff ----

  async listRoles(): Promise<RoleRecord[]> {
    return this.read(async (client) => {
      const { rows } = await client.query<Parameters<typeof roleFromRow>[0]>(
        `select key, name, permissions, assignable_by_buyers as "assignableByBuyers", limits, checkout
           from roles order by key`,
      );
      return rows.map(roleFromRow);
    });
  }

  async putRole(key: string, body: unknown): Promise<Written & { role: RoleRecord; created: boolean }> {
    const input = parseOrThrow(putRoleBodySchema, body);
    return this.write(async (client) => {
      const { rows } = await client.query<{ created: boolean }>(
        `insert into roles (key, name, permissions, assignable_by_buyers, limits, checkout) values ($1, $2, $3, $4, $5, $6)
         on conflict (key) do update set name = excluded.name, permissions = excluded.permissions,
           assignable_by_buyers = excluded.assignable_by_buyers, limits = excluded.limits,
           checkout = excluded.checkout, updated_at = now()
         returning (xmax = 0) as created`,
        [key, input.name, JSON.stringify(input.permissions), input.assignableByBuyers, input.limits ?? null, input.checkout],
      );
      const role: RoleRecord = { key, ...input };
      if (role.limits === undefined) delete role.limits;
      return { keys: ["roles"], value: { role, created: rows[0]!.created } };
    });
  }

  async listStaff(): Promise<StaffRecord[]> {
    return this.read(async (client) => {
      const { rows } = await client.query<StaffRecord>("select id, roles from staff order by id");
      return rows;
    });
  }

  async putStaff(id: string, body: unknown): Promise<Written & { staff: StaffRecord }> {
    const input = parseOrThrow(staffInputSchema, { ...(body as object), id });
    return this.write(async (client) => {
      await client.query(
        `insert into staff (id, roles) values ($1, $2)
         on conflict (id) do update set roles = excluded.roles, updated_at = now()`,
        [id, input.roles],
      );
      return { keys: ["staff"], value: { staff: { id, roles: input.roles } } };
    });
  }

  async deleteStaff(id: string): Promise<Written> {
    return this.write(async (client) => {
      const { rowCount } = await client.query("delete from staff where id = $1", [id]);
      if (!rowCount) throw notFound("staff", id);
      return { keys: ["staff"], value: {} };
    });
  }

  /** Row counts for status. */
  async counts(): Promise<Record<"orgs" | "trees" | "users" | "memberships" | "roles" | "staff", number>> {
    return this.read(async (client) => {
      const { rows } = await client.query<Record<string, string>>(
        `select (select count(*) from orgs) as orgs, (select count(*) from orgs where parent is null) as trees,
                (select count(*) from users) as users, (select count(*) from memberships) as memberships,
                (select count(*) from roles) as roles, (select count(*) from staff) as staff`,
      );
      const r = rows[0] ?? {};
      return {
        orgs: Number(r.orgs ?? 0),
        trees: Number(r.trees ?? 0),
        users: Number(r.users ?? 0),
        memberships: Number(r.memberships ?? 0),
        roles: Number(r.roles ?? 0),
        staff: Number(r.staff ?? 0),
      };
    });
  }
}

export function notFound(kind: string, id: string, path?: string): AuthzError {
  return new AuthzError("not_found", `unknown ${kind} ${id}`, path ? { details: [{ path, message: `unknown ${kind} ${id}` }] } : {});
}
