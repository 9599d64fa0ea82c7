import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AuthzClient, AuthzClientError, MAX_BATCH_CHECKS } from "../../../clients/node/src/index.ts";
import { demoDocument } from "../../../src/store/demo-graph.ts";
import { ADMIN_KEY, startTestSidecar, type TestSidecar } from "../../http/sidecar-test-support.ts";
import { closedPort, startSidecarProxy, type ProxyAction, type SidecarProxy } from "./sidecar-proxy.ts";

/**
 * The typed client against a real sidecar (real HTTP, PostgreSQL, Redis, the demo graph), with a real node:http
 * proxy in front of it where a test needs the sidecar to answer 503, drop the connection or never answer.
 */
let t: TestSidecar;
const proxies: SidecarProxy[] = [];

beforeAll(async () => {
  t = await startTestSidecar("client_node");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument })).status).toBe(200);
});
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()));
});
afterAll(async () => {
  await t?.sidecar.close();
});

async function proxy(plan: (n: number) => ProxyAction): Promise<SidecarProxy> {
  const started = await startSidecarProxy(t.sidecar.url, plan);
  proxies.push(started);
  return started;
}

const client = (baseUrl: string, options: Partial<ConstructorParameters<typeof AuthzClient>[0]> = {}) =>
  new AuthzClient({ baseUrl, apiKey: ADMIN_KEY, actor: "staff:ops-1", retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options });

const carolPlaces = (total: number) => ({
  subject: { id: "carol" },
  org: "ACME-DE",
  action: "order.place",
  resource: { type: "order", org: "ACME-DE", buyer: "carol", attributes: { total } },
});

async function rejection(promise: Promise<unknown>): Promise<AuthzClientError> {
  const thrown = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(thrown).toBeInstanceOf(AuthzClientError);
  return thrown as AuthzClientError;
}

describe("decisions", () => {
  it("answers the sidecar's decision, typed, with the policy's reasons", async () => {
    const c = client(t.sidecar.url);
    const allowed = await c.check(carolPlaces(100));
    expect(allowed).toMatchObject({ decision: "allow", allow: true });
    const over = await c.check(carolPlaces(900));
    expect(over.allow).toBe(false);
    expect(over.reasons.length).toBeGreaterThan(0);
  });

  it("names the sidecar's code and fields for bad input, without retrying it", async () => {
    const p = await proxy(() => "forward");
    const error = await rejection(client(p.url).check({ ...carolPlaces(1), subject: { id: "" } }));
    expect(error).toMatchObject({ code: "invalid_request", status: 400, attempts: 1 });
    expect(error.details.map((d) => d.path)).toContain("subject.id");
    expect(p.seen).toHaveLength(1);
  });

  it("retries a 503 with backoff and answers once the sidecar can decide", async () => {
    const p = await proxy((n) => (n <= 2 ? "503" : "forward"));
    const decision = await client(p.url, { retry: { attempts: 3, baseDelayMs: 5 } }).check(carolPlaces(100));
    expect(decision.allow).toBe(true);
    expect(p.seen).toHaveLength(3);
  });

  it("fails closed with `unavailable` when every attempt is a 503", async () => {
    const p = await proxy(() => "503");
    const error = await rejection(client(p.url, { retry: { attempts: 4, baseDelayMs: 5 } }).check(carolPlaces(100)));
    expect(error).toMatchObject({ code: "unavailable", status: 503, attempts: 4 });
    expect(error.details[0]?.message).toBe("graph_unavailable");
    expect(p.seen).toHaveLength(4);
  });

  it("retries a dropped connection", async () => {
    const p = await proxy((n) => (n === 1 ? "reset" : "forward"));
    expect((await client(p.url).check(carolPlaces(100))).allow).toBe(true);
    expect(p.seen).toHaveLength(2);
  });

  it("fails closed with `connection_failed` when nothing listens (a sidecar that is down)", async () => {
    const started = Date.now();
    const error = await rejection(client(await closedPort(), { retry: { attempts: 3, baseDelayMs: 5 } }).check(carolPlaces(100)));
    expect(error).toMatchObject({ code: "connection_failed", attempts: 3 });
    expect(error.cause).toBeDefined();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("fails closed with `timeout` when the sidecar never answers", async () => {
    const p = await proxy(() => "hang");
    const error = await rejection(client(p.url, { timeoutMs: 150 }).check(carolPlaces(100)));
    expect(error).toMatchObject({ code: "timeout", attempts: 1 });
    expect(p.seen).toHaveLength(1);
  });

  it("refuses an answer that is not a decision instead of reading it as one", async () => {
    const { createServer } = await import("node:http");
    const liar = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ decision: "deny", allow: true, reasons: [], decisionId: "x", policyRevision: "x", graphToken: "x" }));
    });
    await new Promise<void>((resolve) => liar.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = liar.address() as { port: number };
      const error = await rejection(client(`http://127.0.0.1:${port}`).check(carolPlaces(100)));
      expect(error.code).toBe("invalid_response");
    } finally {
      await new Promise<void>((resolve) => liar.close(() => resolve()));
    }
  });
});

