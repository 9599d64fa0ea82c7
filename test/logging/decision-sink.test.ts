import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { DecisionLog } from "../../src/decisions/decision-log.ts";
import { createDecisionSink } from "../../src/logging/decision-sink.ts";
import { createLoggers } from "../../src/logging/logger.ts";
import { eventually } from "../store/graph-test-support.ts";

/**
 * The decision log writer (README, Operations: Decision logs): events go through a bounded buffer to a worker
 * thread that writes them; every event written is in the file once the writer is flushed, a full buffer holds the
 * sidecar back (the default) or, with DECISION_LOG_OVERFLOW=drop, drops and counts what does not fit.
 *
 * The count test writes 1,000,000 events (about 800 MB) through the real writer into a real file: about 7 s.
 */
const EVENTS = 1_000_000;

const dir = mkdtempSync(join(tmpdir(), "decision-sink-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

function loggersTo(file: string, overflow?: "block" | "drop") {
  return createLoggers(
    loadConfig({ LOG_LEVEL: "warn", DECISION_LOG: file, ...(overflow ? { DECISION_LOG_OVERFLOW: overflow } : {}) }),
  );
}

/** A check's event about the size of a real one (about 800 bytes as a line). */
function writeEvents(log: DecisionLog, count: number, from = 0): void {
  for (let i = from; i < from + count; i++) {
    log.write({
      decisionId: `d-${i}`,
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

/** The decision ids in a decision log file, and how many lines it has. */
async function idsIn(file: string): Promise<{ lines: number; ids: Set<string> }> {
  const ids = new Set<string>();
  let lines = 0;
  let rest = "";
  for await (const chunk of createReadStream(file, { encoding: "utf8" })) {
    const parts = (rest + (chunk as string)).split("\n");
    rest = parts.pop() ?? "";
    for (const line of parts) {
      lines++;
      const id = /"decision_id":"([^"]+)"/.exec(line)?.[1];
      if (id) ids.add(id);
    }
  }
  expect(rest).toBe("");
  return { lines, ids };
}

/** A FIFO whose reader (another process) opens it at once and starts copying it to `out` only after `delayMs`. */
function slowReader(name: string, out: string, delayMs: number): string {
  const fifo = join(dir, `${name}.fifo`);
  execFileSync("mkfifo", [fifo]);
  const script = `
    const fs = require("node:fs");
    const fd = fs.openSync(${JSON.stringify(fifo)}, "r");
    setTimeout(() => fs.createReadStream(null, { fd }).pipe(fs.createWriteStream(${JSON.stringify(out)})), ${delayMs});
  `;
  children.push(spawn(process.execPath, ["-e", script], { stdio: "ignore" }));
  return fifo;
}

async function lineCount(file: string): Promise<number> {
  try {
    return (await idsIn(file)).lines;
  } catch {
    return 0;
  }
}

describe("decision log writer", () => {
  it(`${EVENTS.toLocaleString("en")} decisions give ${EVENTS.toLocaleString("en")} events in the file`, async () => {
    const file = join(dir, "all.log");
    const loggers = loggersTo(file);
    const log = new DecisionLog(loggers.decisionSink, []);
    // In slices, yielding between them as a serving process does between requests.
    for (let written = 0; written < EVENTS; written += 10_000) {
      writeEvents(log, Math.min(10_000, EVENTS - written), written);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await loggers.decisionSink.close();
    const { lines, ids } = await idsIn(file);
    expect(lines).toBe(EVENTS);
    expect(ids.size).toBe(EVENTS);
    expect(loggers.decisionSink.dropped).toBe(0);
  }, 240_000);

  it("hands over every event written when the process exits without a shutdown (process.exit)", async () => {
    const file = join(dir, "exit.log");
    const count = 5_000;
    // Events written in the process's last turn, then process.exit at once: no close, no flush.
    const script = `
      import { loadConfig } from "./src/config.ts";
      import { DecisionLog } from "./src/decisions/decision-log.ts";
      import { createLoggers } from "./src/logging/logger.ts";
      const loggers = createLoggers(loadConfig({ LOG_LEVEL: "warn", DECISION_LOG: ${JSON.stringify(file)} }));
      const log = new DecisionLog(loggers.decisionSink, []);
      setTimeout(() => {
        for (let i = 0; i < ${count}; i++) log.write({ decisionId: "d-" + i, path: "b2b/check/decision", input: { n: i }, result: { allow: true }, revision: null, digest: null, graphToken: null, durationNs: 1 });
        process.exit(0);
      }, 200);
    `;
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: "inherit" });
    children.push(proc);
    expect(await new Promise((resolve) => proc.once("exit", resolve))).toBe(0);
    const { lines, ids } = await idsIn(file);
    expect(lines).toBe(count);
    expect(ids.size).toBe(count);
  }, 60_000);

  it("with DECISION_LOG=stdout, shares the pipe with the application log without breaking a line", async () => {
    const count = 2_000;
    // Lines far over a pipe's atomic write (4 KiB), from both logs, in the same turns: written by two threads,
    // they could interleave; through the one writer, every line arrives whole.
    const script = `
      import { loadConfig } from "./src/config.ts";
      import { DecisionLog } from "./src/decisions/decision-log.ts";
      import { createLoggers } from "./src/logging/logger.ts";
      const loggers = createLoggers(loadConfig({ LOG_LEVEL: "info", DECISION_LOG: "stdout" }));
      const log = new DecisionLog(loggers.decisionSink, []);
      const blob = "x".repeat(20_000);
      for (let i = 0; i < ${count}; i++) {
        log.write({ decisionId: "d-" + i, path: "b2b/check/decision", input: { blob }, result: { allow: true }, revision: null, digest: null, graphToken: null, durationNs: 1 });
        loggers.app.info({ i, blob: blob.slice(0, 6_000) }, "app line");
        if (i % 100 === 99) await new Promise((r) => setImmediate(r));
      }
      await loggers.decisionSink.close();
    `;
    const root = fileURLToPath(new URL("../../", import.meta.url));
    const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
    children.push(proc);
    let text = "";
    proc.stdout.setEncoding("utf8").on("data", (chunk: string) => (text += chunk));
    expect(await new Promise((resolve) => proc.once("exit", resolve))).toBe(0);
    const lines = text.split("\n").filter((line) => line !== "");
    const parsed = lines.map((line) => JSON.parse(line) as { log?: string; msg?: string });
    expect(parsed.filter((l) => l.log === "decision")).toHaveLength(count);
    expect(parsed.filter((l) => l.msg === "app line")).toHaveLength(count);
  }, 120_000);

  it("counts the events of a writer that failed as dropped, logs the failure, and keeps the process up", async () => {
    const failures: Error[] = [];
    // A destination that cannot be created: a file under /dev/null, which is not a directory.
    const sink = createDecisionSink("/dev/null/decisions.log", "block", (error) => failures.push(error));
    const log = new DecisionLog(sink, []);
    writeEvents(log, 10);
    await eventually(() => failures.length > 0, "the writer's failure reported");
    writeEvents(log, 10, 10);
    expect(sink.dropped).toBeGreaterThanOrEqual(10);
    await sink.close();
  });

  it("blocks, by default, while the destination does not keep up, and loses nothing", async () => {
    const out = join(dir, "blocked.log");
    // About 16 MiB of events: far more than the buffer and the pipe hold while the reader waits.
    const count = 20_000;
    const loggers = loggersTo(slowReader("blocked", out, 1_500));
    const log = new DecisionLog(loggers.decisionSink, []);
    writeEvents(log, count);
    await loggers.decisionSink.flush();
    expect(loggers.decisionSink.dropped).toBe(0);
    await eventually(async () => (await lineCount(out)) === count, "every event through the slow destination");
    expect((await idsIn(out)).ids.size).toBe(count);
    await loggers.decisionSink.close();
  }, 60_000);

  it("with DECISION_LOG_OVERFLOW=drop, drops what the bounded buffer cannot hold, and counts it", async () => {
    const out = join(dir, "dropped.log");
    const count = 20_000;
    const loggers = loggersTo(slowReader("dropped", out, 1_500), "drop");
    const log = new DecisionLog(loggers.decisionSink, []);
    writeEvents(log, count);
    const dropped = loggers.decisionSink.dropped;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(count);
    await loggers.decisionSink.flush();
    // Every event not counted as dropped is written, whole.
    await eventually(async () => (await lineCount(out)) === count - dropped, "the events that were not dropped");
    expect(loggers.decisionSink.dropped).toBe(dropped);
    await loggers.decisionSink.close();
  }, 60_000);
});
