/**
 * The mixed workload (issue 11): about 70% single checks, 10% batches, 10% `/v1/permissions`, 10% order queries,
 * no two requests alike, built on the unique checks' draw (many users and companies, skewed). Our sidecar only,
 * decision log to a file, one process and two workers.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { runLoad } from "../load/run-load.ts";
import { BENCH_TMP } from "../paths.ts";
import { PoolCursor, repeatsNote, writePool } from "../request-pool.ts";
import { cpuSplit, CPU_SPLIT_HEADER, int, mib, ms, pct } from "../targets.ts";
import { MIXED_BATCH_SIZE, mixedRequests } from "../unique-workload.ts";
import { drawLine, uniqueCases, uniqueRedisPrefix, WARM_SPAN, warmSidecar } from "./unique-checks.ts";

export async function mixedRun(ctx: Context): Promise<RunReport> {
  const { cases, stats } = uniqueCases(ctx);
  const requests = mixedRequests(ctx.index, cases, cases.length);
  const byPath = new Map<string, number>();
  for (const r of requests) byPath.set(r.path, (byPath.get(r.path) ?? 0) + 1);
  const pool = writePool("mixed", requests);
  const redisPrefix = uniqueRedisPrefix(ctx);
  const logFile = join(BENCH_TMP, "decision-log-mixed.ndjson");
  const rows = [];
  for (const workers of [1, 2]) {
    rmSync(logFile, { force: true });
    const sidecar = await startOurSidecar(ctx, `mixed-${workers}`, { workers, redisPrefix, decisionLog: { file: logFile } });
    try {
      await warmSidecar(ctx, sidecar, cases, WARM_SPAN.mixed);
      ctx.log(`mixed workload: ${workers === 1 ? "one process" : `${workers} workers`}`);
      const load = await runLoad({ ...loadJob(ctx, sidecar.url, "/", [], { headers: checkHeaders }), ...new PoolCursor(pool).job() }, sidecar.pid, ctx.log);
      rows.push({ server: `b2b-authz, ${workers === 1 ? "1 process" : `${workers} workers`}`, load, rss: sidecar.rss() });
    } finally {
      await sidecar.stop();
      if (existsSync(logFile)) rmSync(logFile, { force: true });
    }
  }
  return {
    title: "Mixed workload, unique requests",
    body: [
      `${int(requests.length)} requests, no two alike: ${[...byPath].map(([path, n]) => `${pct(n / requests.length)} \`${path}\``).join(", ")} (batches of ${MIXED_BATCH_SIZE} checks about orders of the acting user's company). ` +
        `Subjects and acting orgs come from the unique checks' draw (${drawLine(stats)}). Decision log to a file; each request sent once, in order, on ${ctx.options.connections} keep-alive connections; ${ctx.options.warmupSeconds} s warm-up, ${ctx.options.seconds} s measured.`,
      "",
      markdownTable(
        ["server", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER, "RSS", "notes"],
        rows.map((r) => [r.server, int(r.load.rps), ms(r.load.latencyUs.p50), ms(r.load.latencyUs.p99), ms(r.load.latencyUs.p999), cpuSplit(r.load), mib(r.rss), repeatsNote(r.load)]),
      ),
    ].join("\n"),
    targets: [],
  };
}
