import type pg from "pg";
import { AuthzError, type ErrorDetail } from "../errors.ts";
import { invalidRequest } from "../validation.ts";
import { importDocumentSchema, type ImportDocument } from "../model/graph-schemas.ts";
import { encodeToken } from "../model/graph-token.ts";
import type { TreeLimitJudge, TreeShape } from "../model/tree-limits.ts";
import type { OnWritten, TreeLimits, Written } from "./graph-repository.ts";
import { notFound, reasonDetails, recheckTreeLimits } from "./graph-repository.ts";
import { MEMBERSHIP_COLUMNS, membershipFromRow, orgFromRow, subtreeRows, type MembershipRow } from "./org-queries.ts";
import { inTransaction, lockTrees, lockTreesOf, toStoreError } from "./transactions.ts";
import { writtenVersions } from "./store-identity.ts";

export type ImportCounts = Record<"roles" | "orgs" | "users" | "memberships" | "staff", number>;

const TOKEN_KEYS_MAX = 512;

/**
 * `POST /v1/import` and `GET /v1/export`: one document (README, API), upserted in one transaction. Every problem is
 * collected first (shape, duplicates, unknown references, cycles), each with the path of the offending field; then,
 * on the result and under the trees' locks, the policy judges the depth and size of every tree touched (its reason
 * codes are the detail paths); nothing is written unless there are no problems.
 */
export class GraphImportExport {
  constructor(
    private readonly pool: pg.Pool,
    private readonly limits: TreeLimits,
    private readonly onWritten: OnWritten = () => undefined,
  ) {}

  /**
   * `judge`: the policy's tree limits (b2b/trees/limits), for the HTTP API and the command line alike; without one
   * (the demo graph) the store's own re-check answers with the same reasons. `prune`: see `pruneTrees`.
   */
  async importDocument(
    body: unknown,
    options: { judge?: TreeLimitJudge; prune?: boolean } = {},
  ): Promise<Written & { counts: ImportCounts; pruned?: PruneCounts }> {
    const parsed = importDocumentSchema.safeParse(body);
    if (!parsed.success) throw invalidRequest(parsed.error);
    const doc = parsed.data;
    const errors = duplicates(doc);
    let pruned: PruneCounts | undefined;

    const written = await inTransaction(this.pool, async (client) => {
      const referenced = [...new Set([...doc.orgs.flatMap((o) => (o.parent ? [o.id, o.parent] : [o.id])), ...doc.memberships.map((m) => m.org)])];
      const roots = await lockTreesOf(client, referenced, doc.orgs.filter((o) => o.parent === null).map((o) => o.id));
      const order = await this.checkReferences(client, doc, errors);
      if (errors.length > 0) throw unprocessable(errors);

      await write(client, doc, order);

      const after = await client.query<{ id: string; root: string | null }>(
        "select id, b2b_tree_root(id) as root from unnest($1::text[]) as id",
        [referenced],
      );
      const affected = new Set<string>([...roots.values(), ...after.rows.map((r) => r.root)].filter((r): r is string => r !== null));
      await lockTrees(client, affected); // trees the import created or joined
      if (options.prune) pruned = await pruneTrees(client, doc);
      const shapes = await treeShapes(client, affected);
      const refused = options.judge ? options.judge(shapes) : recheckTreeLimits(this.limits, shapes);
      if (refused.length > 0) throw unprocessable(reasonDetails(refused));

      // The token names trees first, then roles/staff, then users, up to TOKEN_KEYS_MAX so a bulk import's
      // token stays small; keys left out are still invalidated through the change feed, just not awaited.
      const keys = [...[...affected].map((r) => `t:${r}`)];
      if (doc.roles.length > 0) keys.push("roles");
      if (doc.staff.length > 0) keys.push("staff");
      keys.push(...doc.users.map((u) => `u:${u.id}`));
      return writtenVersions(client, keys.slice(0, TOKEN_KEYS_MAX));
    });
    this.onWritten(written.versions);
    const counts = {
      roles: doc.roles.length,
      orgs: doc.orgs.length,
      users: doc.users.length,
      memberships: doc.memberships.length,
      staff: doc.staff.length,
    };
    return { graphToken: encodeToken(written.store, written.versions), counts, ...(pruned ? { pruned } : {}) };
  }

