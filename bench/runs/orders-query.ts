/**
 * `/v1/orders/query` on the 500-org tree, one connection (nothing queued): a different admin or acting org each
 * request (headline), and its root admin repeated (secondary). The root admin's SQL is run once against the
 * host's orders table as a sanity check.
 */
import pg from "pg";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { JsonClient } from "../http-client.ts";
import { runLoad, type MeasuredLoad } from "../load/run-load.ts";
import { fromPool, repeatsNote, writePool } from "../request-pool.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { below, cpuSplit, CPU_SPLIT_HEADER, int, ms } from "../targets.ts";
import { orderQueryPairs } from "../unique-workload.ts";
import { orderQueryBody } from "../workload.ts";

interface QueryAnswer {
  kind: string;
  scope: { orgs: string[]; ownOrgs: string[] };
  sql: { where: string; params: unknown[] };
}

export async function ordersQueryRun(ctx: Context, ours: SidecarProcess): Promise<RunReport> {
  const body = orderQueryBody(ctx.index);
  const client = new JsonClient(ours.url, checkHeaders);
  const first = await client.post("/v1/orders/query", body);
  client.close();
  if (first.status !== 200) throw new Error(`/v1/orders/query answered ${first.status}: ${JSON.stringify(first.body).slice(0, 300)}`);
  const answer = first.body as QueryAnswer;
  const db = new pg.Client({ connectionString: ctx.databaseUrl });
  await db.connect();
  const visible = await db.query<{ n: string }>(`select count(*) as n from orders where ${answer.sql.where}`, answer.sql.params);
  await db.end();
  ctx.log(`orders query: ${answer.kind}, ${answer.scope.orgs.length} orgs in scope, ${visible.rows[0]?.n} orders visible`);

  const pairs = orderQueryPairs(ctx.index);
  const pool = writePool("orders", pairs.map((p) => ({ path: "/v1/orders/query", body: p })));
  const results: { label: string; load: MeasuredLoad; note: string }[] = [];
  const oneConnection = { headers: checkHeaders, connections: 1 };
  // The root admin's 500-org scope evaluated in Wasm every request: what a query never asked before costs (the
  // target's row; the store has no second admin whose scope is more than a few dozen orgs).
  const memoOff = await startOurSidecar(ctx, "orders-memo-off", { env: { DECISION_MEMO_MAX_CHARS: "0" } });
  let unmemoized: MeasuredLoad;
  try {
    ctx.log("orders query: the root admin, 1 connection, decision memo off");
    unmemoized = await runLoad(loadJob(ctx, memoOff.url, "/v1/orders/query", [JSON.stringify(body)], oneConnection), memoOff.pid, ctx.log);
    results.push({ label: "the root admin (489-org scope), decision memo off: every request evaluated", load: unmemoized, note: "" });
  } finally {
    await memoOff.stop();
  }
  ctx.log("orders query: a different admin or acting org each request, 1 connection");
  const different = await runLoad({ ...loadJob(ctx, ours.url, "/", [], oneConnection), ...fromPool(pool) }, ours.pid, ctx.log);
  results.push({ label: `a different (admin, acting org) each request, of the tree's ${pairs.length}`, load: different, note: repeatsNote(different) });
  ctx.log("orders query: the root admin, repeated (secondary)");
  const repeated = await runLoad(loadJob(ctx, ours.url, "/v1/orders/query", [JSON.stringify(body)], oneConnection), ours.pid, ctx.log);
  results.push({ label: "the root admin, repeated (memo; no verdict)", load: repeated, note: "" });
  return {
    title: "Order query on a 500-org tree",
    body: [
      `\`POST /v1/orders/query\` by the admin of the 500-org, 5-level tree at its root: \`${answer.kind}\`, ${answer.scope.orgs.length} orgs in scope, ` +
        `SQL \`${answer.sql.where}\` (checked against the host's orders table: ${int(Number(visible.rows[0]?.n ?? 0))} orders visible). ` +
        `The target's row: the root admin's query with the decision memo off, so every request evaluates the whole scope in Wasm, as a query never asked before would. ` +
        `Beside it: every (admin, acting org) pair of the tree (${int(pairs.length)}: an org admin acts in their org and, when the role is inheritable, anywhere below it; only the root admin's scope spans more than a few dozen orgs) in seeded random order, a different one each request, memo on. ` +
        `${ctx.options.warmupSeconds} s warm-up, ${ctx.options.seconds} s measured per row, one connection (a request's own latency).`,
      "",
      markdownTable(
        ["workload", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER, "notes"],
        results.map(({ label, load, note }) => [label, int(load.rps), ms(load.latencyUs.p50), ms(load.latencyUs.p99), ms(load.latencyUs.p999), cpuSplit(load), note]),
      ),
    ].join("\n"),
    targets: [below("Order query, 500-org tree, every request evaluated, p99", "< 3 ms", unmemoized.latencyUs.p99, 3000, `${ms(unmemoized.latencyUs.p99)} memo off (p50 ${ms(unmemoized.latencyUs.p50)}; a different admin each request, memo on: p99 ${ms(different.latencyUs.p99)})`, ms)],
  };
}
