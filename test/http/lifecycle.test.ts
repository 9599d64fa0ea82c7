import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { readPolicyBundle } from "../../src/policy/bundle-reader.ts";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { eventually, futureToken } from "../store/graph-test-support.ts";
import { captureLogLines, CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/** Start-up, decision logs, bundle hot reload under load, graceful drain, malformed input. */
const { lines, destination: capture } = captureLogLines();

let t: TestSidecar;
let bundleDir: string;

async function writeBundle(revision: string): Promise<void> {
  const bundle = await readPolicyBundle(defaultPolicyBundle);
  await writeFile(join(bundleDir, "policy.wasm"), bundle.wasm);
  await writeFile(join(bundleDir, "data.json"), JSON.stringify(bundle.data));
  await writeFile(join(bundleDir, ".manifest"), JSON.stringify({ revision, roots: ["b2b"] }));
}

beforeAll(async () => {
  bundleDir = await mkdtemp(join(tmpdir(), "b2b-authz-lifecycle-"));
  await writeBundle("rev-1");
  t = await startTestSidecar(
    "lifecycle",
    {
      LOG_LEVEL: "info",
      POLICY_BUNDLE: bundleDir,
      POLICY_WATCH_INTERVAL_MS: "100",
      DECISION_LOG_MASK: "resource.attributes.total,subject.id",
      // The deprecated name of DECISION_MEMO_MAX_CHARS: still honoured, with a warning at start-up.
      DECISION_MEMO_MAX_BYTES: "0",
    },
    capture,
  );
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument })).status).toBe(200);
});
afterAll(async () => {
  await t?.sidecar.close();
  await rm(bundleDir, { recursive: true, force: true });
});

const carolOrder = {
  subject: { id: "carol" },
  org: "ACME-DE",
  action: "order.place",
  resource: { type: "order", org: "ACME-DE", buyer: "carol", attributes: { total: 300 } },
};

describe("start-up", () => {
  it("warns about a deprecated setting name, and honours it under its new name", async () => {
    const warning = lines.find((l) => l.setting === "DECISION_MEMO_MAX_BYTES");
    expect(warning).toMatchObject({ level: 40, replacement: "DECISION_MEMO_MAX_CHARS" });
    expect(String(warning?.msg)).toContain("deprecated");
    // "0" turned the memo off (the default is on): repeated decisions are neither hits nor misses of it.
    for (let i = 0; i < 3; i++) await t.call("POST", "/v1/check", { key: CHECK_KEY, body: carolOrder });
    expect(t.sidecar.engine.memoStats).toMatchObject({ hits: 0, misses: 0 });
  });
});

describe("decision log", () => {
  it("writes one OPA-shaped event per decision, with masking, on the decision logger", async () => {
    const { body } = await t.call("POST", "/v1/check", { key: CHECK_KEY, body: carolOrder });
    await eventually(() => lines.some((l) => l.decision_id === body.decisionId), "the decision event is written");
    const event = lines.find((l) => l.decision_id === body.decisionId) as Record<string, any>;
    expect(event).toMatchObject({
      log: "decision",
      msg: "decision",
      path: "b2b/check/decision",
      result: { decision: "allow", allow: true },
      bundles: { b2b: { revision: "rev-1" } },
      graph_token: body.graphToken,
      input: { subject: { id: "***", kind: "user" }, org: "ACME-DE", action: "order.place" },
    });
    expect(event.input.resource.attributes.total).toBe("***");
    expect(event.metrics.timer_server_handler_ns).toBeGreaterThan(0);
    expect(lines.filter((l) => l.decision_id === body.decisionId)).toHaveLength(1);
  });

  it("logs a failed decision with its error code and no result", async () => {
    const seen = await t.call("POST", "/v1/check", { key: CHECK_KEY, body: carolOrder });
    const future = futureToken(seen.body.graphToken);
    const res = await t.call("POST", "/v1/check", { key: CHECK_KEY, body: { ...carolOrder, consistency: { atLeast: future } } });
    expect(res.status).toBe(503);
    await eventually(() => lines.some((l) => (l.error as { code?: string } | undefined)?.code === "graph_unavailable"), "the failure is logged");
  });
});

