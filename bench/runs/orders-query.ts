/**
 * `/v1/orders/query` on the 500-org tree: its admin at the root, so the scope is all 500 orgs. Latency with one
 * connection (nothing queued), throughput with the usual ten; the SQL answered is run once against the host's
 * orders table as a sanity check.
 */
import pg from "pg";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, type Context, type RunReport } from "../context.ts";
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

  const results = [];
  for (const connections of [1, ctx.options.connections]) {
    ctx.log(`orders query: ${connections} connection(s)`);
    const load = await runLoad(loadJob(ctx, ours.url, "/v1/orders/query", [JSON.stringify(body)], { headers: checkHeaders, connections }), ours.pid, ctx.log);
    results.push({ connections, load });
  }
  const single = results[0]!.load;
  return {
    title: "Order query on a 500-org tree",
    body: [
      `\`POST /v1/orders/query\` by the admin of the 500-org, 5-level tree at its root: \`${answer.kind}\`, ${answer.scope.orgs.length} orgs in scope, ` +
        `SQL \`${answer.sql.where}\` (checked against the host's orders table: ${int(Number(visible.rows[0]?.n ?? 0))} orders visible). ` +
        `${ctx.options.warmupSeconds} s warm-up, ${ctx.options.seconds} s measured per row.`,
      "",
      markdownTable(
        ["connections", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER],
        results.map(({ connections, load }) => [connections, int(load.rps), ms(load.latencyUs.p50), ms(load.latencyUs.p99), ms(load.latencyUs.p999), cpuSplit(load)]),
      ),
      "",
      "The target is judged on one connection (a request's own latency); ten connections show the throughput and the queueing it brings.",
    ].join("\n"),
    targets: [below("Order query, 500-org tree, p99", "< 5 ms", single.latencyUs.p99, 5000, `${ms(single.latencyUs.p99)} (p50 ${ms(single.latencyUs.p50)})`)],
  };
}
