/**
 * Parent side of a load run: writes the job, starts the load process, and reads its result together with the
 * CPU the server process used over the measured run (from /proc), so a table can say how many cores it used.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_TMP, ROOT } from "../paths.ts";
import { cpuSeconds, machineBusySeconds, quietBudgetLeft, startChild, waitForQuiet } from "../processes.ts";
import type { LoadJob, LoadResult } from "./load-types.ts";

export interface MeasuredLoad extends LoadResult {
  /** Cores the server used on average during the measured run (CPU seconds / wall seconds), if its pid is known. */
  serverCores?: number;
  /** Cores the load process used meanwhile. */
  loaderCores?: number;
  /** Cores everything else on the machine used meanwhile (PostgreSQL, Redis, other people's work): noise when high. */
  otherCores?: number;
  /** The measured run on the machine's monotonic clock (µs), which V8's CPU profiles also use. */
  window?: { fromUs: number; toUs: number };
}

const monotonicUs = () => Number(process.hrtime.bigint() / 1000n);

let jobs = 0;

/** Other processes using more than this many cores during a run make it noise: it is measured again. */
const NOISY_CORES = 0.3;
const ATTEMPTS = 3;

/**
 * Runs the job once the machine is quiet; a run during which other processes took more than NOISY_CORES is
 * measured again while the run's quiet budget lasts, and the least disturbed attempt is kept.
 */
export async function runLoad(job: LoadJob, serverPid?: number, log: (line: string) => void = () => undefined): Promise<MeasuredLoad> {
  let best: MeasuredLoad | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    await waitForQuiet(log);
    const started = performance.now();
    const result = await runOnce(job, serverPid);
    if (!best || (result.otherCores ?? 0) < (best.otherCores ?? 0)) best = result;
    if (serverPid === undefined || (best.otherCores ?? 0) <= NOISY_CORES || attempt === ATTEMPTS) break;
    const left = quietBudgetLeft(performance.now() - started);
    if (left <= 0) break;
    log(`other processes took ${(result.otherCores ?? 0).toFixed(2)} cores during that run: measuring it again (${Math.round(left)} s of budget left)`);
  }
  return best!;
}

async function runOnce(job: LoadJob, serverPid?: number): Promise<MeasuredLoad> {
  mkdirSync(BENCH_TMP, { recursive: true });
  const file = join(BENCH_TMP, `load-job-${process.pid}-${jobs++}.json`);
  writeFileSync(file, JSON.stringify(job));
  const child = startChild("load", process.execPath, ["--import", "tsx", join(ROOT, "bench/load/load-process.ts"), file], { cwd: ROOT, pipeStdout: true, expectExit: true });
  const closed = new Promise<number | null>((resolve) => child.process.once("close", resolve));
  let stdout = "";
  type Sample = { cpu: number; loader: number; machine: number; at: number; us: number };
  let start: Sample | undefined;
  let end: Sample | undefined;
  const sample = (): Sample => ({
    cpu: serverPid === undefined ? Number.NaN : cpuSeconds(serverPid),
    loader: cpuSeconds(child.pid),
    machine: machineBusySeconds(),
    at: performance.now(),
    us: monotonicUs(),
  });
  child.process.stdout?.on("data", (chunk: string) => {
    stdout += chunk;
    if (!start && stdout.includes("phase:measure\n")) start = sample();
    if (start && !end && stdout.includes("phase:end\n")) end = sample();
  });
  const code = await closed; // after its output is read to the end
  rmSync(file, { force: true });
  if (code !== 0) throw new Error(`load process failed (${code}): ${child.output().trim().slice(-2000)}`);
  const line = stdout.trim().split("\n").at(-1) ?? "";
  const result: MeasuredLoad = JSON.parse(line) as LoadResult;
  if (start && end) {
    result.window = { fromUs: start.us, toUs: end.us };
    const wall = (end.at - start.at) / 1000;
    if (wall > 0) {
      result.loaderCores = (end.loader - start.loader) / wall;
      if (serverPid !== undefined) {
        result.serverCores = (end.cpu - start.cpu) / wall;
        result.otherCores = Math.max(0, (end.machine - start.machine) / wall - result.serverCores - result.loaderCores);
      }
    }
  }
  return result;
}
