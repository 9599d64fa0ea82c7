/**
 * The load generator, run as its own process (`node --import tsx bench/load/load-process.ts <job.json>`), so it
 * never shares an event loop with a server under test. As fast as the server answers: autocannon over keep-alive
 * connections. At a given rate, or for unique requests: a client of its own (see runRaw). Both rotate a set of request
 * bodies, run an unmeasured warm-up, and record every 2xx response time themselves (in microseconds:
 * autocannon's own histogram rounds to whole milliseconds). Prints one JSON LoadResult line.
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { LATENCY_PERCENTILES, type LoadJob, type LoadResult } from "./load-types.ts";

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

interface Counts {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
}

/** The requests the raw client sends, in order: prebuilt bytes. */
interface RequestSource {
  next(): Buffer;
}

/** Rotates the job's bodies on its one path (the paced repeated-bodies rows). */
function rotatingSource(job: LoadJob): RequestSource {
  const requests = job.bodies.map((body) => requestBytes(job, job.path, body));
  let i = 0;
  return { next: () => requests[i++ % requests.length]! };
}

/** Each pool line once, in order from the job's offset; past the end it wraps and counts repeats. */
class PoolSource implements RequestSource {
  private readonly lines: string[];
  private i: number;
  used = 0;
  constructor(private readonly job: LoadJob) {
    this.lines = readFileSync(job.unique!.file, "utf8").split("\n").filter((l) => l.length > 0);
    this.i = job.unique!.offset;
  }
  get repeats(): number {
    return Math.max(0, this.job.unique!.offset + this.used - this.lines.length);
  }
  next(): Buffer {
    const line = this.lines[this.i++ % this.lines.length]!;
    this.used++;
    const tab = line.indexOf("\t");
    return requestBytes(this.job, line.slice(0, tab), line.slice(tab + 1));
  }
}

