import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../src/store/migrate.ts";
import { dropDatabase, freshPool } from "./graph-test-support.ts";

describe("migration runner", () => {
  let url: string;
  let pool: pg.Pool;

  beforeAll(async () => {
    ({ url, pool } = await freshPool("migrations", 4));
  });
  afterAll(async () => {
    await pool?.end();
    await dropDatabase(url);
  });

  it("applies the ordered files once, records them, and is safe to run concurrently", async () => {
    const files = await readMigrations();
    expect(files.map((f) => f.name)).toEqual([...files.map((f) => f.name)].sort());
    const runs = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
    expect(runs.flat()).toEqual(files.map((f) => f.name)); // exactly one run applied them
    expect(await migrate(pool)).toEqual([]);
    const { rows } = await pool.query<{ name: string }>("select name from schema_migrations order by name");
    expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
  });

  it("refuses a migration whose file changed after it ran", async () => {
    const files = await readMigrations();
    const edited = files.map((f, i) => (i === 0 ? { ...f, checksum: "edited" } : f));
    await expect(migrate(pool, edited)).rejects.toThrow(/changed after it ran/);
  });

  it("rolls a failing migration back whole and records nothing", async () => {
    const files = await readMigrations();
    const broken = [...files, { name: "999_broken.sql", sql: "create table half_done (id int); select 1/0;", checksum: "x" }];
    await expect(migrate(pool, broken)).rejects.toThrow(/999_broken.sql failed/);
    const { rows } = await pool.query("select 1 from pg_tables where tablename = 'half_done'");
    expect(rows).toEqual([]);
    const recorded = await pool.query("select 1 from schema_migrations where name = '999_broken.sql'");
    expect(recorded.rows).toEqual([]);
  });
});
