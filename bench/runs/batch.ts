/**
 * Batch checks through `/v1/check/batch`, 100 checks per request. Headline: unique items (no check asked twice in
 * the run), decisions per second per core on one process. Secondary: a set of bodies that repeats (memo).
 */
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, type Context, type RunReport } from "../context.ts";
import { runLoad, type MeasuredLoad } from "../load/run-load.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { PoolCursor, repeatsNote, writePool } from "../request-pool.ts";
import { atLeast, cpuSplit, CPU_SPLIT_HEADER, int, ms } from "../targets.ts";
import { uniqueBatchBodies } from "../unique-workload.ts";
import { batchBodies } from "../workload.ts";

const CHECKS_PER_BATCH = 100;

export async function batchRun(ctx: Context, ours: SidecarProcess): Promise<RunReport> {
  const unique = uniqueBatchBodies(ctx.index, ctx.options.quick ? 500 : 6000, CHECKS_PER_BATCH);
  const pool = writePool("batch", unique.map((body) => ({ path: "/v1/check/batch", body })));
  const repeated = batchBodies(ctx.index, ctx.options.quick ? 20 : 100, CHECKS_PER_BATCH);
  ctx.log(`batch: ${unique.length} unique bodies of ${CHECKS_PER_BATCH} checks`);
  const cursor = new PoolCursor(pool);
  const rows: { label: string; connections: number; load: MeasuredLoad; note: string }[] = [];
  for (const connections of [1, ctx.options.connections]) {
    ctx.log(`batch: unique items, ${connections} connection(s)`);
    const load = await runLoad({ ...loadJob(ctx, ours.url, "/", [], { headers: checkHeaders, connections }), ...cursor.job() }, ours.pid, ctx.log);
    cursor.advance(load);
    rows.push({ label: "unique items", connections, load, note: repeatsNote(load) });
  }
  ctx.log("batch: repeated bodies (secondary)");
  const load = await runLoad(loadJob(ctx, ours.url, "/v1/check/batch", repeated.map((b) => JSON.stringify(b)), { headers: checkHeaders }), ours.pid, ctx.log);
  rows.push({ label: `repeated bodies (${repeated.length}, memo; no verdict)`, connections: ctx.options.connections, load, note: "" });
  const perCore = (l: MeasuredLoad) => (l.rps * CHECKS_PER_BATCH) / Math.max(l.serverCores ?? 1, 1e-9);
  const best = rows.filter((r) => r.label === "unique items").reduce((a, b) => (perCore(b.load) > perCore(a.load) ? b : a));
  return {
    title: "Batch checks",
    body: [
      `\`POST /v1/check/batch\` with ${CHECKS_PER_BATCH} checks per request: the admin of a 5-level company acting in one of its orgs of levels 1 to 3, asking view/place/update about orders across that org's subtree. ` +
        `Unique items: ${unique.length} bodies, no check asked twice, each body sent once, in order. The sidecar is one Node process (decision log off): one core at most. ${ctx.options.warmupSeconds} s warm-up, ${ctx.options.seconds} s measured.`,
      "",
      markdownTable(
        ["workload", "connections", "batches/s", "decisions/s", "p50 per batch", "p99 per batch", CPU_SPLIT_HEADER, "decisions per core-second", "notes"],
        rows.map((r) => [r.label, r.connections, int(r.load.rps), int(r.load.rps * CHECKS_PER_BATCH), ms(r.load.latencyUs.p50), ms(r.load.latencyUs.p99), cpuSplit(r.load), int(perCore(r.load)), r.note]),
      ),
    ].join("\n"),
    targets: [
      atLeast("Unique batch items per core", "≥ 150,000 decisions/s per core", perCore(best.load), 150_000, `${int(perCore(best.load))} per core-second (${int(best.load.rps * CHECKS_PER_BATCH)} decisions/s on ${(best.load.serverCores ?? 0).toFixed(2)} cores, ${best.connections} connection(s))`),
    ],
  };
}
