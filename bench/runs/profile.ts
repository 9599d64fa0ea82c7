/**
 * Where a single check's time goes: a sidecar started with `node --cpu-prof`, warmed, then put under the single
 * check load; the profile's samples from the measured run only are summarized by category and by function.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { runLoad } from "../load/run-load.ts";
import { PoolCursor, writePool } from "../request-pool.ts";
import { uniqueCases, uniqueRedisPrefix, WARM_SPAN, warmSidecar } from "./unique-checks.ts";
import { BENCH_TMP, ROOT } from "../paths.ts";
import { summarizeProfile, type BusyStretch } from "../profile-summary.ts";
import { cpuSplit, fixed, int, pct } from "../targets.ts";
import { stageCosts } from "../stage-costs-run.ts";
import { checkCases, orderQueryBody } from "../workload.ts";

export async function profileRun(ctx: Context): Promise<RunReport> {
  const dir = join(BENCH_TMP, "profiles");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const cases = checkCases(ctx.index, ctx.options.cases);
  // Under the headline load: unique checks, decision log to a file, caches warm (bench/runs/unique-checks.ts).
  const unique = uniqueCases(ctx).cases;
  const pool = writePool("profile", unique.map((c) => ({ path: "/v1/check", body: c.body })));
  const logFile = join(dir, "decision-log.ndjson");
  const sidecar = await startOurSidecar(ctx, "profiled", { cpuProfileDir: dir, redisPrefix: uniqueRedisPrefix(ctx), decisionLog: { file: logFile } });
  let load;
  let paced;
  let ordersLoad;
  try {
    await warmSidecar(ctx, sidecar, unique, WARM_SPAN.profile);
    ctx.log("profile: unique single check load (decision log on) on a profiled sidecar");
    const cursor = new PoolCursor(pool);
    load = await runLoad({ ...loadJob(ctx, sidecar.url, "/", [], { headers: checkHeaders }), ...cursor.job() }, sidecar.pid, ctx.log);
    cursor.advance(load);
    const rate = Math.max(1, Math.floor(load.rps / 2));
    ctx.log(`profile: the same load evenly paced at half that rate (${int(rate)} req/s), for the main thread's busy stretches`);
    await warmSidecar(ctx, sidecar, unique.slice(cursor.offset), Math.ceil(rate * (ctx.options.warmupSeconds + ctx.options.seconds) * 1.1));
    paced = await runLoad({ ...loadJob(ctx, sidecar.url, "/", [], { headers: checkHeaders, overallRate: rate }), ...cursor.job() }, sidecar.pid, ctx.log);
    ctx.log("profile: order query load (500-org tree, one connection) on the same sidecar");
    ordersLoad = await runLoad(
      loadJob(ctx, sidecar.url, "/v1/orders/query", [JSON.stringify(orderQueryBody(ctx.index))], { headers: checkHeaders, connections: 1 }),
      sidecar.pid,
      ctx.log,
    );
  } finally {
    await sidecar.stop();
  }
  ctx.log("profile: cost of each step in process (bench/stage-costs.ts)");
  const stages = await stageCosts(ctx, cases.map((c) => JSON.stringify(c.body)));
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no CPU profile written in ${dir}`);
  const summary = summarizeProfile(join(dir, file), ROOT, load.window);
  const orders = summarizeProfile(join(dir, file), ROOT, ordersLoad.window);
  const pacedSummary = summarizeProfile(join(dir, file), ROOT, paced.window);
  const stretchRow = (s: BusyStretch) => [fixed(s.ms, 1), s.categories.slice(0, 3).map((c) => `${c.category} ${fixed(c.ms, 1)} ms`).join("; ")];
  const perRequestUs = (summary.busyMs * 1000) / Math.max(1, load.ok);
  const cpuPerRequestUs = ((load.serverCores ?? Number.NaN) * 1e6) / Math.max(1, load.rps);
  const stepSum = stages.steps.filter((s) => !s.step.startsWith("engine.evaluate") && !s.step.startsWith("decision log")).reduce((a, s) => a + s.us, 0);
  return {
    title: "Where a single check's time goes (CPU profile)",
    body: [
      `\`node --cpu-prof\` on the sidecar process under the unique single check load, decision log to a file (${int(load.rps)} requests/s while profiled; CPU cores server / load gen / other: ${cpuSplit(load)}); ` +
        `samples of the ${ctx.options.seconds} s measured run only: ${int(summary.busyMs)} ms busy of ${int(summary.wallMs)} ms, about ${fixed(perRequestUs, 1)} µs of CPU per request. ` +
        `Profile kept at \`${join(dir, file).replace(ROOT, "")}\` (git-ignored) for a flame graph in Chrome DevTools.`,
      "",
      "**Cost of each step, in process** (bench/stage-costs.ts: each step looped alone over the same request bodies, warm, no HTTP; nothing here is charged for time spent descheduled):",
      "",
      markdownTable(
        ["step of a warm single check", "µs of CPU"],
        [
          ...stages.steps.map((s) => [s.step, fixed(s.us, 1)]),
          ["**DecisionService.check end to end, decision log off** (slice, evaluate, stamp, metrics)", fixed(stages.serviceUs, 1)],
          ["**DecisionService.check end to end, decision log on**", fixed(stages.serviceWithLogUs, 1)],
          ["**DecisionService.check end to end, decision memo on** (every body answered before; the rows above evaluate each time)", fixed(stages.memoServiceUs, 1)],
          ["sum of the steps (log off; engine.evaluate counted through its parts)", fixed(stepSum, 1)],
          ["**CPU per request under HTTP load** (sidecar CPU ÷ requests, profiled run)", fixed(cpuPerRequestUs, 1)],
        ],
      ),
      "",
      "The order query of the 500-org tree, step by step in the same way:",
      "",
      markdownTable(["step of `/v1/orders/query`, 500-org tree, warm", "µs of CPU"], stages.orderSteps.map((s) => [s.step, fixed(s.us, 1)])),
      "",
      "**CPU profile of the sidecar under load.** Each sample goes to the first matching category from the running function up its stack (JSON and zod work is charged to the step that asked for it).",
      "",
      markdownTable(
        ["category", "share of busy CPU", "µs per request"],
        summary.categories.map((c) => [c.category, pct(c.share), fixed((c.ms * 1000) / Math.max(1, load.ok), 1)]),
      ),
      "",
      "Hottest functions by self time (single check):",
      "",
      markdownTable(
        ["function", "where", "self", "share"],
        summary.functions.slice(0, 20).map((f) => [`\`${f.name}\``, `\`${f.where}\``, `${int(f.selfMs)} ms`, pct(f.share)]),
      ),
      "",
      `The same profile evenly paced at half the rate (${int(paced.rps)} requests/s, p50 ${fixed(paced.latencyUs.p50 / 1000, 2)} ms, p99 ${fixed(paced.latencyUs.p99 / 1000, 2)} ms; CPU cores server / load gen / other: ${cpuSplit(paced)}): ` +
        `${int(pacedSummary.busyMs)} ms busy of ${int(pacedSummary.wallMs)} ms, about ${fixed((pacedSummary.busyMs * 1000) / Math.max(1, paced.ok), 1)} µs of CPU per request. ` +
        `The main thread was busy without a break for 10 ms or more ${int(pacedSummary.stretches.length)} times (50 ms or more: ${int(pacedSummary.stretches.filter((s) => s.ms >= 50).length)}); the longest:`,
      "",
      markdownTable(["busy stretch, ms", "what it was doing (longest three categories)"], pacedSummary.stretches.slice(0, 8).map(stretchRow)),
      "",
      `The same profile during the order query load (500-org tree, one connection, ${int(ordersLoad.rps)} requests/s):`,
      "",
      markdownTable(
        ["category", "share of busy CPU", "µs per request"],
        orders.categories.filter((c) => c.share >= 0.005).map((c) => [c.category, pct(c.share), fixed((c.ms * 1000) / Math.max(1, ordersLoad.ok), 1)]),
      ),
    ].join("\n"),
    targets: [],
  };
}