describe("batches", () => {
  it("splits past 1000 checks and reassembles the results in order", async () => {
    const p = await proxy(() => "forward");
    const totals = Array.from({ length: 2 * MAX_BATCH_CHECKS + 345 }, (_, i) => (i % 7 === 0 ? 900 : 10 + (i % 400)));
    const checks = totals.map((total) => ({ action: "order.place", resource: carolPlaces(total).resource }));
    const answer = await client(p.url).checkBatch({ subject: { id: "carol" }, org: "ACME-DE", checks });
    expect(p.seen.map((s) => s.body.checks.length)).toEqual([1000, 1000, 345]);
    expect(answer.results).toHaveLength(checks.length);
    expect(answer.decisionIds).toHaveLength(3);
    // carol may place up to her 500 override; each result sits where its check was.
    expect(answer.results.map((r) => r.allow)).toEqual(totals.map((total) => total <= 500));
    const single = await client(t.sidecar.url).check(carolPlaces(totals[2001]!));
    expect(answer.results[2001]).toMatchObject({ decision: single.decision, allow: single.allow });
  });

  it("retries a part that met a 503 and fails the whole batch when a part cannot be had", async () => {
    const retried = await proxy((n) => (n === 2 ? "503" : "forward"));
    const checks = Array.from({ length: 1500 }, () => ({ action: "order.place", resource: carolPlaces(10).resource }));
    const answer = await client(retried.url).checkBatch({ subject: { id: "carol" }, org: "ACME-DE", checks });
    expect(answer.results.every((r) => r.allow)).toBe(true);
    expect(retried.seen).toHaveLength(3);

    const down = await proxy((n) => (n === 1 ? "forward" : "503"));
    const error = await rejection(client(down.url, { retry: { attempts: 2 } }).checkBatch({ subject: { id: "carol" }, org: "ACME-DE", checks }));
    expect(error.code).toBe("unavailable");
  });
});

describe("writes", () => {
  it("are sent once: a 503 or a dropped connection is not retried", async () => {
    const p = await proxy(() => "503");
    const c = client(p.url, { retry: { attempts: 5 } });
    const error = await rejection(c.setMembership("ACME-FR", "bob", { roles: ["viewer"] }));
    expect(error).toMatchObject({ status: 503, attempts: 1 });
    expect(p.seen).toHaveLength(1);

    const reset = await proxy(() => "reset");
    const dropped = await rejection(client(reset.url, { retry: { attempts: 5 } }).upsertUser("zed", { email: "zed@acme.test" }));
    expect(dropped).toMatchObject({ code: "connection_failed", attempts: 1 });
    expect(reset.seen).toHaveLength(1);
    expect(c.graphToken).toBeUndefined();
  });

  it("need an actor: without one a write rejects and nothing is sent", async () => {
    const p = await proxy(() => "forward");
    const anonymous = new AuthzClient({ baseUrl: p.url, apiKey: ADMIN_KEY });
    const error = await rejection(anonymous.upsertUser("zed", { email: "zed@acme.test" }));
    expect(error).toMatchObject({ code: "invalid_request", details: [{ path: "actor", message: "Required" }] });
    expect(p.seen).toHaveLength(0);
  });

  it("carry their graphToken into the following decisions (read your writes)", async () => {
    const p = await proxy(() => "forward");
    const c = client(p.url);
    const bobAtDe = { subject: { id: "bob" }, org: "ACME-DE", action: "order.place" };
    expect((await c.check(bobAtDe)).allow).toBe(false);
    expect(p.seen.at(-1)?.body.consistency).toBeUndefined();

    const granted = await c.setMembership("ACME-DE", "bob", { roles: ["buyer"], inheritable: false });
    expect(c.graphToken).toBe(granted.graphToken);
    expect((await c.check(bobAtDe)).allow).toBe(true);
    expect(p.seen.at(-1)?.body.consistency).toEqual({ atLeast: granted.graphToken });

    await c.removeMembership("ACME-DE", "bob");
    await c.upsertUser("zoe", { email: "zoe@acme.test" });
    // Two more writes, each its own token: the carried one covers both, so the revocation is never read stale.
    const decision = await c.check(bobAtDe);
    expect(decision.allow).toBe(false);
    expect(p.seen.at(-1)?.body.consistency).toEqual({ atLeast: c.graphToken });

    // A call that names its own consistency keeps it.
    await c.check({ ...bobAtDe, consistency: { atLeast: granted.graphToken } });
    expect(p.seen.at(-1)?.body.consistency).toEqual({ atLeast: granted.graphToken });
    // The merged token is one the sidecar accepts on every decision endpoint.
    const query = await c.ordersQuery({ subject: { id: "alice" }, org: "ACME" });
    expect(query.kind).toBe("conditional");
    expect(p.seen.at(-1)?.body.consistency).toEqual({ atLeast: c.graphToken });
  });
});

describe("order visibility", () => {
  it("answers the filter tree, checked, and splits order lists past 10000", async () => {
    const p = await proxy(() => "forward");
    const c = client(p.url);
    const query = await c.ordersQuery({ subject: { id: "bob" }, org: "ACME-EU" });
    expect(query.filter).toEqual({ or: expect.any(Array) });
    const orders = Array.from({ length: 12_001 }, (_, i) => ({ id: `o${i}`, org: i % 2 ? "ACME-EU" : "GLOBEX", buyer: "bob" }));
    const visible = await c.visibleOrders({ subject: { id: "bob" }, org: "ACME-EU", orders });
    expect(p.seen.slice(1).map((s) => s.body.orders.length)).toEqual([10_000, 2001]);
    expect(visible).toEqual(orders.filter((_, i) => i % 2).map((o) => o.id));
  });
});
