/**
 * Single check over HTTP, keep-alive, warm caches: our sidecar (decision log off, then on), the OPA server on the
 * same Rego and data, Cerbos with the equivalent policy, and a bare node:http echo server as the ceiling, one
 * after another on the same machine with the same load generator. Every peer first answers every request body
 * once, and its answers are compared with ours (allow or not), so the table says they decide the same thing.
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, loadJob, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { JsonClient, mapConcurrent } from "../http-client.ts";
import { runLoad, type MeasuredLoad } from "../load/run-load.ts";
import { cerbosAllowed, startCerbos } from "../peers/cerbos.ts";
import { startEchoServer } from "../peers/echo-server.ts";
import { BENCH_TMP } from "../paths.ts";
import { OPA_DECISION_PATH, prepareOpaData, startOpaServer } from "../peers/opa-server.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { atLeast, below, cpuSplit, CPU_SPLIT_HEADER, fixed, int, mib, ms, pct, type TargetResult } from "../targets.ts";
import { checkCases, type CheckCase } from "../workload.ts";

interface Row {
  server: string;
  load: MeasuredLoad;
  rss: number;
  /** Answers equal to ours, of all bodies; undefined for the echo server. */
  agree?: { same: number; of: number; example?: string };
  note: string;
}

/** Asks every case once; returns whether each was allowed (undefined: no decision in the answer). */
async function answers(client: JsonClient, path: string, bodies: unknown[], allowed: (body: unknown) => boolean | undefined): Promise<(boolean | undefined)[]> {
  return mapConcurrent(bodies, 8, async (body) => {
    const answer = await client.post(path, body);
    if (answer.status !== 200) throw new Error(`${path} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    return allowed(answer.body);
  });
}

function agreement(ours: readonly boolean[], theirs: readonly (boolean | undefined)[], cases: readonly CheckCase[]): NonNullable<Row["agree"]> {
  let same = 0;
  let example: string | undefined;
  theirs.forEach((allow, i) => {
    if (allow === ours[i]) same++;
    else example ??= `${cases[i]!.kind}: ${JSON.stringify(cases[i]!.body)} (ours ${ours[i]}, theirs ${allow})`;
  });
  return { same, of: ours.length, ...(example ? { example } : {}) };
}

export async function singleCheckRun(ctx: Context, ours: SidecarProcess): Promise<RunReport> {
  const { options, log } = ctx;
  const cases = checkCases(ctx.index, options.cases);
  const bodies = cases.map((c) => JSON.stringify(c.body));
  const kinds = new Map<string, number>();
  for (const c of cases) kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);

  // Warm our caches with every body, and keep our answers as the reference.
  const client = new JsonClient(ours.url, checkHeaders);
  const expected = (await answers(client, "/v1/check", cases.map((c) => c.body), (b) => (b as { allow?: boolean }).allow)).map((a) => a === true);
  client.close();
  log(`single check: ${cases.length} bodies, ${expected.filter(Boolean).length} allowed by us`);

  let half: { offered: number; load: MeasuredLoad } | undefined;
  let halfOnOne: MeasuredLoad | undefined;
  let halfOnEcho: MeasuredLoad | undefined;
  const rows: Row[] = [];
  const job = (url: string, path: string, list: string[], extra = {}) => loadJob(ctx, url, path, list, extra);
  const ourBodies = (sidecar: SidecarProcess, extra = {}) => runLoad(job(sidecar.url, "/v1/check", bodies, { headers: checkHeaders, ...extra }), sidecar.pid, ctx.log);

  log("single check: our sidecar, one process, as fast as it answers");
  const one = await ourBodies(ours);
  rows.push({ server: "b2b-authz, 1 process", load: one, rss: ours.rss(), note: "WORKERS=1, DECISION_LOG=off" });

  // The same process's work with every input evaluated in Wasm: what a stream of never-repeated inputs costs.
  const memoOff = await startOurSidecar(ctx, "memo-off", { env: { DECISION_MEMO_MAX_CHARS: "0" } });
  try {
    log("single check: our sidecar, one process, decision memo off");
    const load = await ourBodies(memoOff);
    rows.push({ server: "b2b-authz, 1 process, memo off", load, rss: memoOff.rss(), note: "WORKERS=1, DECISION_LOG=off, DECISION_MEMO_MAX_CHARS=0" });
  } finally {
    await memoOff.stop();
  }

  const workers = 2;
  const multi = await startOurSidecar(ctx, "two-workers", { workers });
  let best: { load: MeasuredLoad; sidecar: SidecarProcess; label: string; workers: number };
  try {
    log(`single check: our sidecar, ${workers} worker processes`);
    const load = await ourBodies(multi);
    rows.push({ server: `b2b-authz, ${workers} workers`, load, rss: multi.rss(), note: `WORKERS=${workers}, DECISION_LOG=off` });
    best = load.rps > one.rps ? { load, sidecar: multi, label: `${workers} workers`, workers } : { load: one, sidecar: ours, label: "1 process", workers: 1 };
    const halfRate = Math.max(1, Math.floor(best.load.rps / 2));
    log(`single check: our sidecar (${best.label}) at half its maximum (${halfRate} req/s)`);
    half = { offered: halfRate, load: await ourBodies(best.sidecar, { overallRate: halfRate }) };
    if (best.workers > 1) {
      // The same rate on one process, which leaves a core to the load generator: for information, not the target.
      log(`single check: our sidecar (1 process) at the same rate (${halfRate} req/s)`);
      halfOnOne = await ourBodies(ours, { overallRate: halfRate });
    }
  } finally {
    await multi.stop();
  }

  const logFile = join(BENCH_TMP, "decision-log.ndjson");
  rmSync(logFile, { force: true });
  const logged = await startOurSidecar(ctx, "decision-log-on", { workers: best.workers, decisionLog: { file: logFile } });
  try {
    log(`single check: our sidecar (${best.label}) with the decision log written to a file`);
    const load = await ourBodies(logged);
    const bytes = existsSync(logFile) ? statSync(logFile).size : 0;
    rows.push({
      server: `b2b-authz, ${best.label}, decision log on`,
      load,
      rss: logged.rss(),
      note: `DECISION_LOG=<file>: ${mib(bytes)} written, ${int(bytes / Math.max(1, load.requests))} bytes per decision`,
    });
  } finally {
    await logged.stop();
    rmSync(logFile, { force: true });
  }

  log("single check: OPA server (loading the whole org graph as data)");
  const opaData = prepareOpaData(ctx.index);
  const opa = await startOpaServer(opaData.dir);
  try {
    const c = new JsonClient(opa.url);
    const theirs = await answers(c, OPA_DECISION_PATH, cases.map((x) => ({ input: x.body })), (b) => (b as { result?: { allow?: boolean } }).result?.allow);
    c.close();
    const load = await runLoad(job(opa.url, OPA_DECISION_PATH, cases.map((x) => JSON.stringify({ input: x.body }))), opa.pid, ctx.log);
    rows.push({
      server: "OPA server",
      load,
      rss: opa.rss(),
      agree: agreement(expected, theirs, cases),
      note: `graph as data (${mib(opaData.dataBytes)} JSON), ready in ${fixed(opa.startSeconds, 1)} s`,
    });
  } finally {
    await opa.stop();
  }

  log("single check: Cerbos PDP");
  const cerbos = await startCerbos();
  try {
    const c = new JsonClient(cerbos.url);
    const theirs = await answers(c, "/api/check/resources", cases.map((x) => x.cerbos), cerbosAllowed);
    c.close();
    const load = await runLoad(job(cerbos.url, "/api/check/resources", cases.map((x) => JSON.stringify(x.cerbos))), cerbos.pid, ctx.log);
    rows.push({ server: "Cerbos PDP", load, rss: cerbos.rss(), agree: agreement(expected, theirs, cases), note: "roles and org path sent in each request" });
  } finally {
    await cerbos.stop();
  }

  log("single check: node:http echo server (ceiling)");
  const echo = await startEchoServer();
  try {
    const load = await runLoad(job(echo.url, "/", bodies), echo.pid, ctx.log);
    rows.push({ server: "node:http JSON echo (ceiling)", load, rss: echo.rss(), note: "parses the body, answers it back" });
    if (half) {
      log(`single check: node:http echo server at our half rate (${half.offered} req/s)`);
      halfOnEcho = await runLoad(job(echo.url, "/", bodies, { overallRate: half.offered }), echo.pid, ctx.log);
    }
  } finally {
    await echo.stop();
  }

  const byName = (prefix: string) => rows.find((r) => r.server.startsWith(prefix))!.load.rps;
  const us = best.load.rps;
  const raw = byName("b2b-authz, 1 process, memo off");
  const halfLoad = half.load;
  const table = markdownTable(
    ["server", "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER, "RSS", "same answers as ours", "ours ÷ it", "notes"],
    rows.map((r) => [
      r.server,
      int(r.load.rps),
      ms(r.load.latencyUs.p50),
      ms(r.load.latencyUs.p99),
      ms(r.load.latencyUs.p999),
      cpuSplit(r.load),
      mib(r.rss),
      r.agree ? `${r.agree.same}/${r.agree.of}` : "",
      `${fixed(us / r.load.rps, 2)}×`,
      `${r.note}${r.load.non2xx + r.load.errors > 0 ? `; ${r.load.non2xx} non-2xx, ${r.load.errors} errors` : ""}`,
    ]),
  );
  const halfTable = markdownTable(
    [`b2b-authz (${best.label}) at half its maximum`, "requests/s", "p50", "p99", "p99.9", CPU_SPLIT_HEADER],
    [
      [`${int(half.offered)} req/s offered`, int(halfLoad.rps), ms(halfLoad.latencyUs.p50), ms(halfLoad.latencyUs.p99), ms(halfLoad.latencyUs.p999), cpuSplit(halfLoad)],
      ...(halfOnOne
        ? [[`the same rate on 1 process (for information)`, int(halfOnOne.rps), ms(halfOnOne.latencyUs.p50), ms(halfOnOne.latencyUs.p99), ms(halfOnOne.latencyUs.p999), cpuSplit(halfOnOne)]]
        : []),
      ...(halfOnEcho
        ? [[`node:http echo at the same rate (the measurement's floor)`, int(halfOnEcho.rps), ms(halfOnEcho.latencyUs.p50), ms(halfOnEcho.latencyUs.p99), ms(halfOnEcho.latencyUs.p999), cpuSplit(halfOnEcho)]]
        : []),
    ],
  );
  const disagreements = rows.filter((r) => r.agree?.example).map((r) => `- ${r.server} differs, e.g. ${r.agree!.example}`);

  const targets: TargetResult[] = [
    atLeast("Single check vs OPA server", "≥ 1.5× OPA's requests/s", us / byName("OPA"), 1.5, `${fixed(us / byName("OPA"), 2)}× (memo off, 1 process: ${fixed(raw / byName("OPA"), 2)}×)`),
    atLeast("Single check vs Cerbos", "≥ 5× Cerbos's requests/s", us / byName("Cerbos"), 5, `${fixed(us / byName("Cerbos"), 2)}× (memo off, 1 process: ${fixed(raw / byName("Cerbos"), 2)}×)`),
    atLeast("Single check vs node:http ceiling", "≥ 60% of the echo server's requests/s", us / byName("node:http"), 0.6, `${pct(us / byName("node:http"))} (memo off, 1 process: ${pct(raw / byName("node:http"))})`),
    below("Single check p99 at half our maximum rate", "< 2 ms", halfLoad.latencyUs.p99, 2000, `${ms(halfLoad.latencyUs.p99)} at ${int(halfLoad.rps)} req/s${halfOnOne ? ` (1 process at that rate: ${ms(halfOnOne.latencyUs.p99)})` : ""}${halfOnEcho ? `; echo server at that rate: ${ms(halfOnEcho.latencyUs.p99)}` : ""}`),
  ];

  const body = [
    `${options.connections} keep-alive connections from one autocannon process, ${options.warmupSeconds} s warm-up then ${options.seconds} s measured per row, servers run one at a time.`,
    `${cases.length} distinct request bodies in rotation (${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}); ${expected.filter(Boolean).length} of them allowed. ` +
      "Every body was sent once before the run (warm caches), and each peer's answers compared with ours.",
    "",
    table,
    "",
    halfTable,
    "",
    "- Latencies are measured per response by the load process (µs resolution), from the request written to the last byte read, so they include the load generator's own queueing.",
    "- The half-rate rows are evenly paced by the load process's own client (prebuilt requests on raw keep-alive sockets) (autocannon's rate limit sends each second's quota back to back, then idles), and their latency runs from the client's timer tick that found each request due, so a request that waited for a free connection counts its wait. The echo server at the same rate shows what this measurement gives for a server that does nothing.",
    "- The load generator takes most of one of the two cores; a server using more than one core competes with it.",
    `- "ours ÷ it" divides our best configuration (${best.label}) by each row; the targets use it too.`,
    `- Every row but "memo off" runs with the decision memo on (the default): after the warm-up each of the ${cases.length} bodies repeats, so our answers come from the memo; the "memo off" row evaluates every request in Wasm, the cost of inputs that never repeat. The peers have no decision memo.`,
    "- Decision logging was off (`DECISION_LOG=off`) for the throughput rows; the \"decision log on\" row writes every decision event to a file (`LOG_LEVEL=warn` does not turn decision events off: they have a destination of their own).",
    "- OPA evaluates policies/ (Go topdown) through a wrapper that builds the same input slice from `data.graph`; Cerbos gets the subject's roles in the acting org and the order's org path in each request (it holds no graph), with a policy of four rules (ancestor org admin, owner view, level-2 view, owner place).",
    ...disagreements,
  ].join("\n");
  return { title: "Single check over HTTP, against the peers", body, targets };
}
