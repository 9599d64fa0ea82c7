/**
 * Child processes of the benchmark: starting one with its output kept for error messages, waiting until it
 * answers on loopback, measuring its CPU and resident memory from /proc, and stopping it (by its own pid only).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";

export interface Child {
  name: string;
  pid: number;
  process: ChildProcess;
  /** Still running. */
  alive(): boolean;
  /** The last lines it wrote to stderr (and stdout when piped). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it exited. */
  stop(graceMs?: number): Promise<void>;
}

const TAIL = 8_000;

/** Children still running: killed when the benchmark process exits, however it exits, so none is left behind. */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export function startChild(name: string, command: string, args: string[], options: SpawnOptions & { pipeStdout?: boolean; expectExit?: boolean }): Child {
  const { pipeStdout, expectExit: _, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, stdio: ["ignore", pipeStdout ? "pipe" : "ignore", "pipe"] });
  let tail = "";
  const keep = (chunk: string) => {
    tail = (tail + chunk).slice(-TAIL);
  };
  child.stderr?.setEncoding("utf8").on("data", keep);
  child.stdout?.setEncoding("utf8").on("data", keep);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  live.add(child);
  let stopping = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      live.delete(child);
      if (!stopping && options.expectExit !== true) {
        process.stderr.write(`${name} (pid ${child.pid}) exited unexpectedly (code ${code}, signal ${signal}); its last output:\n${tail.slice(-2000)}\n`);
      }
      resolve();
    }),
  );
  return {
    name,
    pid: child.pid,
    process: child,
    output: () => tail,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(graceMs = 15_000) {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A free TCP port on loopback (asked of the kernel, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx, the child exits, or `timeoutMs` passes. */
export async function waitUntilReady(child: Child, url: string, timeoutMs = 120_000, headers: Record<string, string> = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n${child.output()}`);
    }
    try {
      const res = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${child.name} not ready at ${url} after ${timeoutMs} ms (${last}):\n${child.output()}`);
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** `pid` and all its descendants (a multi-process sidecar's primary and workers). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number(statFields(Number(entry))?.[1]);
    if (!Number.isFinite(ppid)) continue;
    const list = children.get(ppid);
    if (list) list.push(Number(entry));
    else children.set(ppid, [Number(entry)]);
  }
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]!) ?? []));
  return out;
}

/** User + system CPU seconds so far of a process and its descendants (all threads). */
export function cpuSeconds(pid: number): number {
  let total = 0;
  for (const p of processTree(pid)) {
    const fields = statFields(p);
    if (fields) total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  }
  return total;
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds the whole machine has been busy (all cores; idle and iowait excluded), from /proc/stat. */
export function machineBusySeconds(): number {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
}

/** Resident set size of a process and its descendants, bytes. */
export function rssBytes(pid: number): number {
  return processTree(pid).reduce((sum, p) => sum + statusField(p, "VmRSS"), 0);
}

/** Peak resident set size of a process (itself only), bytes. */
export function peakRssBytes(pid: number): number {
  return statusField(pid, "VmHWM");
}

let quietBudgetMs = 0;

/** How long, in all, the run may wait for other processes to leave the machine quiet (see waitForQuiet). */
export function setQuietBudget(seconds: number): void {
  quietBudgetMs = seconds * 1000;
}

/** Seconds of the budget left; `spend` takes some off (a re-measured run counts against it). */
export function quietBudgetLeft(spendMs = 0): number {
  quietBudgetMs -= spendMs;
  return quietBudgetMs / 1000;
}

/**
 * Waits (within the run's budget) until the machine has been nearly idle for a second: on a shared 2-core
 * machine, someone else's build or test run would otherwise be measured as ours. Returns the cores that were
 * busy in the last second looked at.
 */
export async function waitForQuiet(log: (line: string) => void, threshold = 0.3): Promise<number> {
  if (quietBudgetMs <= 0) return Number.NaN;
  let told = false;
  for (;;) {
    const before = machineBusySeconds();
    const at = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const waited = performance.now() - at;
    const busy = (machineBusySeconds() - before) / (waited / 1000);
    if (busy < threshold || quietBudgetMs <= 0) return busy;
    quietBudgetMs -= waited;
    if (!told) log(`machine busy (${busy.toFixed(2)} cores used by other processes): waiting for quiet (${Math.round(quietBudgetMs / 1000)} s of waiting left)`);
    told = true;
  }
}
