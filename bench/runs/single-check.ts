/**
 * Secondary rows (issue 5's headline, kept for comparison, never used for a verdict): single checks over HTTP
 * from a set of distinct bodies that repeat, so after the warm-up every answer comes from the decision memo. Our
 * sidecar only, one process and two workers, decision log off. The headline rows, on unique requests and
 * against the peers, are bench/runs/unique-checks.ts.
 */
import { markdownTable } from "../benchmarks-file.ts";
import { answers, ourAllow } from "../agreement.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { JsonClient } from "../http-client.ts";
import { runLoad, type MeasuredLoad } from "../load/run-load.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { cpuSplit, CPU_SPLIT_HEADER, int, mib, ms } from "../targets.ts";
import { checkCases } from "../workload.ts";

export async function singleCheckRun(ctx: Context, ours: SidecarProcess): Promise<RunReport> {
  const { options, log } = ctx;
  const cases = checkCases(ctx.index, options.cases);
  const bodies = cases.map((c) => JSON.stringify(c.body));
  const client = new JsonClient(ours.url, checkHeaders);
  const allowed = (await answers(client, "/v1/check", cases.map((c) => c.body), ourAllow)).filter((a) => a === true).length;
  client.close();
  const measure = (sidecar: SidecarProcess) => runLoad(loadJob(ctx, sidecar.url, "/v1/check", bodies, { headers: checkHeaders }), sidecar.pid, log);

  const rows: { server: string; load: MeasuredLoad; rss: number }[] = [];
  log(`repeated bodies: our sidecar, one process (${cases.length} bodies)`);
  rows.push({ server: "b2b-authz, 1 process", load: await measure(ours), rss: ours.rss() });
  const multi = await startOurSidecar(ctx, "repeated-two-workers", { workers: 2 });
  try {
    // Every body twice, as on the first process: the workers' caches warm; the memo keeps an answer the second time a
    // worker misses it, which the load's unmeasured warm-up finishes where a worker saw a body once.
    const warm = new JsonClient(multi.url, checkHeaders);
    await answers(warm, "/v1/check", [...cases, ...cases].map((c) => c.body), ourAllow);
    warm.close();
    log("repeated bodies: our sidecar, 2 workers");
    rows.push({ server: "b2b-authz, 2 workers", load: await measure(multi), rss: multi.rss() });
  } finally {
    await multi.stop();
  }
  return {
    title: "Single check, repeated bodies (secondary rows, no verdict)",
    body: [
      `${cases.length} distinct bodies (${allowed} allowed) in rotation, so after the warm-up each repeats and is answered from the decision memo: the figures of issue 5, kept to show what the memo buys; no target is judged on them. ` +
        `${options.connections} keep-alive connections from autocannon, ${options.warmupSeconds} s warm-up then ${options.seconds} s measured, decision log off.`,
      "",
      markdownTable(
        ["server", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER, "RSS"],
        rows.map((r) => [r.server, int(r.load.rps), ms(r.load.latencyUs.p50), ms(r.load.latencyUs.p99), ms(r.load.latencyUs.p999), cpuSplit(r.load), mib(r.rss)]),
      ),
    ].join("\n"),
    targets: [],
  };
}
