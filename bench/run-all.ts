/**
 * `npm run bench`: the whole suite of issues 5 and 11 in one run. Installs the peers (OPA CLI, Cerbos) under tools/,
 * generates and loads the synthetic store into PostgreSQL, then runs each benchmark against sidecar processes
 * and the peers, prints every table and writes each as a section of BENCHMARKS.md, with a summary of the
 * targets (this run's figure and the spread over the recorded runs of the same commit), appends the targets to
 * bench/history/ and draws the charts (docs/bench/*.svg). See bench/options.ts for the command line.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { machineLine, markdownTable, writeSection } from "./benchmarks-file.ts";
import { writeCharts } from "./charts.ts";
import { appendHistory, runsOf, spreadOf } from "./history.ts";
import { removePools } from "./request-pool.ts";
import { mixedRun } from "./runs/mixed.ts";
import { uniqueChecksRun } from "./runs/unique-checks.ts";
import { checkHeaders, dropRedisPrefixes, RUN_NAMES, startOurSidecar, usedPrefixes, type ChartData, type Context, type RunReport } from "./context.ts";
import { DatasetIndex, generateDataset, SIZES } from "./data-generator.ts";
import { JsonClient } from "./http-client.ts";
import { parseOptions } from "./options.ts";
import { ROOT } from "./paths.ts";
import { ensureCerbos } from "./peers/cerbos.ts";
import { setQuietBudget } from "./processes.ts";
import { ensureOpa, policySourceRevision } from "./peers/opa-server.ts";
import type { SidecarProcess } from "./peers/sidecar.ts";
import { batchRun } from "./runs/batch.ts";
import { coldRun } from "./runs/cold.ts";
import { memoryRun } from "./runs/memory.ts";
import { ordersQueryRun } from "./runs/orders-query.ts";
import { profileRun } from "./runs/profile.ts";
import { singleCheckRun } from "./runs/single-check.ts";
import { writeToVisibleRun } from "./runs/write-to-visible.ts";
import { ensureStore, PG_ADMIN_URL, REDIS_URL } from "./store-loader.ts";
import { int, targetRows, type TargetResult } from "./targets.ts";

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const log = (line: string) => process.stdout.write(`[${elapsed()}] ${line}\n`);

function gitRevision(): { head: string; dirty: boolean } {
  try {
    // What a run writes (the history, the charts, BENCHMARKS.md) is not what it measured: a commit of only those
    // leaves the measured revision as it was, so runs before and after it count towards the same spread.
    const outputs = [":!bench/history", ":!docs/bench", ":!BENCHMARKS.md"];
    const head = execFileSync("git", ["log", "-1", "--format=%h", "--", ".", ...outputs], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no", "--", ".", ...outputs], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return { head, dirty };
  } catch {
    return { head: "unknown", dirty: true };
  }
}

async function serviceVersions(): Promise<string> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  const pgVersion = (await client.query<{ v: string }>("select current_setting('server_version') as v")).rows[0]?.v ?? "?";
  await client.end();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info("server"))?.[1] ?? "?";
  redis.disconnect();
  return `PostgreSQL ${pgVersion}, Redis ${redisVersion}`;
}

const SUMMARY_TITLE = "Benchmark suite: targets";

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  setQuietBudget(options.quietBudgetSeconds);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  log(`${command}: size ${options.size}, ${options.seconds} s per load run, runs: ${[...options.only].join(", ")}`);

  const versions: string[] = [`Node ${process.version}`, `autocannon ${(JSON.parse(readFileSync(join(ROOT, "node_modules/autocannon/package.json"), "utf8")) as { version: string }).version}`];
  if (options.only.has("unique")) versions.push(ensureOpa(log), ensureCerbos(log));
  versions.push(await serviceVersions());

  const spec = { seed: 42, size: SIZES[options.size] };
  const data = generateDataset(spec.size, spec.seed);
  const index = new DatasetIndex(data);
  const store = await ensureStore(options.size, spec, () => data, log);
  const datasetLine =
    `${options.size} store: ${int(data.orgs.length)} orgs in ${int(data.trees.length)} companies (${data.trees.filter((t) => t.kind === "five-level").length} of them 5-level trees of 100–500 orgs), ` +
    `${int(data.users.length)} users, ${int(data.memberships.length)} memberships, ${int(data.orders.length)} orders; ` +
    (store.reused ? "database reused (same generator, seed and schema)" : `generated and imported through \`importDocument\` in ${store.loadSeconds.toFixed(0)} s`);
  log(datasetLine);
  const ctx: Context = { options, index, databaseUrl: store.databaseUrl, log };

  const reports: RunReport[] = [];
  const failures: string[] = [];
  const attempt = async (name: string, run: () => Promise<RunReport>) => {
    try {
      const report = await run();
      reports.push(report);
      process.stdout.write(`\n## ${report.title}\n\n${report.body}\n\n`);
    } catch (error) {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push(`${name}: ${message.split("\n")[0]}`);
      log(`${name} FAILED: ${message}`);
    }
  };

  let policyRevision = "?";
  const mainRuns = (["cold", "single", "batch", "orders", "memory"] as const).filter((r) => options.only.has(r));
  let main: SidecarProcess | undefined;
  /** The shared sidecar of the main runs; started anew if it is gone (it should not be: the log then says why). */
  const mainSidecar = async () => {
    if (main?.child.alive()) return main;
    if (main) log(`sidecar "main" is gone (see its output above); starting another for the next run`);
    main = await startOurSidecar(ctx, "main");
    return main;
  };
  // Their own sidecars, before the main one has cached anything in the process.
  if (options.only.has("unique")) await attempt("unique", () => uniqueChecksRun(ctx));
  if (options.only.has("mixed")) await attempt("mixed", () => mixedRun(ctx));
  try {
    for (const name of mainRuns) {
      const sidecar = await mainSidecar();
      if (policyRevision === "?") {
        const statusClient = new JsonClient(sidecar.url, checkHeaders);
        const status = await statusClient.call("GET", "/v1/status");
        statusClient.close();
        policyRevision = (status.body as { policy?: { revision?: string } }).policy?.revision ?? "?";
      }
      if (name === "cold") await attempt(name, () => coldRun(ctx, sidecar));
      if (name === "single") await attempt(name, () => singleCheckRun(ctx, sidecar));
      if (name === "batch") await attempt(name, () => batchRun(ctx, sidecar));
      if (name === "orders") await attempt(name, () => ordersQueryRun(ctx, sidecar));
      if (name === "memory") {
        await attempt(name, async () => {
          const fresh = await startOurSidecar(ctx, "memory");
          try {
            return await memoryRun(ctx, fresh, sidecar);
          } finally {
            await fresh.stop();
          }
        });
      }
    }
  } finally {
    await main?.stop();
  }
  if (options.only.has("profile")) await attempt("profile", () => profileRun(ctx));
  if (options.only.has("visible")) await attempt("visible", () => writeToVisibleRun(ctx));
  await dropRedisPrefixes(usedPrefixes()).catch((error: unknown) => log(`could not drop Redis keys: ${String(error)}`));

  removePools();

  const sourceRevision = policySourceRevision();
  const targets: TargetResult[] = reports.flatMap((r) => r.targets);
  const revision = gitRevision();
  const whole = options.only.size === RUN_NAMES.length;
  let historyFile: string | undefined;
  if (options.write && whole && !options.quick) {
    historyFile = appendHistory({
      at: new Date().toISOString(),
      commit: revision.head,
      dirty: revision.dirty,
      size: options.size,
      command,
      seconds: Math.round((performance.now() - started) / 1000),
      targets: targets.map(({ target, value, valueText, met }) => ({ target, value, valueText, met })),
    });
    log(`targets appended to ${historyFile}`);
  }
  const recorded = runsOf(revision.head, options.size).filter((r) => !r.dirty || revision.dirty);
  const charts: ChartData = Object.assign({}, ...reports.map((r) => r.charts ?? {})) as ChartData;
  const chartDir = join(ROOT, options.write ? "docs/bench" : "tools/bench/charts");
  const chartFiles = await writeCharts(chartDir, charts, `${revision.head}, ${options.size} store, ${new Date().toISOString().slice(0, 10)}${options.quick ? " (quick)" : ""}`).catch((error: unknown) => {
    failures.push(`charts: ${String(error)}`);
    return [] as string[];
  });
  log(`charts: ${chartFiles.map((f) => join(chartDir, f)).join(", ") || "none"}`);
  const summary = [
    `Command: \`${command}\`, whole run ${elapsed().trim()}${options.quick ? " (quick: smoke figures, not comparable)" : ""}.`,
    `Machine: ${machineLine()}. ${versions.join(", ")}.`,
    `Sidecar at ${revision.head}${revision.dirty ? " + uncommitted changes" : ""}, policy revision ${policyRevision}` +
      `${sourceRevision === policyRevision || !options.only.has("unique") ? "" : ` (policies/ sources hash to ${sourceRevision}: the bundle was not built from the Rego the OPA peer evaluated; the answers were still compared)`}. ` +
      "Every server runs in its own process on loopback; load comes from a separate load process (autocannon, or its own client for unique and paced requests), bounded in time.",
    `Data: ${datasetLine}.`,
    "",
    `Targets of issue 11 (and those of issue 5 it keeps), each judged on this run; the spread is over the ${recorded.length} recorded whole run${recorded.length === 1 ? "" : "s"} of ${revision.head} on the ${options.size} store (bench/history/${historyFile ? ", this run included" : ""}). ` +
      "Charts: [throughput at equal cores](docs/bench/throughput.svg), [latency at half rate against the echo server](docs/bench/latency-half-rate.svg).",
    "",
    markdownTable(["target", "goal", "measured (this run)", "spread (min – max)", "verdict"], targetRows(targets, (t) => spreadOf(recorded, t.target))),
    ...(failures.length > 0 ? ["", "Runs that failed:", ...failures.map((f) => `- ${f}`)] : []),
  ].join("\n");
  process.stdout.write(`\n## ${SUMMARY_TITLE}\n\n${summary}\n`);

  if (options.write) {
    // A partial run (--only) leaves the summary of the last whole run alone: its table would lack the other targets.
    if (whole) writeSection(SUMMARY_TITLE, summary);
    else log("partial run (--only): the targets summary in BENCHMARKS.md is left as the last whole run wrote it");
    for (const r of reports) writeSection(r.title, r.body);
    log("BENCHMARKS.md updated");
  } else {
    log("BENCHMARKS.md not written (--quick or --no-write; --write to force)");
  }
  return failures.length > 0 ? 1 : 0;
}

// Interrupted: exit, so the exit hook of bench/processes.ts stops every server the run started.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
