-- The store's identity: one random id per database, created with the schema (a database dropped and created
-- again gets a new one). It is part of every Redis key, change-feed message and graphToken, so two stores
-- behind one Redis and one key prefix never read each other's cached facts or accept each other's tokens.
create table store_identity (
  singleton  boolean primary key default true check (singleton),
  id         uuid not null default gen_random_uuid(),
  created_at timestamptz not null default now()
);
insert into store_identity default values;

-- A random stamp per version bump. A database restored to an earlier state (same identity, older versions)
-- issues the same version numbers again for different facts; (version, stamp) is never issued twice, so a
-- value cached for the lost history can never be taken for the new one.
alter table graph_versions add column stamp uuid not null default gen_random_uuid();

create or replace function b2b_bump(keys text[]) returns void
language plpgsql as $$
declare
  r record;
begin
  for r in
    insert into graph_versions as g (key, version)
    select k, 1 from (select distinct k from unnest(keys) k where k is not null order by k) s
    on conflict (key) do update set version = g.version + 1, seq = nextval('graph_change_seq'), stamp = gen_random_uuid()
    returning g.key, g.version
  loop
    perform pg_notify('b2b_authz_graph', r.key || ' ' || r.version);
  end loop;
end $$;
