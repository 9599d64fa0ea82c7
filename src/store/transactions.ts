import pg from "pg";
import { AuthzError } from "../errors.ts";

/** Thrown inside a transaction when a tree changed root between reading and locking it: run the transaction again. */
export class RetryTransaction extends Error {}

const RETRYABLE = new Set(["40001", "40P01"]); // serialization failure, deadlock
const ATTEMPTS = 8;

/**
 * Runs `work` in one transaction, retrying on races the database or the tree lock detected. Anything thrown is
 * an AuthzError: constraint violations keep their meaning, an unreachable server is graph_unavailable, and
 * nothing is half-written (the transaction rolls back, or the server drops it if the process dies).
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (error) {
      throw toStoreError(error);
    }
    let broken = false;
    try {
      await client.query("begin");
      const result = await work(client);
      await client.query("commit");
      return result;
    } catch (error) {
      await client.query("rollback").catch(() => {
        broken = true;
      });
      const retryable = error instanceof RetryTransaction || (error instanceof pg.DatabaseError && RETRYABLE.has(error.code ?? ""));
      if (retryable && attempt < ATTEMPTS) continue;
      throw toStoreError(error);
    } finally {
      client.release(broken);
    }
  }
}

/** Takes the lock of each tree, in a fixed order so two writers never wait on each other crosswise. */
export async function lockTrees(client: pg.ClientBase, roots: Iterable<string>): Promise<void> {
  for (const root of [...new Set(roots)].sort()) {
    await client.query("select pg_advisory_xact_lock(hashtextextended($1::text, 0))", [`b2b_authz:tree:${root}`]);
  }
}

/**
 * The root of each org's tree (null: unknown org), in one walk up from all of them at once (a batch's resource
 * orgs are many); the depth cap keeps a corrupt cycle from looping, as in b2b_tree_roots.
 */
const ROOTS_OF = `
with recursive up (start, id, parent, n) as (
  select o.id, o.id, o.parent, 0 from orgs o where o.id = any ($1::text[])
  union all
  select up.start, p.id, p.parent, up.n + 1 from up join orgs p on p.id = up.parent where up.n < 64
)
select start, id as root from up where parent is null`;

export async function rootsOf(client: pg.ClientBase | pg.Pool, orgs: readonly string[]): Promise<Map<string, string | null>> {
  const { rows } = await client.query<{ start: string; root: string }>(ROOTS_OF, [orgs]);
  const roots = new Map<string, string | null>(orgs.map((org) => [org, null]));
  for (const r of rows) roots.set(r.start, r.root);
  return roots;
}

/**
 * Locks the trees holding `orgs` (and `extraRoots`), then checks no org changed tree meanwhile: a tree's
 * membership only changes under its lock, so once this returns the roots stay what they are until commit.
 */
export async function lockTreesOf(client: pg.ClientBase, orgs: string[], extraRoots: string[] = []): Promise<Map<string, string | null>> {
  const before = await rootsOf(client, orgs);
  await lockTrees(client, [...[...before.values()].filter((r): r is string => r !== null), ...extraRoots]);
  const after = await rootsOf(client, orgs);
  for (const [org, root] of after) if (before.get(org) !== root) throw new RetryTransaction(`tree of ${org} changed`);
  return after;
}

/**
 * SQLSTATE classes (PostgreSQL manual, Appendix A) of failures that are the store's, not the request's: the server
 * is unreachable, shutting down, out of resources, cancelled the statement or failed itself. Decisions fail closed.
 */
const UNAVAILABLE_CLASSES = new Set(["08", "53", "57", "58", "XX", "3D", "28"]);

/** Failures of our own code: a bug, never mistaken for an outage however its message reads. */
const PROGRAMMING_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError];

/**
 * Classifies a store failure by its SQLSTATE, never by its message text (which a value or a constraint name can put
 * anything into). Only a request's own mistakes (integrity, data) keep the server's words, since they describe the
 * request's values; an outage or an internal failure says so generically and keeps the driver's error as the cause,
 * for the log.
 */
export function toStoreError(error: unknown): AuthzError {
  if (error instanceof AuthzError) return error;
  if (error instanceof pg.DatabaseError) return fromSqlState(error);
  if (error instanceof RetryTransaction) return new AuthzError("conflict", "a concurrent write won the race; try again", { cause: error });
  if (PROGRAMMING_ERRORS.some((type) => error instanceof type)) {
    return new AuthzError("internal", "org graph store: internal failure", { cause: error });
  }
  // Whatever else reaches here is the driver's own: refused, reset or timed-out connections, a terminated
  // session, a pool that is closing. None carries a SQLSTATE.
  return new AuthzError("graph_unavailable", "org graph store unreachable", { cause: error });
}

function fromSqlState(error: pg.DatabaseError): AuthzError {
  const code = error.code ?? "";
  const sqlClass = code.slice(0, 2);
  const cause = { cause: error };
  if (UNAVAILABLE_CLASSES.has(sqlClass)) return new AuthzError("graph_unavailable", "org graph store unreachable", cause);
  if (sqlClass === "40" || code === "55P03") return new AuthzError("conflict", "a concurrent write won the race; try again", cause);
  if (error.constraint === "orgs_no_cycle") return new AuthzError("conflict", error.message, cause);
  if (code === "23505") return new AuthzError("conflict", `already exists: ${error.detail ?? error.message}`, cause);
  if (code === "23503") return new AuthzError("not_found", `refers to something unknown: ${error.detail ?? error.message}`, cause);
  if (sqlClass === "23") return new AuthzError("unprocessable", error.message, cause);
  if (sqlClass === "22") return new AuthzError("invalid_request", error.message, cause);
  return new AuthzError("internal", "org graph store: internal failure", cause);
}
