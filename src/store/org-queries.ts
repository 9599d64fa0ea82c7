import type pg from "pg";
import type { Limits, MembershipRecord, OrgRecord } from "../model/graph-schemas.ts";

/** SQL reads shared by the repository and import/export: one org, subtrees, memberships. */

export interface OrgRow {
  id: string;
  name: string;
  parent: string | null;
  status: OrgRecord["status"];
  inherit_roles: boolean;
  attributes: Record<string, unknown>;
  over_limit: "approval" | "deny";
  path: string[];
}

export function orgFromRow(r: OrgRow): OrgRecord {
  const org: OrgRecord = {
    id: r.id,
    name: r.name,
    parent: r.parent,
    status: r.status,
    inheritRoles: r.inherit_roles,
    attributes: r.attributes,
    path: r.path,
  };
  if (r.parent === null) org.overLimit = r.over_limit;
  return org;
}

export async function findOrg(client: pg.ClientBase, id: string): Promise<OrgRecord | null> {
  const { rows } = await client.query<OrgRow>(
    `with recursive up (id, parent, n) as (
       select id, parent, 0 from orgs where id = $1::text
       union all
       select o.id, o.parent, up.n + 1 from up join orgs o on o.id = up.parent where up.n < 64
     )
     select o.id, o.name, o.parent, o.status, o.inherit_roles, o.attributes, o.over_limit,
            (select array_agg(id order by n desc) from up) as path
       from orgs o where o.id = $1::text`,
    [id],
  );
  return rows[0] ? orgFromRow(rows[0]) : null;
}

/** `id` and its descendants, parents first, each with its path from the tree root. */
export async function subtreeRows(client: pg.ClientBase, id: string): Promise<OrgRow[]> {
  const { rows } = await client.query<OrgRow & { depth: number }>(
    `with recursive up (id, parent, n) as (
       select id, parent, 0 from orgs where id = $1::text
       union all
       select o.id, o.parent, up.n + 1 from up join orgs o on o.id = up.parent where up.n < 64
     ),
     down (id, name, parent, status, inherit_roles, attributes, over_limit, path) as (
       select o.id, o.name, o.parent, o.status, o.inherit_roles, o.attributes, o.over_limit,
              (select array_agg(id order by n desc) from up)
         from orgs o where o.id = $1::text
       union all
       select c.id, c.name, c.parent, c.status, c.inherit_roles, c.attributes, c.over_limit, d.path || c.id
         from orgs c join down d on c.parent = d.id where cardinality(d.path) < 64
     )
     select * from down order by cardinality(path), id`,
    [id],
  );
  return rows;
}

/** Size and height (levels, a leaf is 1) of the subtree under `id`. */
export async function subtreeShape(client: pg.ClientBase, id: string): Promise<{ size: number; height: number }> {
  const { rows } = await client.query<{ size: string; height: number }>(
    `with recursive down (id, d) as (
       select id, 1 from orgs where id = $1::text
       union all
       select o.id, down.d + 1 from orgs o join down on o.parent = down.id where down.d < 64
     )
     select count(*) as size, coalesce(max(d), 0) as height from down`,
    [id],
  );
  return { size: Number(rows[0]?.size ?? 0), height: rows[0]?.height ?? 0 };
}

export interface MembershipRow {
  user_id: string;
  org_id: string;
  roles: string[];
  inheritable: boolean;
  limits: Limits | null;
}

export const MEMBERSHIP_COLUMNS = "user_id, org_id, roles, inheritable, limits";

export function membershipFromRow(r: MembershipRow): MembershipRecord {
  const m: MembershipRecord = { user: r.user_id, org: r.org_id, roles: r.roles, inheritable: r.inheritable };
  if (r.limits) m.limits = r.limits;
  return m;
}
