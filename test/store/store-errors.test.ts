import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthzError } from "../../src/errors.ts";
import { inTransaction, toStoreError } from "../../src/store/transactions.ts";
import { PG_ADMIN_URL } from "./graph-test-support.ts";

/**
 * Store errors are classified by their SQLSTATE, never by the words of their message: every error here is a real
 * one from PostgreSQL (or the driver), and several carry messages that would mislead a reader of the text.
 */
let pool: pg.Pool;

beforeAll(() => {
  pool = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 4 });
});
afterAll(async () => {
  await pool?.end();
});

/** A real PostgreSQL error with the given SQLSTATE and message, raised by the server. */
async function raised(sqlstate: string, message: string): Promise<unknown> {
  try {
    await pool.query(`do $$ begin raise exception '${message}' using errcode = '${sqlstate}'; end $$`);
  } catch (error) {
    return error;
  }
  throw new Error("expected the server to raise");
}

async function failing(sql: string, params: unknown[] = []): Promise<unknown> {
  try {
    await pool.query(sql, params);
  } catch (error) {
    return error;
  }
  throw new Error(`expected ${sql} to fail`);
}

describe("toStoreError classifies by SQLSTATE class", () => {
  it("an integrity violation is not an outage, whatever its message says", async () => {
    const error = toStoreError(await raised("23514", "connection timeout while checking"));
    expect(error.code).toBe("unprocessable");
  });

  it("a data exception is the caller's bad input, even when its text mentions connecting", async () => {
    expect(toStoreError(await raised("22023", "cannot connect these values")).code).toBe("invalid_request");
    expect(toStoreError(await failing("select $1::int", ["not a number"])).code).toBe("invalid_request");
    expect(toStoreError(await failing("select $1::text", ["a\u0000b"])).code).toBe("invalid_request");
  });

  it("unique and foreign-key violations keep their meaning", async () => {
    const client = await pool.connect();
    try {
      await client.query("create temp table t_parent (id text primary key)");
      await client.query("create temp table t_child (id text primary key, parent text references t_parent (id))");
      await client.query("insert into t_parent values ('p')");
      const duplicate = await client.query("insert into t_parent values ('p')").catch((e: unknown) => e);
      expect(toStoreError(duplicate).code).toBe("conflict");
      const dangling = await client.query("insert into t_child values ('c', 'nope')").catch((e: unknown) => e);
      expect(toStoreError(dangling).code).toBe("not_found");
    } finally {
      client.release(true);
    }
  });

  it("connection exceptions, shutdowns and resource exhaustion are graph_unavailable, without the server's text", async () => {
    for (const sqlstate of ["08006", "57P01", "57P03", "53300", "57014"]) {
      const error = toStoreError(await raised(sqlstate, "secret server detail"));
      expect(error.code, sqlstate).toBe("graph_unavailable");
      expect(error.message).not.toContain("secret server detail");
    }
  });

  it("a terminated backend is graph_unavailable", async () => {
    const client = await pool.connect();
    client.on("error", () => undefined);
    try {
      const pid = (await client.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]!.pid;
      await pool.query("select pg_terminate_backend($1)", [pid]);
      const error = await client.query("select 1").catch((e: unknown) => e);
      expect(toStoreError(error).code).toBe("graph_unavailable");
    } finally {
      client.release(true);
    }
  });

  it("an unreachable server is graph_unavailable", async () => {
    const url = new URL(PG_ADMIN_URL);
    url.port = "1"; // nothing listens there
    const unreachable = new pg.Pool({ connectionString: url.toString(), connectionTimeoutMillis: 2000 });
    try {
      const error = await unreachable.query("select 1").catch((e: unknown) => e);
      expect(toStoreError(error).code).toBe("graph_unavailable");
    } finally {
      await unreachable.end();
    }
  });

  it("a programming error with a misleading message is internal, not an outage", () => {
    expect(toStoreError(new TypeError("Connection terminated: cannot read properties of undefined")).code).toBe("internal");
  });

  it("an undefined table (schema not migrated) is internal, and keeps the server's text out of the message", async () => {
    const error = toStoreError(await failing("select * from no_such_table_here"));
    expect(error.code).toBe("internal");
    expect(error.message).not.toContain("no_such_table_here");
    expect(error).toBeInstanceOf(AuthzError);
  });
});

describe("inTransaction", () => {
  it("retries a serialization failure (40001) and a deadlock (40P01), then succeeds", async () => {
    let attempts = 0;
    const result = await inTransaction(pool, async (client) => {
      attempts++;
      if (attempts === 1) await client.query("do $$ begin raise exception 'retry me' using errcode = '40001'; end $$");
      if (attempts === 2) await client.query("do $$ begin raise exception 'retry me' using errcode = '40P01'; end $$");
      return (await client.query<{ n: number }>("select 7 as n")).rows[0]!.n;
    });
    expect(result).toBe(7);
    expect(attempts).toBe(3);
  });

  it("gives up on a race that never settles as a conflict", async () => {
    const outcome = await inTransaction(pool, async (client) => {
      await client.query("do $$ begin raise exception 'always' using errcode = '40001'; end $$");
    }).catch((e: unknown) => e);
    expect(outcome).toMatchObject({ code: "conflict" });
  });

  it("does not retry an integrity violation whose message sounds transient", async () => {
    let attempts = 0;
    const outcome = await inTransaction(pool, async (client) => {
      attempts++;
      await client.query("do $$ begin raise exception 'deadlock detected, timeout' using errcode = '23514'; end $$");
    }).catch((e: unknown) => e);
    expect(outcome).toMatchObject({ code: "unprocessable" });
    expect(attempts).toBe(1);
  });
});