describe("policy bundle hot reload", () => {
  it("swaps a changed bundle without a restart and without failing a request", async () => {
    const revisions = new Set<string>();
    const statuses: number[] = [];
    let swapped = false;
    const load = async () => {
      for (let i = 0; i < 400 && !(swapped && revisions.has("rev-2") && i > 50); i++) {
        const res = await t.call("POST", "/v1/check", { key: CHECK_KEY, body: carolOrder });
        statuses.push(res.status);
        if (res.status === 200) revisions.add(res.body.policyRevision as string);
      }
    };
    const loaders = [load(), load(), load()];
    await new Promise((r) => setTimeout(r, 100));
    await writeBundle("rev-2");
    swapped = true;
    await Promise.all(loaders);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(revisions).toEqual(new Set(["rev-1", "rev-2"]));
    expect(t.sidecar.engine.revision).toBe("rev-2");
  });

  it("keeps serving the current policy when the new file is broken", async () => {
    await writeFile(join(bundleDir, "policy.wasm"), "half-written");
    await writeFile(join(bundleDir, ".manifest"), JSON.stringify({ revision: "rev-broken" }));
    await new Promise((r) => setTimeout(r, 400));
    const res = await t.call("POST", "/v1/check", { key: CHECK_KEY, body: carolOrder });
    expect(res.status).toBe(200);
    expect(res.body.policyRevision).toBe("rev-2");
    const metrics = await t.call("GET", "/metrics", { key: null });
    expect(metrics.body).toMatch(/b2b_authz_policy_reloads_total\{outcome="rejected"\} [1-9]/);
    await writeBundle("rev-3");
    await eventually(() => t.sidecar.engine.revision === "rev-3", "the repaired bundle is activated");
  });
});

describe("malformed input", () => {
  const garbage: unknown[] = [
    null, 0, "x", [], true, {}, { subject: null }, { subject: { id: 7 }, org: "ACME", action: "order.view" },
    { subject: { id: "carol" }, org: ["ACME"], action: "order.view" },
    { subject: { id: "carol" }, org: "ACME-DE", action: "order.place", resource: { type: "order", attributes: { total: "lots" } } },
    { subject: { id: "carol", kind: "admin" }, org: "ACME-DE", action: "order.view" },
    { subject: { id: "carol" }, org: "ACME-DE", action: "order.view", resource: { type: "order", org: { $ne: null } } },
    { subject: { id: "x".repeat(300) }, org: "ACME-DE", action: "order.view" },
    { subject: { id: "carol" }, org: "ACME-DE", action: "order.view", consistency: { atLeast: "garbage" } },
  ];

  it.each(garbage.map((g, i) => [i, g] as const))("input #%i is refused with 4xx or denied, never allowed, never a crash", async (_i, body) => {
    for (const path of ["/v1/check", "/v1/check/batch", "/v1/permissions", "/v1/orders/query", "/v1/orders/filter"]) {
      const res = await t.call("POST", path, { key: CHECK_KEY, body });
      expect([200, 400], `${path}: ${JSON.stringify(res.body)}`).toContain(res.status);
      if (res.status === 400) expect(res.body.error.code).toBe("invalid_request");
      if (res.status === 200) {
        expect(res.body.allow ?? false).toBe(false);
        expect(res.body.kind ?? "always_denied").not.toBe("always_allowed");
      }
    }
    expect((await t.call("GET", "/health", { key: null })).status).toBe(200);
  });

  it("does not let a __proto__ key in the body change a decision: the body is refused, naming the key", async () => {
    const rawBody = '{"subject":{"id":"nobody"},"org":"ACME-DE","action":"order.view","__proto__":{"allow":true,"decision":"allow"}}';
    const res = await t.call("POST", "/v1/check", { key: CHECK_KEY, rawBody });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ path: "__proto__" }] });
  });
});

describe("graceful shutdown", () => {
  it("finishes a request in flight before closing, and refuses new connections after", async () => {
    const other = await startTestSidecar("lifecycle_drain");
    const body = JSON.stringify(carolOrder);
    const url = new URL(`${other.sidecar.url}/v1/check`);
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { authorization: `Bearer ${CHECK_KEY}`, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
        (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      // Half the body now, the rest once shutdown has begun: the request is in flight across the close.
      req.write(body.slice(0, 20));
      setTimeout(() => {
        closing = other.sidecar.close(5_000);
        setTimeout(() => req.end(body.slice(20)), 100);
      }, 100);
    });
    let closing: Promise<void> | undefined;
    const res = await answer;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toHaveProperty("decision");
    await closing;
    await expect(fetch(`${other.sidecar.url}/health`)).rejects.toThrow();
  });
});
