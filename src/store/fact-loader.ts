import type pg from "pg";
import type { FactSource, LoadedPaths, LoadedTree, TreeVersion, Versioned } from "../model/fact-source.ts";
import type { RoleRecord, StaffRecord, UserRecord } from "../model/graph-schemas.ts";
import type { TreeData } from "../model/tree-data.ts";
import { STORE_ID_SQL } from "./store-identity.ts";
import { rootsOf, toStoreError } from "./transactions.ts";

// One statement per load, so the tree, its memberships and its version come from one MVCC snapshot.
// json_agg orders orgs parents-first (by depth) so the snapshot can build paths in one pass. Memberships are
// fetched with `= any(array)` so the planner probes the primary key per org rather than scanning the table.
const TREE_BY_ORG = `
with recursive rt as (select b2b_tree_root($1::text) as id),
tree (id, parent, name, status, inherit_roles, attributes, over_limit, depth) as (
  select o.id, o.parent, o.name, o.status, o.inherit_roles, o.attributes, o.over_limit, 0
    from orgs o where o.id = (select id from rt)
  union all
  select c.id, c.parent, c.name, c.status, c.inherit_roles, c.attributes, c.over_limit, t.depth + 1
    from orgs c join tree t on c.parent = t.id where t.depth < 64
)
select json_build_object(
  'r', (select id from rt),
  'v', coalesce((select version from graph_versions where key = 't:' || (select id from rt)), 0),
  'x', (select stamp from graph_versions where key = 't:' || (select id from rt)),
  'i', ${STORE_ID_SQL},
  'o', coalesce((select json_agg(json_build_array(id, parent, name, status, inherit_roles, attributes, over_limit)
                   order by depth, id) from tree), '[]'),
  'm', coalesce((select json_agg(json_build_array(m.user_id, m.org_id, m.roles, m.inheritable, m.limits))
                   from memberships m where m.org_id = any (array(select id from tree))), '[]')
)::text as data, (select id from rt) is not null as found`;

// The part of a tree one decision reads, for a cold tree: the orgs on the paths from the root to each of $1 that
// share $1[1]'s tree (parents-first, by depth), the memberships of $2 at those orgs, the tree's version and size,
// and user $2 with its version, from one MVCC snapshot. A few index probes per level instead of the whole tree's
// orgs and memberships, and one round trip for all a cold decision reads.
const PATHS_IN_TREE = `
with recursive up (start, id, parent, name, status, inherit_roles, attributes, over_limit, n) as (
  select o.id, o.id, o.parent, o.name, o.status, o.inherit_roles, o.attributes, o.over_limit, 0
    from orgs o where o.id = any ($1::text[])
  union all
  select up.start, p.id, p.parent, p.name, p.status, p.inherit_roles, p.attributes, p.over_limit, up.n + 1
    from up join orgs p on p.id = up.parent where up.n < 64
),
rt as (select id from up where start = $1[1] and parent is null),
path as (
  select distinct on (u.id) u.*, max(u.n) over (partition by u.start) - u.n as depth
    from up u where u.start in (select start from up where parent is null and id = (select id from rt))
),
sized (id, n) as (
  select id, 0 from rt
  union all
  select c.id, s.n + 1 from orgs c join sized s on c.parent = s.id where s.n < 64
)
select json_build_object(
  'r', (select id from rt),
  'v', coalesce((select version from graph_versions where key = 't:' || (select id from rt)), 0),
  'x', (select stamp from graph_versions where key = 't:' || (select id from rt)),
  'i', ${STORE_ID_SQL},
  's', (select count(*) from sized),
  'o', coalesce((select json_agg(json_build_array(id, parent, name, status, inherit_roles, attributes, over_limit)
                   order by depth, id) from path), '[]'),
  'm', coalesce((select json_agg(json_build_array(m.user_id, m.org_id, m.roles, m.inheritable, m.limits))
                   from memberships m where m.user_id = $2::text and m.org_id = any (array(select id from path))), '[]')
)::text as data, (select id from rt) is not null as found,
  coalesce((select version from graph_versions where key = 'u:' || $2::text), 0) as user_version,
  (select stamp::text from graph_versions where key = 'u:' || $2::text) as user_stamp,
  u.id as user_id, u.email as user_email, u.status as user_status
from (select 1) one left join users u on u.id = $2::text`;