  /** Unknown references and cycles, against the store as the document would leave it; returns the write order. */
  private async checkReferences(client: pg.ClientBase, doc: ImportDocument, errors: ErrorDetail[]): Promise<number[]> {
    const ids = [...new Set([...doc.orgs.flatMap((o) => (o.parent ? [o.id, o.parent] : [o.id])), ...doc.memberships.map((m) => m.org)])];
    // Existing orgs and all their ancestors: enough to walk any path of the result.
    const { rows } = await client.query<{ id: string; parent: string | null }>(
      `with recursive up (id, parent, n) as (
         select id, parent, 0 from orgs where id = any($1::text[])
         union all
         select o.id, o.parent, up.n + 1 from up join orgs o on o.id = up.parent where up.n < 64
       ) select distinct id, parent from up`,
      [ids],
    );
    const parents = new Map<string, string | null>(rows.map((r) => [r.id, r.parent]));
    for (const o of doc.orgs) parents.set(o.id, o.parent);

    const depth = new Map<string, number>();
    const depthOf = (id: string): number | null => {
      const seen: string[] = [];
      let cur: string | null | undefined = id;
      while (cur !== null && cur !== undefined && !depth.has(cur)) {
        if (seen.includes(cur)) return null;
        seen.push(cur);
        cur = parents.get(cur);
      }
      let d = cur === null || cur === undefined ? 0 : depth.get(cur)!;
      for (let i = seen.length - 1; i >= 0; i--) depth.set(seen[i]!, ++d);
      return depth.get(id) ?? null;
    };
    doc.orgs.forEach((o, i) => {
      if (o.parent !== null && !parents.has(o.parent)) {
        errors.push({ path: `orgs.${i}.parent`, message: `unknown org ${o.parent}` });
      } else if (depthOf(o.id) === null) {
        errors.push({ path: `orgs.${i}.parent`, message: `${o.id} under ${o.parent} makes a cycle` });
      }
    });

    const users = new Set(doc.users.map((u) => u.id));
    const missingUsers = doc.memberships.map((m) => m.user).filter((u) => !users.has(u));
    if (missingUsers.length > 0) {
      const found = await client.query<{ id: string }>("select id from users where id = any($1::text[])", [missingUsers]);
      for (const r of found.rows) users.add(r.id);
    }
    doc.memberships.forEach((m, i) => {
      if (!parents.has(m.org)) errors.push({ path: `memberships.${i}.org`, message: `unknown org ${m.org}` });
      if (!users.has(m.user)) errors.push({ path: `memberships.${i}.user`, message: `unknown user ${m.user}` });
    });
    // Parents first, so a row never waits on a parent written after it.
    return doc.orgs.map((_, i) => i).sort((a, b) => (depth.get(doc.orgs[a]!.id) ?? 0) - (depth.get(doc.orgs[b]!.id) ?? 0));
  }

