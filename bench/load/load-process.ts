/**
 * The load generator, run as its own process (`node --import tsx bench/load/load-process.ts <job.json>`), so it
 * never shares an event loop with a server under test. Drives autocannon over keep-alive connections with a
 * rotating set of request bodies, after an unmeasured warm-up, and records every 2xx response time itself (in
 * microseconds, autocannon's own histogram rounds to whole milliseconds). Prints one JSON LoadResult line.
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import type { LoadJob, LoadResult } from "./load-types.ts";

function run(job: LoadJob, seconds: number, record: ((ms: number) => void) | undefined): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: seconds,
        timeout: 10,
        ...(job.overallRate ? { overallRate: job.overallRate } : {}),
        requests: job.bodies.map((body) => ({
          method: job.method,
          path: job.path,
          headers: { "content-type": "application/json", ...job.headers },
          body,
        })),
      },
      (error: Error | null, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    if (record) {
      instance.on("response", (_client: autocannon.Client, statusCode: number, _bytes: number, responseTime: number) => {
        if (statusCode >= 200 && statusCode < 300) record(responseTime);
      });
    }
  });
}

/** Samples in a growable Float64Array: a few hundred thousand per run, sorted once at the end. */
class Samples {
  private data = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.data.subarray(0, this.length).sort();
  }
}

function at(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadJob;
  if (job.warmupSeconds > 0) await run(job, job.warmupSeconds, undefined);
  const samples = new Samples();
  // Markers for the parent, which samples the server's CPU over exactly the measured run.
  process.stdout.write("phase:measure\n");
  const started = performance.now();
  const result = await run(job, job.seconds, (ms) => samples.push(ms * 1000));
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write("phase:end\n");
  const sorted = samples.sorted();
  let sum = 0;
  for (const v of sorted) sum += v;
  const out: LoadResult = {
    requests: result.requests.total,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: elapsed,
    rps: result["2xx"] / job.seconds,
    latencyUs: {
      p50: at(sorted, 50),
      p90: at(sorted, 90),
      p99: at(sorted, 99),
      p999: at(sorted, 99.9),
      max: at(sorted, 100),
      mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    },
    loaderCpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`load-process: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
