/**
 * The headline rows (issue 11): single checks, no two bodies alike, our decision log written to a file as
 * deployed, against the peers on the same requests, same machine, same run, at equal cores: one process against
 * one process (our WORKERS=1, the echo server alone, the Go peers with GOMAXPROCS=1) and all cores against all
 * cores (WORKERS=2, the echo server in node:cluster, the Go peers' default). Then our best configuration evenly
 * paced at half its maximum rate, against the echo server at the same rate on the same requests.
 */
import { pausesBetween, pauseTable, readPauses, type PauseRow } from "../pause-metrics.ts";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { agreement, answers, opaAllow, ourAllow, type Agreement } from "../agreement.ts";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, freshPrefix, loadJob, startOurSidecar, type ChartData, type Context, type RunReport } from "../context.ts";
import { JsonClient, mapConcurrent } from "../http-client.ts";
import { runLoad, type MeasuredLoad } from "../load/run-load.ts";
import { BENCH_TMP } from "../paths.ts";
import { cerbosAllowed, startCerbos } from "../peers/cerbos.ts";
import { startEchoServer } from "../peers/echo-server.ts";
import { OPA_DECISION_PATH, prepareOpaData, startOpaServer } from "../peers/opa-server.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { PoolCursor, repeatsNote, writePool, type RequestPool } from "../request-pool.ts";
import { atLeast, below, cpuSplit, CPU_SPLIT_HEADER, fixed, int, mib, ms, pct, type TargetResult } from "../targets.ts";
import { uniqueCheckCases, warmBodies, type DrawStats } from "../unique-workload.ts";
import type { CheckBody, CheckCase } from "../workload.ts";

/** Bodies every peer answers before the load, compared with ours; the load starts after them. */
const SAMPLE = 1000;

const poolCache = new WeakMap<Context, { cases: CheckCase[]; stats: DrawStats }>();

/** The run's unique checks, drawn once (the mixed workload builds on the same draw). */
export function uniqueCases(ctx: Context): { cases: CheckCase[]; stats: DrawStats } {
  let drawn = poolCache.get(ctx);
  if (!drawn) {
    const started = performance.now();
    poolCache.set(ctx, (drawn = uniqueCheckCases(ctx.index, ctx.options.uniquePool)));
    ctx.log(`unique checks: ${int(drawn.cases.length)} drawn in ${((performance.now() - started) / 1000).toFixed(1)} s (${int(drawn.stats.users)} users, ${int(drawn.stats.trees)} companies)`);
  }
  return drawn;
}

/** The pool's users and companies in words, for the sections' intros. */
export function drawLine(stats: DrawStats): string {
  return (
    `${int(stats.requests)} requests drawn, no two alike: ${int(stats.users)} distinct users in ${int(stats.trees)} companies; ` +
    `the busiest company gets ${pct(stats.topTreeShare)} of the requests, the busiest 1% of the users ${pct(stats.topUsersShare)} (${int(stats.redrawn)} draws equal to an earlier one were drawn again)`
  );
}

const prefixes = new WeakMap<Context, string>();

/** One Redis prefix for every sidecar of the unique-request runs, so each after the first warms from Redis. */
export function uniqueRedisPrefix(ctx: Context): string {
  let prefix = prefixes.get(ctx);
  if (!prefix) prefixes.set(ctx, (prefix = freshPrefix("unique")));
  return prefix;
}

/**
 * Requests whose (subject, acting org) pairs the warm pass sends (see warmBodies): about what a load run reaches.
 * Warming is the slowest part of these runs (every new user is read from PostgreSQL), so each run warms for what
 * it needs; a request past the span may find its user uncached, as on a running sidecar.
 */
export const WARM_SPAN = { oneProcess: 100_000, allCores: 150_000, mixed: 50_000, profile: 30_000 } as const;

/**
 * Sends one resource-less check per (subject, acting org) the run will ask about, so the measured run finds its
 * users and trees cached (with several workers, node:cluster spreads them: a worker's own misses then come from
 * the Redis tier, which the sidecars of these runs share).
 */