// The tree root of each of $1 that exists, in one statement: a missing org has no row.
interface UserRow {
  user_version: string;
  user_stamp: string | null;
  user_id: string | null;
  user_email: string | null;
  user_status: string | null;
}

function userFromRow(row: UserRow): Versioned<UserRecord | null> {
  const user = row.user_id ? ({ id: row.user_id, email: row.user_email, status: row.user_status } as UserRecord) : null;
  return { version: Number(row.user_version), stamp: row.user_stamp ?? "", value: user };
}

/** Reads the facts decisions need from PostgreSQL, each in one round trip. */
export class FactLoader implements FactSource {
  /**
   * `prepared`: name the two tree statements, so each connection plans them once (their planning costs about
   * as much as a path read's execution). Off for the embedded store, whose socket shares one session among the
   * pool's connections, where a second PREPARE of a name fails.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly prepared = true,
  ) {}

  private statement(name: string, text: string, values: unknown[]): pg.QueryConfig {
    return this.prepared ? { name, text, values } : { text, values };
  }

  /**
   * Opens `connections` pool connections and runs both tree statements once on each (for no org), so the first
   * cold decisions pay for neither a new backend's catalog loading nor a first planning: ~10 ms each otherwise.
   */
  async warm(connections: number): Promise<void> {
    const clients = await Promise.all(Array.from({ length: connections }, () => this.pool.connect()));
    try {
      await Promise.all(
        clients.map(async (client) => {
          await client.query(this.statement("b2b_paths_in_tree", PATHS_IN_TREE, [[""], null]));
          await client.query(this.statement("b2b_tree_by_org", TREE_BY_ORG, [""]));
        }),
      );
    } finally {
      for (const client of clients) client.release();
    }
  }

  /** The whole tree holding `org`, or null when no such org. */
  async treeOf(org: string): Promise<LoadedTree | null> {
    const { rows } = await this.pool.query<{ data: string; found: boolean }>(this.statement("b2b_tree_by_org", TREE_BY_ORG, [org]));
    const row = rows[0];
    if (!row?.found) return null;
    return { text: row.data, data: JSON.parse(row.data) as TreeData };
  }

  /**
   * The orgs on the paths of `orgs` (the first one's tree only) and `user`'s memberships there, with the tree's
   * version and size, and `user` itself: what one decision by `user` reads, for answering before the whole tree has
   * loaded. Null when `orgs[0]` is unknown; `user` null (staff) reads no user.
   */
  async pathsOf(orgs: readonly string[], user: string | null): Promise<LoadedPaths | null> {
    const { rows } = await this.pool.query<{ data: string; found: boolean } & UserRow>(
      this.statement("b2b_paths_in_tree", PATHS_IN_TREE, [orgs, user]),
    );
    const row = rows[0];
    if (!row?.found) return null;
    const tree = { text: row.data, data: JSON.parse(row.data) as TreeData };
    return user === null ? { tree } : { tree, user: userFromRow(row) };
  }

  /** The root of each of `orgs` that exists (absent: no such org), in one round trip. */
  async rootsOf(orgs: readonly string[]): Promise<Map<string, string>> {
    const roots = await rootsOf(this.pool, orgs);
    return new Map([...roots].filter((entry): entry is [string, string] => entry[1] !== null));
  }

  async user(id: string): Promise<Versioned<UserRecord | null>> {
    const { rows } = await this.pool.query<UserRow>(
      `select coalesce((select version from graph_versions where key = 'u:' || $1::text), 0) as user_version,
              (select stamp::text from graph_versions where key = 'u:' || $1::text) as user_stamp,
              u.id as user_id, u.email as user_email, u.status as user_status
         from (select 1) one left join users u on u.id = $1::text`,
      [id],
    );
    const row = rows[0];
    return row ? userFromRow(row) : { version: 0, stamp: "", value: null };
  }

  /** All custom roles (a small store-wide set). */
  async roles(): Promise<Versioned<Map<string, RoleRecord>>> {
    const { rows } = await this.pool.query<{ version: string; stamp: string | null; roles: RoleRow[] }>(
      `select coalesce((select version from graph_versions where key = 'roles'), 0) as version,
              (select stamp::text from graph_versions where key = 'roles') as stamp,
              coalesce((select json_agg(json_build_object('key', key, 'name', name, 'permissions', permissions,
                 'assignableByBuyers', assignable_by_buyers, 'limits', limits, 'checkout', checkout) order by key)
                 from roles), '[]') as roles`,
    );
    const row = rows[0];
    return {
      version: Number(row?.version ?? 0),
      stamp: row?.stamp ?? "",
      value: new Map((row?.roles ?? []).map((r) => [r.key, roleFromRow(r)])),
    };
  }

