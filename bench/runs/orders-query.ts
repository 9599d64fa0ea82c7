/**
 * `/v1/orders/query` on the 500-org tree: its admin at the root, so the scope is all 500 orgs. Latency with one
 * connection (nothing queued), throughput with the usual ten; the SQL answered is run once against the host's
 * orders table as a sanity check.
 */
import pg from "pg";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { JsonClient } from "../http-client.ts";
import { runLoad } from "../load/run-load.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { below, cpuSplit, CPU_SPLIT_HEADER, int, ms } from "../targets.ts";
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

  const measure = (sidecar: SidecarProcess, connections: number) =>
    runLoad(loadJob(ctx, sidecar.url, "/v1/orders/query", [JSON.stringify(body)], { headers: checkHeaders, connections }), sidecar.pid, ctx.log);
  const results = [];
  for (const connections of [1, ctx.options.connections]) {
    ctx.log(`orders query: ${connections} connection(s)`);
    results.push({ memo: "on", connections, load: await measure(ours, connections) });
  }
  // The same query evaluated in Wasm every time: a scope asked for the first time since its tree last changed.
  const memoOff = await startOurSidecar(ctx, "orders-memo-off", { env: { DECISION_MEMO_MAX_CHARS: "0" } });
  try {
    ctx.log("orders query: 1 connection, decision memo off");
    results.push({ memo: "off", connections: 1, load: await measure(memoOff, 1) });
  } finally {
    await memoOff.stop();
  }
  const single = results[0]!.load;
  const unmemoized = results[2]!.load;
  return {
    title: "Order query on a 500-org tree",
    body: [
      `\`POST /v1/orders/query\` by the admin of the 500-org, 5-level tree at its root: \`${answer.kind}\`, ${answer.scope.orgs.length} orgs in scope, ` +
        `SQL \`${answer.sql.where}\` (checked against the host's orders table: ${int(Number(visible.rows[0]?.n ?? 0))} orders visible). ` +
        `${ctx.options.warmupSeconds} s warm-up, ${ctx.options.seconds} s measured per row.`,
      "",
      markdownTable(
        ["decision memo", "connections", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER],
        results.map(({ memo, connections, load }) => [memo, connections, int(load.rps), ms(load.latencyUs.p50), ms(load.latencyUs.p99), ms(load.latencyUs.p999), cpuSplit(load)]),
      ),
      "",
      "The target is judged on one connection (a request's own latency); ten connections show the throughput and the queueing it brings. " +
        "With the decision memo on (the default) the repeated query is answered from it after the first; \"off\" evaluates the 500-org scope in Wasm every time.",
    ].join("\n"),
    targets: [below("Order query, 500-org tree, p99", "< 5 ms", single.latencyUs.p99, 5000, `${ms(single.latencyUs.p99)} (p50 ${ms(single.latencyUs.p50)}; memo off: p99 ${ms(unmemoized.latencyUs.p99)})`)],
  };
}
