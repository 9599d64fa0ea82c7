import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgStatuses } from "../../src/model/policy-data.generated.ts";
import { migrate } from "../../src/store/migrate.ts";
import { dropDatabase, freshPool } from "./graph-test-support.ts";

/**
 * The org statuses come from the policy catalog (src/model/policy-data.generated.ts); the schema's check
 * constraint keeps its own copy in SQL, so it must name exactly the same statuses.
 */
describe("org statuses in PostgreSQL", () => {
  let url: string;
  let pool: pg.Pool;

  beforeAll(async () => {
    ({ url, pool } = await freshPool("policy_lists", 2));
    await migrate(pool);
  });
  afterAll(async () => {
    await pool?.end();
    await dropDatabase(url);
  });

  it("the orgs.status check constraint allows exactly the policy's statuses", async () => {
    const { rows } = await pool.query<{ def: string }>(
      `select pg_get_constraintdef(c.oid) as def from pg_constraint c
        where c.conrelid = 'orgs'::regclass and c.contype = 'c' and pg_get_constraintdef(c.oid) like '%status%'`,
    );
    expect(rows).toHaveLength(1);
    const allowed = [...(rows[0]?.def ?? "").matchAll(/'([^']+)'::text/g)].map((m) => m[1]);
    expect([...allowed].sort()).toEqual([...orgStatuses]);
  });

  it("stores an org in every status the policy knows, and refuses another", async () => {
    for (const status of orgStatuses) {
      await pool.query("insert into orgs (id, name, status) values ($1, $1, $2)", [`org-${status}`, status]);
    }
    const { rows } = await pool.query<{ status: string }>("select status from orgs order by status");
    expect(rows.map((r) => r.status)).toEqual([...orgStatuses]);
    await expect(pool.query("insert into orgs (id, name, status) values ('x', 'x', 'archived')")).rejects.toThrow(
      /check constraint/,
    );
  });
});