  /** The tree holding `org`, as an import document (custom roles its memberships use, the users they name). */
  async exportTree(org: string): Promise<ImportDocument> {
    try {
      const client = await this.pool.connect();
      try {
        await client.query("begin isolation level repeatable read read only");
        const root = await client.query<{ root: string | null }>("select b2b_tree_root($1) as root", [org]);
        const rootId = root.rows[0]?.root;
        if (!rootId) throw notFound("org", org);
        const doc = await exportRoots(client, [rootId]);
        await client.query("commit");
        return doc;
      } catch (error) {
        await client.query("rollback").catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** The whole store (every tree, all custom roles and staff). */
  async exportAll(): Promise<ImportDocument> {
    try {
      const client = await this.pool.connect();
      try {
        await client.query("begin isolation level repeatable read read only");
        const { rows } = await client.query<{ id: string }>("select id from orgs where parent is null order by id");
        const doc = await exportRoots(client, rows.map((r) => r.id), true);
        await client.query("commit");
        return doc;
      } finally {
        client.release();
      }
    } catch (error) {
      throw toStoreError(error);
    }
  }
}

async function exportRoots(client: pg.ClientBase, roots: string[], everything = false): Promise<ImportDocument> {
  const doc: ImportDocument = { roles: [], orgs: [], users: [], memberships: [], staff: [] };
  for (const root of roots) {
    for (const r of await subtreeRows(client, root)) {
      // The import shape is the org record without its derived path.
      const { path: _path, ...org } = orgFromRow(r);
      doc.orgs.push(org);
    }
  }
  const orgIds = doc.orgs.map((o) => o.id);
  const ms = await client.query<MembershipRow>(
    `select ${MEMBERSHIP_COLUMNS} from memberships where org_id = any($1::text[]) order by org_id, user_id`,
    [orgIds],
  );
  doc.memberships = ms.rows.map((r) => ({ ...membershipFromRow(r) }));
  const userIds = [...new Set(doc.memberships.map((m) => m.user))];
  const users = await client.query<{ id: string; email: string | null; status: "active" | "disabled" }>(
    everything ? "select id, email, status from users order by id" : "select id, email, status from users where id = any($1::text[]) order by id",
    everything ? [] : [userIds],
  );
  doc.users = users.rows.map((u) => ({ id: u.id, ...(u.email !== null ? { email: u.email } : {}), status: u.status }));
  const roleKeys = [...new Set(doc.memberships.flatMap((m) => m.roles))];
  const roles = await client.query<{ key: string; name: string; permissions: ImportDocument["roles"][number]["permissions"]; assignable_by_buyers: boolean; limits: ImportDocument["roles"][number]["limits"] | null; checkout: "direct" | "approval" }>(
    everything ? "select * from roles order by key" : "select * from roles where key = any($1::text[]) order by key",
    everything ? [] : [roleKeys],
  );
  doc.roles = roles.rows.map((r) => ({
    key: r.key,
    name: r.name,
    permissions: r.permissions,
    assignableByBuyers: r.assignable_by_buyers,
    ...(r.limits ? { limits: r.limits } : {}),
    checkout: r.checkout,
  }));
  if (everything) {
    const staff = await client.query<{ id: string; roles: string[] }>("select id, roles from staff order by id");
    doc.staff = staff.rows;
  }
  return doc;
}

/** The shape of each tree rooted at `roots`, as written (the transaction is still open), in the order of the roots' ids. */
async function treeShapes(client: pg.ClientBase, roots: Set<string>): Promise<TreeShape[]> {
  const { rows } = await client.query<{ root: string; size: string; height: number; deepest: string }>(
    `with recursive down (root, id, d) as (
       select id, id, 1 from orgs where id = any($1::text[]) and parent is null
       union all
       select down.root, o.id, down.d + 1 from orgs o join down on o.parent = down.id where down.d < 64
     )
     select root, count(*) as size, max(d) as height, (array_agg(id order by d desc, id))[1] as deepest
       from down group by root order by root`,
    [[...roots]],
  );
  return rows.map((r) => ({ root: r.root, size: Number(r.size), height: Number(r.height), deepest: r.deepest }));
}

export type PruneCounts = Record<"orgs" | "memberships", number>;

/**
 * `--prune`: in the trees whose top-level org the document holds, removes the orgs and memberships the document
 * no longer holds (an org a document membership names is kept), in the import's transaction; deepest orgs first,
 * since a parent may not go before its children. A tree the document holds only part of is left as it is: a
 * partial export must not empty the rest of its tree.
 */
async function pruneTrees(client: pg.ClientBase, doc: ImportDocument): Promise<PruneCounts> {
  const { rows } = await client.query<{ id: string; parent: string | null; depth: number }>(
    `with recursive down (id, parent, depth) as (
       select id, parent, 1 from orgs where id = any($1::text[]) and parent is null
       union all
       select o.id, o.parent, down.depth + 1 from orgs o join down on o.parent = down.id where down.depth < 64
     ) select id, parent, depth from down`,
    [doc.orgs.filter((o) => o.parent === null).map((o) => o.id)],
  );
  const keep = new Set([...doc.orgs.map((o) => o.id), ...doc.memberships.map((m) => m.org)]);
  const memberships = await client.query(
    `delete from memberships m
      where m.org_id = any($1::text[])
        and not exists (select 1 from jsonb_to_recordset($2::jsonb) as d("user" text, org text) where d.org = m.org_id and d."user" = m.user_id)`,
    [rows.map((r) => r.id), JSON.stringify(doc.memberships.map((m) => ({ user: m.user, org: m.org })))],
  );
  const gone = rows.filter((r) => !keep.has(r.id)).sort((a, b) => b.depth - a.depth);
  for (const depth of [...new Set(gone.map((r) => r.depth))]) {
    await client.query("delete from orgs where id = any($1::text[])", [gone.filter((r) => r.depth === depth).map((r) => r.id)]);
  }
  return { orgs: gone.length, memberships: memberships.rowCount ?? 0 };
}

/** One row per entity: the second occurrence of an id is an error at its own path. */
function duplicates(doc: ImportDocument): ErrorDetail[] {
  const errors: ErrorDetail[] = [];
  const check = <T>(list: T[], name: string, key: (x: T) => string, field: string) => {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
      const k = key(x);
      const first = seen.get(k);
      if (first !== undefined) errors.push({ path: `${name}.${i}.${field}`, message: `duplicate of ${name}.${first}` });
      else seen.set(k, i);
    });
  };
  check(doc.roles, "roles", (r) => r.key, "key");
  check(doc.orgs, "orgs", (o) => o.id, "id");
  check(doc.users, "users", (u) => u.id, "id");
  check(doc.memberships, "memberships", (m) => `${m.user}\u0000${m.org}`, "user");
  check(doc.staff, "staff", (s) => s.id, "id");
  return errors;
}

function unprocessable(errors: ErrorDetail[]): AuthzError {
  const shown = errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join("; ");
  return new AuthzError("unprocessable", `import refused, nothing written (${errors.length} errors): ${shown}`, { details: errors });
}

/** Set-based upserts: one statement per table, whatever the document's size. */
async function write(client: pg.ClientBase, doc: ImportDocument, order: number[]): Promise<void> {
  if (doc.roles.length > 0) {
    await client.query(
      `insert into roles (key, name, permissions, assignable_by_buyers, limits, checkout)
       select key, name, permissions, "assignableByBuyers", limits, checkout
         from jsonb_to_recordset($1::jsonb) as x(key text, name text, permissions jsonb, "assignableByBuyers" boolean, limits jsonb, checkout text)
       on conflict (key) do update set name = excluded.name, permissions = excluded.permissions,
         assignable_by_buyers = excluded.assignable_by_buyers, limits = excluded.limits, checkout = excluded.checkout, updated_at = now()`,
      [JSON.stringify(doc.roles)],
    );
  }
  if (doc.users.length > 0) {
    await client.query(
      `insert into users (id, email, status)
       select id, email, status from jsonb_to_recordset($1::jsonb) as x(id text, email text, status text)
       on conflict (id) do update set email = excluded.email, status = excluded.status, updated_at = now()`,
      [JSON.stringify(doc.users)],
    );
  }
  if (doc.staff.length > 0) {
    await client.query(
      `insert into staff (id, roles) select id, roles from jsonb_to_recordset($1::jsonb) as x(id text, roles text[])
       on conflict (id) do update set roles = excluded.roles, updated_at = now()`,
      [JSON.stringify(doc.staff)],
    );
  }
  if (doc.orgs.length > 0) {
    const rows = order.map((i) => {
      const o = doc.orgs[i]!;
      return { ...o, overLimit: o.overLimit ?? "approval" };
    });
    await client.query(
      `insert into orgs (id, name, parent, status, inherit_roles, attributes, over_limit)
       select j->>'id', j->>'name', j->>'parent', j->>'status', (j->>'inheritRoles')::boolean, j->'attributes', j->>'overLimit'
         from jsonb_array_elements($1::jsonb) with ordinality as e(j, n)
        order by n
       on conflict (id) do update set name = excluded.name, parent = excluded.parent, status = excluded.status,
         inherit_roles = excluded.inherit_roles, attributes = excluded.attributes, over_limit = excluded.over_limit,
         updated_at = now()`,
      [JSON.stringify(rows)],
    );
  }
  if (doc.memberships.length > 0) {
    await client.query(
      `insert into memberships (org_id, user_id, roles, inheritable, limits)
       select org, "user", roles, inheritable, limits
         from jsonb_to_recordset($1::jsonb) as x("user" text, org text, roles text[], inheritable boolean, limits jsonb)
       on conflict (org_id, user_id) do update set roles = excluded.roles, inheritable = excluded.inheritable,
         limits = excluded.limits, updated_at = now()`,
      [JSON.stringify(doc.memberships)],
    );
  }
}