function requestBytes(job: LoadJob, path: string, body: string): Buffer {
  const target = new URL(job.url);
  const headerLines = Object.entries({ host: target.host, "content-type": "application/json", ...job.headers })
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  return Buffer.from(`${job.method} ${path} HTTP/1.1\r\n${headerLines}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * Our own client on raw keep-alive sockets, one request in flight per socket as with autocannon; responses are
 * read by their Content-Length, so it costs little more CPU than autocannon's.
 * - At `job.overallRate` (evenly paced): autocannon's rate limit is a budget per second: it sends back to back
 *   until the second's quota is spent, then idles, so half the maximum rate would be full speed half of each
 *   second. Here request i is due at start + i / rate and goes out on the next free one of `job.connections`
 *   sockets; its latency runs from the timer tick that found it due, so a request that had to wait for a socket
 *   counts its wait.
 * - Without a rate (unique requests as fast as the server answers): each socket sends its next request as soon
 *   as its answer is read; latency runs from the write.
 */
function runRaw(job: LoadJob, seconds: number, source: RequestSource, record: ((ms: number) => void) | undefined): Promise<Counts> {
  const rate = job.overallRate;
  const target = new URL(job.url);
  const counts: Counts = { requests: 0, ok: 0, non2xx: 0, errors: 0 };
  const total = rate ? Math.floor(rate * seconds) : Number.POSITIVE_INFINITY;
  const waiting: number[] = []; // when each request no socket has taken yet became due
  const free: Socket[] = [];
  const inFlight = new Map<Socket, number>();
  let issued = 0;
  let settled = 0;
  let start = 0;
  let finished = false;

  return new Promise((resolve, reject) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      for (const s of [...free, ...inFlight.keys()]) s.destroy();
      resolve(counts);
    };
    const dispatch = () => {
      while (!finished && free.length > 0 && (rate ? waiting.length > 0 : performance.now() < start + seconds * 1000)) {
        const socket = free.pop()!;
        const due = rate ? waiting.shift()! : performance.now();
        if (!rate) issued++;
        inFlight.set(socket, due);
        counts.requests++;
        socket.write(source.next());
      }
    };
    const done = (socket: Socket, status: number) => {
      const due = inFlight.get(socket);
      inFlight.delete(socket);
      if (due !== undefined) {
        if (status >= 200 && status < 300) {
          counts.ok++;
          record?.(performance.now() - due);
        } else if (status > 0) counts.non2xx++;
        else counts.errors++;
        settled++;
      }
      if (status > 0) free.push(socket);
      const over = rate ? issued >= total : performance.now() >= start + seconds * 1000;
      if (over && settled >= issued) {
        finish();
        return;
      }
      dispatch();
    };
    const open = (socket: Socket) => {
      let buffered: Buffer = Buffer.alloc(0);
      socket.setNoDelay(true);
      socket.on("data", (chunk: Buffer) => {
        buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
        for (;;) {
          const headerEnd = buffered.indexOf("\r\n\r\n");
          if (headerEnd === -1) return;
          const head = buffered.subarray(0, headerEnd).toString("latin1");
          const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
          const end = headerEnd + 4 + length;
          if (buffered.length < end) return;
          buffered = buffered.subarray(end);
          done(socket, Number(head.slice(9, 12)));
        }
      });
      socket.on("error", () => undefined);
      socket.on("close", () => {
        if (inFlight.has(socket)) done(socket, 0);
      });
    };
    let connected = 0;
    for (let i = 0; i < job.connections; i++) {
      const socket = connect(Number(target.port), target.hostname, () => {
        free.push(socket);
        if (++connected === job.connections) begin();
      });
      socket.once("error", reject);
      open(socket);
    }
    const begin = () => {
      start = performance.now();
      // A server that stops answering ends the run 10 s after its last request was due; the rest count as errors.
      setTimeout(() => {
        counts.errors += issued - settled;
        finish();
      }, (seconds + 10) * 1000).unref();
      if (!rate) {
        dispatch();
        return;
      }
      const timer = setInterval(() => {
        const now = performance.now();
        // A request counts from this tick, the first moment the client could send it (timers fire about every
        // millisecond): what it then waits for a free socket is the server's to answer for, the tick's lag is not.
        while (issued < total && start + (issued * 1000) / rate <= now) {
          waiting.push(now);
          issued++;
        }
        if (issued >= total) clearInterval(timer);
        dispatch();
      }, 1);
    };
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
  const pool = job.unique ? new PoolSource(job) : undefined;
  const source = pool ?? (job.overallRate ? rotatingSource(job) : undefined);
  const drive = async (seconds: number, record: ((ms: number) => void) | undefined): Promise<Counts> => {
    if (source) return runRaw(job, seconds, source, record);
    const result = await run(job, seconds, record);
    return { requests: result.requests.total, ok: result["2xx"], non2xx: result.non2xx, errors: result.errors + result.timeouts };
  };
  if (job.warmupSeconds > 0) await drive(job.warmupSeconds, undefined);
  const samples = new Samples();
  // Markers for the parent, which samples the server's CPU over exactly the measured run.
  process.stdout.write("phase:measure\n");
  const started = performance.now();
  const result = await drive(job.seconds, (ms) => samples.push(ms * 1000));
  const elapsed = (performance.now() - started) / 1000;
  process.stdout.write("phase:end\n");
  const sorted = samples.sorted();
  let sum = 0;
  for (const v of sorted) sum += v;
  const out: LoadResult = {
    requests: result.requests,
    ok: result.ok,
    non2xx: result.non2xx,
    errors: result.errors,
    seconds: elapsed,
    rps: result.ok / job.seconds,
    latencyUs: {
      p50: at(sorted, 50),
      p90: at(sorted, 90),
      p99: at(sorted, 99),
      p999: at(sorted, 99.9),
      max: at(sorted, 100),
      mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    },
    distributionUs: LATENCY_PERCENTILES.map((p) => [p, at(sorted, p)]),
    ...(pool ? { pool: { used: pool.used, repeats: pool.repeats } } : {}),
    loaderCpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`load-process: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
