import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { AuthzError } from "../errors.ts";

const migrationsDir = fileURLToPath(new URL("./migrations/", import.meta.url));

/** Any fixed number: every sidecar starting at once takes this lock, so migrations run exactly once. */
const MIGRATION_LOCK = 7_301_442_001;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

/** The ordered `.sql` files of `src/store/migrations/` (file names sort in the order they must run). */
export async function readMigrations(dir = migrationsDir): Promise<Migration[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".sql")).sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(`${dir}/${name}`, "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Applies the migrations that have not run yet, each in its own transaction, and records them in
 * `schema_migrations`. A migration that ran with different contents is refused: edit by adding a new file.
 * Returns the names applied now.
 */
export async function migrate(pool: pg.Pool, migrations?: Migration[]): Promise<string[]> {
  const all = migrations ?? (await readMigrations());
  const client = await pool.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    await client.query(`create table if not exists schema_migrations (
      name text primary key, checksum text not null, applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ name: string; checksum: string }>("select name, checksum from schema_migrations");
    const done = new Map(rows.map((r) => [r.name, r.checksum]));
    const applied: string[] = [];
    for (const m of all) {
      const checksum = done.get(m.name);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new AuthzError("internal", `migration ${m.name} changed after it ran; add a new migration instead`);
        }
        continue;
      }
      await client.query("begin");
      try {
        await client.query(m.sql);
        await client.query("insert into schema_migrations (name, checksum) values ($1, $2)", [m.name, m.checksum]);
        await client.query("commit");
      } catch (error) {
        await client.query("rollback");
        throw new AuthzError("internal", `migration ${m.name} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(m.name);
    }
    return applied;
  } finally {
    await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
