import type pg from "pg";

/**
 * The identity of a store (docs/graph-store.md, "Store identity and restores"): the random id migration 002
 * creates with the schema, and the database's oid. The oid tells a copy (`create database ... template`, a dump
 * restored into a new database) from its original, which share the id: two copies behind one Redis prefix must
 * not take each other's feed for their own. Read in the same statement as the facts it vouches for, so an answer
 * never pairs one database's facts with another's identity.
 */
export const STORE_ID_SQL = `(select s.id::text || '.' || d.oid::text
   from store_identity s join pg_database d on d.datname = current_database())`;

/** The versions a write produced (the triggers bumped them) and the identity of the store it wrote to. */
export async function writtenVersions(client: pg.ClientBase, keys: Iterable<string>): Promise<{ store: string; versions: Map<string, number> }> {
  const { rows } = await client.query<{ store: string; versions: Record<string, string> }>(
    `select ${STORE_ID_SQL} as store,
            coalesce((select json_object_agg(key, version) from graph_versions where key = any($1::text[])), '{}') as versions`,
    [[...new Set(keys)]],
  );
  const row = rows[0]!;
  return { store: row.store, versions: new Map(Object.entries(row.versions).map(([k, v]) => [k, Number(v)])) };
}
