-- The org graph: orgs (trees), users, memberships, custom roles and staff (shared/spec/MODEL.md).
-- Constraints the database can hold live here; tree invariants that span rows (no cycle, depth, size) are
-- enforced by the repository under a per-tree lock, with a cycle guard below for writes that bypass it.

create table orgs (
  id            text primary key check (length(id) between 1 and 256),
  name          text not null check (length(name) <= 512),
  parent        text references orgs (id) on delete restrict,
  status        text not null default 'active'
                check (status in ('active', 'inactive', 'suspended', 'pending', 'rejected', 'disabled')),
  inherit_roles boolean not null default true,
  attributes    jsonb not null default '{}' check (jsonb_typeof(attributes) = 'object'),
  -- Meaningful on top-level orgs only: the tree's answer to an exceeded checkout limit.
  over_limit    text not null default 'approval' check (over_limit in ('approval', 'deny')),
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  check (parent is distinct from id)
);
create index orgs_parent_idx on orgs (parent);

create table users (
  id         text primary key check (length(id) between 1 and 256),
  email      text check (length(email) <= 320),
  status     text not null default 'active' check (status in ('active', 'disabled')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table memberships (
  org_id      text not null references orgs (id) on delete cascade,
  user_id     text not null references users (id) on delete cascade,
  roles       text[] not null check (cardinality(roles) between 1 and 5 and array_position(roles, null) is null),
  inheritable boolean not null default true,
  limits      jsonb check (limits is null or jsonb_typeof(limits) = 'object'),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user_idx on memberships (user_id);

-- Custom roles only: built-in templates ship with the policy bundle.
create table roles (
  key                  text primary key check (length(key) between 1 and 128),
  name                 text not null,
  permissions          jsonb not null default '[]' check (jsonb_typeof(permissions) = 'array'),
  assignable_by_buyers boolean not null default false,
  limits               jsonb check (limits is null or jsonb_typeof(limits) = 'object'),
  checkout             text not null default 'direct' check (checkout in ('direct', 'approval')),
  updated_at           timestamptz not null default now()
);

create table staff (
  id         text primary key check (length(id) between 1 and 256),
  roles      text[] not null check (cardinality(roles) >= 1 and array_position(roles, null) is null),
  updated_at timestamptz not null default now()
);

-- One version per cache key: 't:<root>' a tree, 'u:<id>' a user, 'roles', 'staff', 'all' (truncate).
-- Bumped by the triggers below in the writing transaction; the row lock orders versions of a key by commit,
-- so a graphToken {key: version} is a read-your-writes bound that can be compared.
-- `seq` orders all bumps store-wide: the embedded store polls it (its one session hands NOTIFYs to whichever
-- connection committed), real servers use LISTEN.
create sequence graph_change_seq;
create table graph_versions (
  key     text primary key,
  version bigint not null,
  seq     bigint not null default nextval('graph_change_seq')
);
create index graph_versions_seq_idx on graph_versions (seq);

-- Roots of the trees holding the given orgs (walks parents; the depth cap keeps a corrupt cycle from looping).
create function b2b_tree_roots(ids text[]) returns setof text
language sql stable as $$
  with recursive up (id, parent, n) as (
    select o.id, o.parent, 0 from orgs o where o.id = any (ids)
    union all
    select o.id, o.parent, up.n + 1 from up join orgs o on o.id = up.parent where up.n < 64
  )
  select distinct id from up where parent is null
$$;

create function b2b_tree_root(org text) returns text
language sql stable as $$ select b2b_tree_roots(array[org]) limit 1 $$;

-- Bumps the versions of `keys` and tells every listener, in key order so concurrent writers lock rows alike.
create function b2b_bump(keys text[]) returns void
language plpgsql as $$
declare
  r record;
begin
  for r in
    insert into graph_versions as g (key, version)
    select k, 1 from (select distinct k from unnest(keys) k where k is not null order by k) s
    on conflict (key) do update set version = g.version + 1, seq = nextval('graph_change_seq')
    returning g.key, g.version
  loop
    perform pg_notify('b2b_authz_graph', r.key || ' ' || r.version);
  end loop;
end $$;

-- Statement-level triggers (transition tables) so a bulk write bumps each touched tree once per statement,
-- and writes made directly by a host application invalidate caches exactly like the API's.
create function b2b_orgs_changed() returns trigger
language plpgsql as $$
declare
  keys text[];
begin
  if tg_op = 'INSERT' then
    select array_agg('t:' || r) into keys from b2b_tree_roots(array(select id from new_rows)) r;
  elsif tg_op = 'UPDATE' then
    -- new position of each row, and its old one (old parent's tree, or itself when it was a root)
    select array_agg('t:' || r) into keys from (
      select b2b_tree_roots(array(select id from new_rows)) r
      union select b2b_tree_roots(array(select parent from old_rows where parent is not null))
      union select id from old_rows where parent is null
    ) s;
  else
    select array_agg('t:' || r) into keys from (
      select b2b_tree_roots(array(select parent from old_rows where parent is not null)) r
      union select id from old_rows where parent is null
    ) s;
  end if;
  perform b2b_bump(keys);
  return null;
end $$;

create trigger orgs_changed_ins after insert on orgs referencing new table as new_rows
  for each statement execute function b2b_orgs_changed();
create trigger orgs_changed_upd after update on orgs referencing old table as old_rows new table as new_rows
  for each statement execute function b2b_orgs_changed();
create trigger orgs_changed_del after delete on orgs referencing old table as old_rows
  for each statement execute function b2b_orgs_changed();

-- Cycle guard for any writer: the new parent must not have the row among its ancestors.
create function b2b_orgs_no_cycle() returns trigger
language plpgsql as $$
begin
  if new.parent is not null and exists (
    with recursive up (id, parent, n) as (
      select o.id, o.parent, 0 from orgs o where o.id = new.parent
      union all
      select o.id, o.parent, up.n + 1 from up join orgs o on o.id = up.parent where up.n < 64
    )
    select 1 from up where id = new.id
  ) then
    raise exception 'org % cannot move under its own descendant %', new.id, new.parent
      using errcode = '23514', constraint = 'orgs_no_cycle';
  end if;
  return new;
end $$;

create trigger orgs_no_cycle before update of parent on orgs
  for each row when (new.parent is distinct from old.parent) execute function b2b_orgs_no_cycle();

create function b2b_memberships_changed() returns trigger
language plpgsql as $$
declare
  keys text[];
begin
  if tg_op = 'INSERT' then
    select array_agg('t:' || r) into keys from b2b_tree_roots(array(select org_id from new_rows)) r;
  elsif tg_op = 'UPDATE' then
    select array_agg('t:' || r) into keys
      from b2b_tree_roots(array(select org_id from new_rows union select org_id from old_rows)) r;
  else
    select array_agg('t:' || r) into keys from b2b_tree_roots(array(select org_id from old_rows)) r;
  end if;
  perform b2b_bump(keys);
  return null;
end $$;

create trigger memberships_changed_ins after insert on memberships referencing new table as new_rows
  for each statement execute function b2b_memberships_changed();
create trigger memberships_changed_upd after update on memberships referencing old table as old_rows new table as new_rows
  for each statement execute function b2b_memberships_changed();
create trigger memberships_changed_del after delete on memberships referencing old table as old_rows
  for each statement execute function b2b_memberships_changed();

create function b2b_users_changed() returns trigger
language plpgsql as $$
declare
  keys text[];
begin
  if tg_op = 'INSERT' then
    select array_agg('u:' || id) into keys from new_rows;
  elsif tg_op = 'UPDATE' then
    select array_agg('u:' || id) into keys from (select id from new_rows union select id from old_rows) s;
  else
    select array_agg('u:' || id) into keys from old_rows;
  end if;
  perform b2b_bump(keys);
  return null;
end $$;

create trigger users_changed_ins after insert on users referencing new table as new_rows
  for each statement execute function b2b_users_changed();
create trigger users_changed_upd after update on users referencing old table as old_rows new table as new_rows
  for each statement execute function b2b_users_changed();
create trigger users_changed_del after delete on users referencing old table as old_rows
  for each statement execute function b2b_users_changed();

-- Roles and staff are small store-wide sets, cached whole: one key each.
create function b2b_bump_table() returns trigger
language plpgsql as $$
begin
  perform b2b_bump(array[tg_argv[0]]);
  return null;
end $$;

create trigger roles_changed after insert or update or delete on roles
  for each statement execute function b2b_bump_table('roles');
create trigger staff_changed after insert or update or delete on staff
  for each statement execute function b2b_bump_table('staff');

-- TRUNCATE has no transition table: tell every cache to start over.
create trigger orgs_truncated after truncate on orgs for each statement execute function b2b_bump_table('all');
create trigger memberships_truncated after truncate on memberships for each statement execute function b2b_bump_table('all');
create trigger users_truncated after truncate on users for each statement execute function b2b_bump_table('all');
create trigger roles_truncated after truncate on roles for each statement execute function b2b_bump_table('all');
create trigger staff_truncated after truncate on staff for each statement execute function b2b_bump_table('all');
