import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { dropDatabase, freshDatabase, openGraph } from "../store/graph-test-support.ts";

/**
 * SIGTERM under load (README, Operations: Decision logs, Shutdown), on a real sidecar process writing its decision
 * log to a file: every decision whose answer reached the client has its event in the file once the process has
 * exited; no event of an answered decision is lost with the writer's buffer.
 */
const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "sigterm-decision-log-"));
const KEY = "sigterm-check-key";
let databaseUrl: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  databaseUrl = await freshDatabase("sigterm_decision_log");
  const graph = await openGraph({ DATABASE_URL: databaseUrl });
  try {
    await graph.importDocument(demoDocument);
  } finally {
    await graph.close();
  }
});
afterAll(async () => {
  child?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  await dropDatabase(databaseUrl);
});

/** Starts `src/main.ts` as its own process; resolves with its URL once it logs that it listens. */
function startSidecarProcess(decisionLog: string): Promise<{ url: URL; exited: Promise<number | null> }> {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      AUTHZ_API_KEYS: `${KEY}=check`,
      PORT: "0",
      LOG_LEVEL: "info",
      DECISION_LOG: decisionLog,
      DECISION_MEMO_MAX_CHARS: "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  child = proc;
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    proc.once("exit", (code) => reject(new Error(`the sidecar exited (${code}) before listening`)));
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const entry = JSON.parse(line) as { msg?: string; url?: string };
      if (entry.msg === "b2b-authz listening" && entry.url) resolve({ url: new URL(entry.url), exited });
    });
  });
}

/** One check with its own order id; the decision id of its answer, or null once the sidecar stopped answering. */
function check(agent: Agent, url: URL, n: number): Promise<string | null> {
  const body = JSON.stringify({
    subject: { id: "carol" },
    org: "ACME-DE",
    action: "order.place",
    resource: { type: "order", id: `order-${n}`, org: "ACME-DE", buyer: "carol", attributes: { total: n % 700 } },
  });
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: "/v1/check",
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve(res.statusCode === 200 ? (JSON.parse(text) as { decisionId: string }).decisionId : null));
        res.on("error", () => resolve(null));
      },
    );
    req.on("error", () => resolve(null));
    req.end(body);
  });
}

describe("SIGTERM under load", () => {
  it("loses no decision event of an answered decision", async () => {
    const file = join(dir, "decisions.log");
    const { url, exited } = await startSidecarProcess(file);
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    const answered: string[] = [];
    let next = 0;
    let signalled = false;
    const client = async () => {
      for (;;) {
        const id = await check(agent, url, next++);
        if (id === null) {
          // Before the signal a refusal is a failure; after it, the sidecar is closing and this client is done.
          if (!signalled) throw new Error("a check failed before SIGTERM");
          return;
        }
        answered.push(id);
        if (answered.length === 3_000 && !signalled) {
          signalled = true;
          child!.kill("SIGTERM");
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, client));
    agent.destroy();
    expect(await exited).toBe(0);

    const logged = new Set<string>();
    for (const line of readFileSync(file, "utf8").split("\n")) {
      if (line) logged.add((JSON.parse(line) as { decision_id: string }).decision_id);
    }
    expect(answered.length).toBeGreaterThanOrEqual(3_000);
    expect(answered.filter((id) => !logged.has(id))).toEqual([]);
  }, 120_000);
});
