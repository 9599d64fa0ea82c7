import { Agent, request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * Shutdown under keep-alive load (README, Operations: Shutdown): every request that reached the sidecar is
 * answered, in-flight answers say `connection: close`, and no keep-alive connection is reset under a client.
 */
let t: TestSidecar;

beforeAll(async () => {
  t = await startTestSidecar("input_drain");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument })).status).toBe(200);
});
afterAll(async () => {
  await t?.sidecar.close();
});

const body = JSON.stringify({ subject: { id: "carol" }, org: "ACME-DE", action: "order.view" });

interface Outcome {
  status?: number;
  connection?: string;
  error?: string;
  reused: boolean;
}

function post(agent: Agent, url: URL): Promise<Outcome> {
  return new Promise((resolve) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: "/v1/check",
        method: "POST",
        headers: { authorization: `Bearer ${CHECK_KEY}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, reused: req.reusedSocket }));
        res.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, reused: req.reusedSocket }));
      },
    );
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message, reused: req.reusedSocket }));
    req.end(body);
  });
}

describe("shutdown under keep-alive load", () => {
  it("answers every request, says connection: close, and resets no connection", async () => {
    const url = new URL(t.sidecar.url);
    const clients = 64;
    const outcomes: Outcome[] = [];
    let told = 0;
    const answeredOnReuse = new Array<number>(clients).fill(0);
    // Each client keeps one keep-alive connection busy; told `connection: close`, it goes elsewhere, as a client
    // behind a load balancer would.
    const client = async (_: unknown, index: number) => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (;;) {
          const outcome = await post(agent, url);
          outcomes.push(outcome);
          if (outcome.reused && outcome.status === 200) answeredOnReuse[index]!++;
          if (outcome.error !== undefined) return;
          if (outcome.connection === "close") {
            told++;
            return;
          }
        }
      } finally {
        agent.destroy();
      }
    };
    const load = Array.from({ length: clients }, client);
    // Until every client has had answers on its reused connection: the load is at its steady state, every
    // connection accepted and kept alive.
    while (answeredOnReuse.some((n) => n < 3) && !outcomes.some((o) => o.error)) await new Promise((r) => setTimeout(r, 10));
    const closed = t.sidecar.close(10_000);
    await Promise.all(load);
    await closed;

    const failures = outcomes.filter((o) => o.error !== undefined || o.status !== 200);
    expect(failures, JSON.stringify(failures.slice(0, 5))).toEqual([]);
    expect(told).toBe(clients);
    expect(outcomes.length).toBeGreaterThan(clients * 3);
  });
});
