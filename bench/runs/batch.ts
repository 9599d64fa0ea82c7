/** Batch checks: decisions per second through `/v1/check/batch`, 100 checks per request, warm caches. */
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { JsonClient, mapConcurrent } from "../http-client.ts";
import { runLoad } from "../load/run-load.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { atLeast, cpuSplit, CPU_SPLIT_HEADER, int, ms } from "../targets.ts";
import { batchBodies } from "../workload.ts";

const CHECKS_PER_BATCH = 100;

export async function batchRun(ctx: Context, ours: SidecarProcess): Promise<RunReport> {
  const bodies = batchBodies(ctx.index, ctx.options.quick ? 20 : 100, CHECKS_PER_BATCH);
  const client = new JsonClient(ours.url, checkHeaders);
  let allowed = 0;
  await mapConcurrent(bodies, 4, async (body) => {
    const answer = await client.post("/v1/check/batch", body);
    if (answer.status !== 200) throw new Error(`/v1/check/batch answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    allowed += (answer.body as { results: { allow: boolean }[] }).results.filter((r) => r.allow).length;
  });
  client.close();
  ctx.log(`batch: ${bodies.length} bodies of ${CHECKS_PER_BATCH} checks`);

  const measure = (sidecar: SidecarProcess, connections: number) =>
    runLoad(loadJob(ctx, sidecar.url, "/v1/check/batch", bodies.map((b) => JSON.stringify(b)), { headers: checkHeaders, connections }), sidecar.pid, ctx.log);
  const results = [];
  for (const connections of [1, ctx.options.connections]) {
    ctx.log(`batch: ${connections} connection(s)`);
    results.push({ memo: "on", connections, load: await measure(ours, connections) });
  }
  const best = results.reduce((a, b) => (b.load.rps > a.load.rps ? b : a));
  // Every batch evaluated in Wasm: the cost of batches that never repeat.
  const memoOff = await startOurSidecar(ctx, "batch-memo-off", { env: { DECISION_MEMO_MAX_CHARS: "0" } });
  try {
    ctx.log(`batch: ${best.connections} connection(s), decision memo off`);
    results.push({ memo: "off", connections: best.connections, load: await measure(memoOff, best.connections) });
  } finally {
    await memoOff.stop();
  }
  const perCore = (best.load.rps * CHECKS_PER_BATCH) / Math.max(best.load.serverCores ?? 1, 1e-9);
  const table = markdownTable(
    ["decision memo", "connections", "batches/s", "decisions/s", "p50 per batch", "p99 per batch", CPU_SPLIT_HEADER, "decisions per core-second"],
    results.map(({ memo, connections, load }) => [
      memo,
      connections,
      int(load.rps),
      int(load.rps * CHECKS_PER_BATCH),
      ms(load.latencyUs.p50),
      ms(load.latencyUs.p99),
      cpuSplit(load),
      int((load.rps * CHECKS_PER_BATCH) / (load.serverCores ?? Number.NaN)),
    ]),
  );
  const decisions = best.load.rps * CHECKS_PER_BATCH;
  return {
    title: "Batch checks",
    body: [
      `\`POST /v1/check/batch\` with ${CHECKS_PER_BATCH} checks per request: the admin of a 5-level company acting in a level-2 unit, asking view/place/update about orders across the unit's subtree (${bodies.length} distinct bodies, ${int(allowed)} of ${int(bodies.length * CHECKS_PER_BATCH)} checks allowed). ` +
        `${ctx.options.warmupSeconds} s warm-up, ${ctx.options.seconds} s measured. The sidecar is one Node process: one core at most. ` +
        `With the decision memo on (the default) the ${bodies.length} bodies repeat and are answered from it after the warm-up; "off" evaluates every batch in Wasm.`,
      "",
      table,
    ].join("\n"),
    targets: [atLeast("Batch decisions on one core", "≥ 100,000 decisions/s", decisions, 100_000, `${int(decisions)} decisions/s (${int(perCore)} per core-second; memo off: ${int(results[2]!.load.rps * CHECKS_PER_BATCH)})`)],
  };
}
