/**
 * What writing a decision event costs the main thread, in process: 100,000 check events (about 800 bytes each)
 * through DecisionLog into a file, with the writer the sidecar uses (a worker thread behind a bounded ring,
 * src/logging/decision-sink.ts) and, for comparison, pino's asynchronous file destination on the main thread (the
 * writer before) and no writer at all. Main-thread CPU is read from the kernel's account of that thread alone
 * (/proc/self/task/<pid>/stat), so the worker's work is not charged to it; process CPU counts every thread.
 *
 *   node --import tsx bench/decision-log-cost.ts [events] [rounds]
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { loadConfig } from "../src/config.ts";
import { DecisionLog, type DecisionEvent } from "../src/decisions/decision-log.ts";
import { createLoggers } from "../src/logging/logger.ts";

const events = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "decision-log-cost-"));

/** CPU seconds of the main thread alone (Linux), from the kernel's per-thread account. */
function mainThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime, fields 14 and 15 of stat(5), in clock ticks of 1/100 s.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function processCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

interface EventWriter {
  write(event: DecisionEvent): void;
}

/** The decision log as it was before its events left the main thread: one pino call per event (no mask). */
class BeforeDecisionLog implements EventWriter {
  constructor(private readonly logger: Logger) {}
  write(event: DecisionEvent): void {
    this.logger.info(
      {
        decision_id: event.decisionId,
        path: event.path,
        input: event.input,
        result: event.result,
        bundles: { b2b: { revision: event.revision, digest: event.digest } },
        graph_token: event.graphToken,
        metrics: { timer_server_handler_ns: event.durationNs },
      },
      "decision",
    );
  }
}

function writeAll(log: EventWriter, from: number, count: number): void {
  for (let i = from; i < from + count; i++) {
    log.write({
      decisionId: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      path: "b2b/check/decision",
      input: {
        subject: { id: `user-${i % 977}`, kind: "user" },
        org: "ACME-DE",
        action: "order.place",
        resource: { type: "order", id: `order-${i}`, org: "ACME-DE", buyer: `user-${i % 977}`, attributes: { total: i % 5000 } },
      },
      result: {
        decision: "allow",
        allow: true,
        reasons: [
          { code: "direct_role", message: "role buyer held at ACME-DE", permission: "order.place", org: "ACME-DE", level: 2, role: "buyer" },
          { code: "within_limit", message: "within the limits of role buyer at ACME-DE", permission: "order.place", org: "ACME-DE", role: "buyer" },
        ],
      },
      revision: "c6dbb2868a7c26a9",
      digest: "0123456789abcdef",
      graphToken: "g2.eyJzIjoiNGYwYzZhN2UtMmQxYi00YzU1LTlhOGUtNmIzZjFkMmU3YzkwLjUiLCJ2IjpbWyJ0OkFDTUUiLDJdXX0",
      durationNs: 41_000 + (i % 1000),
    });
  }
}

interface Writer {
  log: EventWriter;
  /** Resolves when every event is in the file; the main thread's share of that work is measured too. */
  done(): Promise<void>;
}

const writers: Record<string, (file: string) => Writer> = {
  "no writer (DECISION_LOG=off)": () => {
    const loggers = createLoggers(loadConfig({ LOG_LEVEL: "warn", DECISION_LOG: "off" }));
    return { log: new DecisionLog(loggers.decisionSink, []), done: () => Promise.resolve() };
  },
  "before: pino async file destination, main thread": (file) => {
    const destination = pino.destination({ dest: file, sync: false });
    const logger = pino({ level: "info", base: { service: "b2b-authz", log: "decision" } }, destination);
    return { log: new BeforeDecisionLog(logger), done: () => new Promise((resolve) => destination.flush(() => resolve())) };
  },
  "now: worker thread, bounded ring (block)": (file) => {
    const loggers = createLoggers(loadConfig({ LOG_LEVEL: "warn", DECISION_LOG: file }));
    return { log: new DecisionLog(loggers.decisionSink, []), done: () => loggers.decisionSink.close() };
  },
  "now: worker thread, bounded ring (drop)": (file) => {
    const loggers = createLoggers(loadConfig({ LOG_LEVEL: "warn", DECISION_LOG: file, DECISION_LOG_OVERFLOW: "drop" }));
    return { log: new DecisionLog(loggers.decisionSink, []), done: () => loggers.decisionSink.close() };
  },
};

async function measure(name: string, round: number): Promise<{ main: number; all: number; bytes: number }> {
  const file = join(dir, `${round}-${name.replace(/\W+/g, "-")}.log`);
  const writer = writers[name]!(file);
  writeAll(writer.log, 0, 1_000); // warm-up, and the worker thread started
  await writer.done().catch(() => undefined);
  const fresh = writers[name]!(`${file}.measured`);
  writeAll(fresh.log, 0, 2_000);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const main0 = mainThreadCpuSeconds();
  const all0 = processCpuSeconds();
  // In slices, yielding between them as a serving process yields between requests.
  for (let written = 0; written < events; written += 1_000) {
    writeAll(fresh.log, written, Math.min(1_000, events - written));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await fresh.done();
  const main = mainThreadCpuSeconds() - main0;
  const all = processCpuSeconds() - all0;
  let bytes = 0;
  try {
    bytes = statSync(`${file}.measured`).size;
  } catch {
    // DECISION_LOG=off writes no file.
  }
  return { main, all, bytes };
}

const results = new Map<string, { main: number[]; all: number[] }>();
for (let round = 0; round < rounds; round++) {
  for (const name of Object.keys(writers)) {
    const { main, all } = await measure(name, round);
    const entry = results.get(name) ?? { main: [], all: [] };
    entry.main.push((main * 1e6) / events);
    entry.all.push((all * 1e6) / events);
    results.set(name, entry);
  }
}
const fmt = (values: number[]) => values.map((v) => v.toFixed(1)).join(" / ");
process.stdout.write(`${events.toLocaleString("en")} events per run, ${rounds} rounds; µs of CPU per event (each round)\n`);
process.stdout.write("| writer | main thread | whole process |\n|---|---|---|\n");
for (const [name, { main, all }] of results) process.stdout.write(`| ${name} | ${fmt(main)} | ${fmt(all)} |\n`);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