export async function warmSidecar(ctx: Context, sidecar: SidecarProcess, cases: readonly CheckCase[], span: number): Promise<number> {
  const bodies: CheckBody[] = warmBodies(cases.slice(0, span));
  const client = new JsonClient(sidecar.url, checkHeaders, 32);
  const started = performance.now();
  await mapConcurrent(bodies, 32, async (body) => {
    const answer = await client.post("/v1/check", body);
    if (answer.status !== 200) throw new Error(`warm-up check answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  });
  client.close();
  ctx.log(`warmed ${int(bodies.length)} (subject, org) pairs in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return bodies.length;
}

interface Row {
  server: string;
  cores: "one process / core" | "all cores";
  load: MeasuredLoad;
  rss: number;
  agree?: Agreement;
  note: string;
}

export async function uniqueChecksRun(ctx: Context): Promise<RunReport> {
  const { options, log } = ctx;
  const { cases, stats } = uniqueCases(ctx);
  const sample = cases.slice(0, SAMPLE);
  const loadCases = cases.slice(SAMPLE);
  const pools = {
    ours: writePool("check", loadCases.map((c) => ({ path: "/v1/check", body: c.body }))),
    opa: writePool("opa", loadCases.map((c) => ({ path: OPA_DECISION_PATH, body: { input: c.body } }))),
    cerbos: writePool("cerbos", loadCases.map((c) => ({ path: "/api/check/resources", body: c.cerbos }))),
    echo: writePool("echo", loadCases.map((c) => ({ path: "/", body: c.body }))),
  };
  const rows: Row[] = [];
  const run = (url: string, pid: number, cursor: PoolCursor, extra: { headers?: Record<string, string>; overallRate?: number } = {}) =>
    runLoad({ ...loadJob(ctx, url, "/", [], extra), ...cursor.job() }, pid, log).then((load) => {
      cursor.advance(load);
      return load;
    });
  const from = (pool: RequestPool) => new PoolCursor(pool);

  // Ours: the decision log to a file, as deployed.
  const redisPrefix = uniqueRedisPrefix(ctx);
  const logFile = join(BENCH_TMP, "decision-log.ndjson");
  let expected: boolean[] = [];
  let best: { row: Row; sidecar: SidecarProcess; cursor: PoolCursor } | undefined;
  const sidecars: SidecarProcess[] = [];
  let half: { rate: number; ours: MeasuredLoad; echo?: MeasuredLoad; cursorOffset: number; pauses: PauseRow[] } | undefined;
  try {
    for (const workers of [1, 2]) {
      rmSync(logFile, { force: true });
      const sidecar = await startOurSidecar(ctx, `unique-${workers}`, { workers, redisPrefix, decisionLog: { file: logFile } });
      sidecars.push(sidecar);
      if (workers === 1) {
        const client = new JsonClient(sidecar.url, checkHeaders);
        expected = (await answers(client, "/v1/check", sample.map((c) => c.body), ourAllow)).map((a) => a === true);
        client.close();
      }
      await warmSidecar(ctx, sidecar, loadCases, workers === 1 ? WARM_SPAN.oneProcess : WARM_SPAN.allCores);
      const bytesBefore = existsSync(logFile) ? statSync(logFile).size : 0;
      log(`unique checks: our sidecar, ${workers === 1 ? "one process" : `${workers} workers`}, decision log to a file`);
      const cursor = from(pools.ours);
      const load = await run(sidecar.url, sidecar.pid, cursor, { headers: checkHeaders });
      const bytes = (existsSync(logFile) ? statSync(logFile).size : 0) - bytesBefore;
      const row: Row = {
        server: `b2b-authz, ${workers === 1 ? "1 process" : `${workers} workers`}`,
        cores: workers === 1 ? "one process / core" : "all cores",
        load,
        rss: sidecar.rss(),
        note: [`WORKERS=${workers}, DECISION_LOG=<file>: ${int(bytes / Math.max(1, load.pool?.used ?? load.requests))} bytes per decision`, repeatsNote(load)].filter(Boolean).join("; "),
      };
      rows.push(row);
      if (!best || load.rps > best.row.load.rps) best = { row, sidecar, cursor };
    }
    const rate = Math.max(1, Math.floor(best!.row.load.rps / 2));
    log(`unique checks: ${best!.row.server} evenly paced at half its maximum (${int(rate)} req/s)`);
    const cursorOffset = best!.cursor.offset;
    // The paced run reaches past what the maximum run took: warm what it will ask about (with a tenth to spare).
    await warmSidecar(ctx, best!.sidecar, loadCases.slice(cursorOffset), Math.ceil(rate * (options.warmupSeconds + options.seconds) * 1.1));
    const pausesBefore = await readPauses(best!.sidecar.url);
    const ours = await run(best!.sidecar.url, best!.sidecar.pid, best!.cursor, { headers: checkHeaders, overallRate: rate });
    half = { rate, ours, cursorOffset, pauses: pausesBetween(pausesBefore, await readPauses(best!.sidecar.url)) };
  } finally {
    for (const s of sidecars) await s.stop();
    rmSync(logFile, { force: true });
  }
  const bestAllCores = best!.row.cores === "all cores";

  log("unique checks: OPA server (the org graph as data)");
  const opaData = prepareOpaData(ctx.index);
  for (const oneCore of [true, false]) {
    const opa = await startOpaServer(opaData.dir, oneCore);
    try {
      let agree: Agreement | undefined;
      if (oneCore) {
        const c = new JsonClient(opa.url);
        agree = agreement(expected, await answers(c, OPA_DECISION_PATH, sample.map((x) => ({ input: x.body })), opaAllow), sample);
        c.close();
      }
      log(`unique checks: OPA server, ${oneCore ? "GOMAXPROCS=1" : "all cores"}`);
      const load = await run(opa.url, opa.pid, from(pools.opa));
      rows.push({ server: `OPA server${oneCore ? ", GOMAXPROCS=1" : ""}`, cores: oneCore ? "one process / core" : "all cores", load, rss: opa.rss(), ...(agree ? { agree } : {}), note: `graph as data (${mib(opaData.dataBytes)} JSON), ready in ${fixed(opa.startSeconds, 1)} s` });
    } finally {
      await opa.stop();
    }
  }

  for (const oneCore of [true, false]) {
    const cerbos = await startCerbos(oneCore);
    try {
      let agree: Agreement | undefined;
      if (oneCore) {
        const c = new JsonClient(cerbos.url);
        agree = agreement(expected, await answers(c, "/api/check/resources", sample.map((x) => x.cerbos), cerbosAllowed), sample);
        c.close();
      }
      log(`unique checks: Cerbos PDP, ${oneCore ? "GOMAXPROCS=1" : "all cores"}`);
      const load = await run(cerbos.url, cerbos.pid, from(pools.cerbos));
      rows.push({ server: `Cerbos PDP${oneCore ? ", GOMAXPROCS=1" : ""}`, cores: oneCore ? "one process / core" : "all cores", load, rss: cerbos.rss(), ...(agree ? { agree } : {}), note: "roles and org path sent in each request" });
    } finally {
      await cerbos.stop();
    }
  }

  for (const workers of [1, 2]) {
    const echo = await startEchoServer(workers);
    try {
      log(`unique checks: node:http echo, ${workers === 1 ? "one process" : `node:cluster, ${workers} workers`}`);
      const load = await run(echo.url, echo.pid, from(pools.echo));
      rows.push({ server: `node:http echo${workers === 1 ? "" : `, node:cluster ×${workers}`}`, cores: workers === 1 ? "one process / core" : "all cores", load, rss: echo.rss(), note: ["parses the body, answers it back", repeatsNote(load)].filter(Boolean).join("; ") });
      if ((workers === 2) === bestAllCores && half) {
        log(`unique checks: echo at our half rate (${int(half.rate)} req/s)`);
        half.echo = await run(echo.url, echo.pid, new PoolCursor(pools.echo, half.cursorOffset), { overallRate: half.rate });
      }
    } finally {
      await echo.stop();
    }
  }

  const rps = (prefix: string, cores: Row["cores"]) => rows.find((r) => r.server.startsWith(prefix) && r.cores === cores)?.load.rps ?? Number.NaN;
  const one = rps("b2b-authz", "one process / core");
  const all = rps("b2b-authz", "all cores");
  const echoOne = rps("node:http", "one process / core");
  const cerbosAll = rps("Cerbos", "all cores");
  const opaAll = rps("OPA", "all cores");
  const halfP99 = half.ours.latencyUs.p99;
  const echoP99 = half.echo?.latencyUs.p99 ?? Number.NaN;
  const targets: TargetResult[] = [
    atLeast("Unique checks, log on, 1 process vs echo ceiling", "≥ 50% of the 1-process echo", one / echoOne, 0.5, `${pct(one / echoOne)} (${int(one)} vs ${int(echoOne)} req/s)`, pct),
    atLeast("Unique checks, all cores vs Cerbos", "≥ 3× Cerbos (all cores)", all / cerbosAll, 3, `${fixed(all / cerbosAll, 2)}× (${int(all)} vs ${int(cerbosAll)} req/s; 1 core: ${fixed(one / rps("Cerbos", "one process / core"), 2)}×)`),
    atLeast("Unique checks, all cores vs OPA server", "≥ 5× OPA (all cores)", all / opaAll, 5, `${fixed(all / opaAll, 2)}× (${int(all)} vs ${int(opaAll)} req/s; 1 core: ${fixed(one / rps("OPA", "one process / core"), 2)}×)`),
    below("Unique checks p99 at half our max rate vs echo", "≤ 2× the echo's p99 at that rate", halfP99 / echoP99, 2 + 1e-9, `${fixed(halfP99 / echoP99, 2)}× (${ms(halfP99)} vs ${ms(echoP99)} at ${int(half.rate)} req/s, ${best!.row.server})`),
  ];

  const table = markdownTable(
    ["server", "cores", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER, "RSS", "same answers as ours", "ours ÷ it (equal cores)", "notes"],
    rows.map((r) => [
      r.server,
      r.cores,
      int(r.load.rps),
      ms(r.load.latencyUs.p50),
      ms(r.load.latencyUs.p99),
      ms(r.load.latencyUs.p999),
      cpuSplit(r.load),
      mib(r.rss),
      r.agree ? `${r.agree.same}/${r.agree.of}` : "",
      `${fixed((r.cores === "all cores" ? all : one) / r.load.rps, 2)}×`,
      `${r.note}${r.load.non2xx + r.load.errors > 0 ? `; ${r.load.non2xx} non-2xx, ${r.load.errors} errors` : ""}`,
    ]),
  );
  const halfRow = (label: string, l: MeasuredLoad) => [label, int(l.rps), ms(l.latencyUs.p50), ms(l.latencyUs.p90), ms(l.latencyUs.p99), ms(l.latencyUs.p999), cpuSplit(l)];
  const halfTable = markdownTable(
    [`evenly paced at ${int(half.rate)} req/s (half of ${best!.row.server}'s maximum)`, "requests/s", "p50", "p90", "p99", "p99.9", CPU_SPLIT_HEADER],
    [halfRow(best!.row.server, half.ours), ...(half.echo ? [halfRow(`node:http echo${bestAllCores ? ", node:cluster ×2" : ""}, same requests`, half.echo)] : [])],
  );
  const disagreements = rows.filter((r) => r.agree?.example).map((r) => `- ${r.server} differs, e.g. ${r.agree!.example}`);
  const charts: ChartData = {
    throughput: rows.map((r) => ({ server: r.server.replace(/, (1 process|2 workers|GOMAXPROCS=1|node:cluster ×2)$/, ""), cores: r.cores, rps: r.load.rps })),
    halfRate: [
      { server: best!.row.server, distributionUs: half.ours.distributionUs },
      ...(half.echo ? [{ server: "node:http echo", distributionUs: half.echo.distributionUs }] : []),
    ],
  };
  const body = [
    `${drawLine(stats)}. The first ${SAMPLE} are sent once to every server and the answers compared with ours; each load run then takes the requests after them in order, each once, on ${options.connections} keep-alive connections from the load process's own client (${options.warmupSeconds} s unmeasured warm-up, then ${options.seconds} s measured; servers one at a time). ` +
      "Before its runs each of our sidecars is sent one check without a resource per (user, acting org) of the requests it will get, so its caches hold them as a running sidecar's do, while no measured body has been seen.",
    "",
    table,
    "",
    halfTable,
    "",
    `What paused our sidecar during the paced run (warm-up included, ${options.warmupSeconds + options.seconds} s; its own \`/metrics\` read before and after${bestAllCores ? ", from the one worker each reading reached" : ""}):`,
    "",
    pauseTable(half.pauses, options.warmupSeconds + options.seconds),
    "",
    "- Our sidecar writes every decision event to a file (`DECISION_LOG=<file>`), as deployed. The peers log nothing.",
    "- The OPA server evaluates policies/ (Go topdown) through a wrapper that builds the same input slice from `data.graph`; Cerbos gets the subject's roles in the acting org and the order's org path in each request (it holds no graph), with a policy of four rules.",
    "- Equal cores: \"one process / core\" is our WORKERS=1, the echo server alone and the Go peers under GOMAXPROCS=1; \"all cores\" is WORKERS=2, the echo server in node:cluster with 2 workers, and the Go peers' default. The load process uses much of one of the machine's two cores, so \"all cores\" servers compete with it.",
    "- Latency is from the request's write (or, paced, from the client tick that found it due) to its last byte.",
    ...disagreements,
  ].join("\n");
  return { title: "Unique single checks over HTTP, against the peers (headline)", body, targets, charts };
}