  async staff(): Promise<Versioned<Map<string, StaffRecord>>> {
    const { rows } = await this.pool.query<{ version: string; stamp: string | null; staff: StaffRecord[] }>(
      `select coalesce((select version from graph_versions where key = 'staff'), 0) as version,
              (select stamp::text from graph_versions where key = 'staff') as stamp,
              coalesce((select json_agg(json_build_object('id', id, 'roles', roles)) from staff), '[]') as staff`,
    );
    const row = rows[0];
    return { version: Number(row?.version ?? 0), stamp: row?.stamp ?? "", value: new Map((row?.staff ?? []).map((s) => [s.id, s])) };
  }

  /**
   * The store's identity and the current version and stamp of cache keys (missing keys are version 0, stamp ''),
   * in one snapshot: what a resync compares the caches with.
   */
  async current(keys: string[]): Promise<{ store: string; versions: Map<string, { version: number; stamp: string }> }> {
    const { rows } = await this.pool.query<{ store: string; versions: Record<string, [number, string]> }>(
      `select ${STORE_ID_SQL} as store,
              coalesce((select json_object_agg(key, json_build_array(version, stamp))
                          from graph_versions where key = any($1::text[])), '{}') as versions`,
      [keys],
    );
    const row = rows[0]!;
    const versions = new Map(keys.map((k) => [k, { version: 0, stamp: "" }]));
    for (const [k, [version, stamp]] of Object.entries(row.versions)) versions.set(k, { version: Number(version), stamp });
    return { store: row.store, versions };
  }

  /**
   * The versions PostgreSQL holds now of the trees holding `orgs`, of `users`, roles and staff (0: never bumped),
   * read fresh for an administration decision, in one round trip. Failures are store errors: no cache is in between.
   */
  async currentVersions(orgs: readonly string[], users: readonly string[]): Promise<Map<string, number>> {
    try {
      const { rows } = await this.pool.query<{ key: string; version: string }>(
        `select k as key, coalesce(g.version, 0) as version
           from (select 't:' || b2b_tree_root(o) as k from unnest($1::text[]) o
                 union select 'u:' || u from unnest($2::text[]) u
                 union select 'roles' union select 'staff') keys
           left join graph_versions g on g.key = keys.k
          where k is not null`,
        [orgs, users],
      );
      return new Map(rows.map((r) => [r.key, Number(r.version)]));
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /** The orgs of all of `userId`'s memberships, store-wide and read fresh, in one query. */
  async orgsOfUser(userId: string): Promise<string[]> {
    try {
      const { rows } = await this.pool.query<{ org_id: string }>("select org_id from memberships where user_id = $1 order by org_id", [
        userId,
      ]);
      return rows.map((r) => r.org_id);
    } catch (error) {
      throw toStoreError(error);
    }
  }

  /**
   * The current version and stamp of the tree holding `org` (null: no such org), with the store's identity: what
   * a value found in Redis must match before it may serve. One primary-key probe per level.
   */
  async treeVersion(org: string): Promise<TreeVersion | null> {
    const { rows } = await this.pool.query<{ root: string | null; version: string; stamp: string | null; store: string }>(
      this.statement(
        "b2b_tree_version",
        `select r.root, coalesce(g.version, 0) as version, g.stamp::text as stamp, ${STORE_ID_SQL} as store
           from (select b2b_tree_root($1::text) as root) r left join graph_versions g on g.key = 't:' || r.root`,
        [org],
      ),
    );
    const row = rows[0];
    if (!row?.root) return null;
    return { store: row.store, key: `t:${row.root}`, version: Number(row.version), stamp: row.stamp ?? "" };
  }
}

interface RoleRow {
  key: string;
  name: string;
  permissions: RoleRecord["permissions"];
  assignableByBuyers: boolean;
  limits: RoleRecord["limits"] | null;
  checkout: RoleRecord["checkout"];
}

export function roleFromRow(r: RoleRow): RoleRecord {
  const role: RoleRecord = {
    key: r.key,
    name: r.name,
    permissions: r.permissions,
    assignableByBuyers: r.assignableByBuyers,
    checkout: r.checkout,
  };
  if (r.limits) role.limits = r.limits;
  return role;
}
