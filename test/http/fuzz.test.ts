import { Agent, request } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { ADMIN_KEY, CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The HTTP fuzzer: generated malformed and hostile requests against every operation of /openapi.json, over real
 * HTTP with PostgreSQL and Redis. Every request starts from a body that would be allowed (alice is org_admin of
 * ACME) and is broken in at least one way; so whatever comes back, it is never a 5xx, never a grant, and the
 * process stays up with bounded memory.
 *
 * CI runs FUZZ_RUNS (default 3,000) requests; TEST_LONG=1 runs 100,000 and prints the count and the 5xx count.
 */
const LONG = process.env.TEST_LONG === "1";
const RUNS = LONG ? 100_000 : Number(process.env.FUZZ_RUNS ?? 3_000);
/** The resident memory of this test process (vitest, the sidecar and its caches) never passes this. */
const RSS_BOUND_BYTES = 1024 * 1024 * 1024;

let t: TestSidecar;
let operations: { method: string; path: string; scope: string | null }[] = [];

beforeAll(async () => {
  t = await startTestSidecar("input_fuzz");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument })).status).toBe(200);
  const { body } = await t.call("GET", "/openapi.json", { key: null });
  operations = Object.entries(body.paths as Record<string, Record<string, { "x-scope"?: string }>>).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, scope: op["x-scope"] ?? null })),
  );
});
afterAll(async () => {
  await t?.sidecar.close();
});

/** A body every decision endpoint accepts (zod drops the fields a schema does not name) and that grants. */
const grantingBody = () => ({
  subject: { id: "alice" },
  org: "ACME",
  action: "order.view",
  resource: { type: "order", id: "o1", org: "ACME", buyer: "alice", attributes: { total: 10 } },
  checks: [{ action: "order.view" }, { action: "order.view", resource: { type: "order", org: "ACME-DE" } }],
  orders: [{ id: "o1", org: "ACME", buyer: "alice" }],
});

const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;
const latin1 = (text: string) => Buffer.from(text, "utf8").toString("latin1");

/** Values that are never a known id: lookalikes of real ones, prototype names, wrong types, bad text. */
const hostileId = fc.oneof(
  fc.constantFrom<unknown>(
    "alice\u0000", "\u0000", "ali\ud800ce", "\udfff", "ALICE", "alice ", " alice", "alice\u200b", "__proto__", "constructor",
    "prototype", "x".repeat(257), "", 7, null, true, [], ["alice"], { id: "alice" }, { $ne: null }, "alice\n", "../alice", "%00",
  ),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => `~${s}`),
);

/** A mutation of a field only some operations read says so: elsewhere the body also names an unknown subject. */
type Mutation =
  | { kind: "json"; apply: (body: Record<string, any>) => void; applies?: (path: string) => boolean }
  | { kind: "text"; apply: (text: string) => string | Buffer };

const readsAction = (path: string) => /^\/v1\/check(\/batch)?(\?|$)/.test(path) || /^\/v1\/data\/b2b\/(check\/decision|batch\/results)(\?|$)/.test(path);
const readsChecks = (path: string) => /^\/v1\/check\/batch(\?|$)/.test(path) || /^\/v1\/data\/b2b\/batch\/results(\?|$)/.test(path);

/** Each mutation makes the body invalid, or names no real subject, org or action: none may answer a grant. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  hostileId.map((v): Mutation => ({ kind: "json", apply: (b) => void (b.subject = { id: v }) })),
  hostileId.map((v): Mutation => ({ kind: "json", apply: (b) => ((b.org = v), (b.resource.org = v), (b.orders[0].org = v), b.checks.forEach((c: any) => (c.resource = { type: "order", org: v }))) })),
  fc.constantFrom<unknown>("order.teleport", "ORDER.VIEW", "order.view\u0000", "order.\ud800", "", 1, null, ["order.view"], "__proto__").map(
    (v): Mutation => ({ kind: "json", apply: (b) => ((b.action = v), b.checks.forEach((c: any) => (c.action = v))), applies: readsAction }),
  ),
  fc.constantFrom<unknown>("lots", -1, null, [], { $gt: 0 }, Number.MAX_VALUE * -1).map(
    (v): Mutation => ({
      kind: "json",
      apply: (b) => ((b.resource.attributes.total = v), b.checks.forEach((c: any) => (c.resource = { type: "order", attributes: { total: v } }))),
      applies: readsAction,
    }),
  ),
  fc.constantFrom<unknown>("garbage", "g1.", `g1.${"A".repeat(1000)}`, 5, { atLeast: "\u0000" }).map(
    (v): Mutation => ({ kind: "json", apply: (b) => void (b.consistency = typeof v === "object" ? v : { atLeast: v }) }),
  ),
  fc.constantFrom<unknown>(null, 0, "x", [], true).map((v): Mutation => ({ kind: "json", apply: (b) => void (b.subject = v) })),
  fc.constant<Mutation>({ kind: "json", apply: (b) => void (b.checks = Array.from({ length: 1001 }, () => ({ action: "order.view" }))), applies: readsChecks }),
  fc.constant<Mutation>({ kind: "json", apply: (b) => void (b.checks = []), applies: readsChecks }),
  fc.constant<Mutation>({ kind: "json", apply: (b) => void (b.subject = { id: "x".repeat(1536 * 1024) }) }),
  fc.constant<Mutation>({ kind: "json", apply: (b) => void (b.subject = { id: "alice", kind: "root" }) }),
  // Text-level damage to the granting body.
  fc.integer({ min: 65, max: 20_000 }).map((n): Mutation => ({ kind: "text", apply: (s) => s.replaceAll('"attributes":{', `"attributes":{"deep":${deep(n)},`) })),
  fc.nat().map((n): Mutation => ({ kind: "text", apply: (s) => s.slice(0, n % s.length) })),
  fc.constant<Mutation>({ kind: "text", apply: (s) => s.replaceAll('"subject":{"id":"alice"}', '"subject":{"id":"alice"},"subject":{"id":"mallory"}') }),
  fc.constant<Mutation>({ kind: "text", apply: (s) => s.replaceAll('"id":"alice"', '"id":"ali\\u0000ce"') }),
  fc.constant<Mutation>({ kind: "text", apply: (s) => s.replaceAll('"id":"alice"', '"id":"alice\\ud800"').replaceAll('"action":"order.view"', '"action":"order.vi\\udc00ew"') }),
  fc.constant<Mutation>({ kind: "text", apply: (s) => s.replaceAll('"subject":{', '"subject":{"__proto__":{"id":"x"},').replaceAll('"id":"alice"', '"id":"mallory"') }),
  fc.constant<Mutation>({ kind: "text", apply: (s) => s.replaceAll('"subject":{"id":"alice"}', '"subject":{"id":"mallory","\\u005f_proto__":{"id":"alice"}}') }),
  fc.constant<Mutation>({ kind: "text", apply: (s) => `{"__proto__":{"allow":true,"decision":"allow"},${s.slice(1).replaceAll('"alice"', '"mallory"')}` }),
  fc.constant<Mutation>({
    kind: "text",
    apply: (s) => {
      const bad = Buffer.from([0xed, 0xa0, 0x80, 0xff, 0xc0, 0xaf]);
      return Buffer.concat(s.split("alice").flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [bad, Buffer.from(part)])));
    },
  }),
  fc.jsonValue({ maxDepth: 6 }).map((v): Mutation => ({ kind: "text", apply: () => JSON.stringify(v) ?? "null" })),
  fc.uint8Array({ maxLength: 200 }).map((bytes): Mutation => ({ kind: "text", apply: () => Buffer.from(bytes) })),
  fc.string({ unit: "grapheme-composite", maxLength: 100 }).map((v): Mutation => ({ kind: "text", apply: () => v })),
  fc.constant<Mutation>({ kind: "text", apply: () => `[${"[".repeat(100_000)}` }),
  fc.constant<Mutation>({ kind: "text", apply: () => `{${Array.from({ length: 50_000 }, (_, i) => `"k${i}":${i}`).join(",")}}` }),
);

/** Header damage: each makes the request one the sidecar must refuse. */
const headerBreak = fc.oneof(
  fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/json; charset=latin1", "application/xml", "json", "application/json+", ";;;").map(
    (type) => ({ "content-type": type }),
  ),
  fc.constantFrom("", "Bearer", "Bearer ", "Bearer not-a-key", `Basic ${ADMIN_KEY}`, `Bearer ${ADMIN_KEY} extra`, latin1(`Bearer ${ADMIN_KEY}ü`), `Bearer ${ADMIN_KEY}\t\t`.slice(0, -2) + "x").map(
    (authorization) => ({ authorization }),
  ),
);

const goodContentType = fc.constantFrom<string | undefined>(undefined, "application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.opa+json");
const actor = fc.constantFrom<string | undefined>(
  undefined, "staff:ops-1", "user:alice", "user:carol", "user:", "staff:", "robot:alice", "user:alice bob", latin1("user:jürgen"), "user:j\u00fcrgen",
  `user:${"x".repeat(300)}`, "user:__proto__", "staff:constructor", latin1("staff:ops-1\u{1f600}"), "user:alice%00",
);
const segment = fc.oneof(
  fc.constantFrom("ACME", "ACME-DE", "carol", "gina", "buyer", "b2b/check/decision", "b2b/batch/results", "b2b/orders/scope", "b2b/permissions/effective", "b2b/admin/decision"),
  fc.constantFrom("%00", "ACME%00", "%ED%A0%80", "%FF", "%", "%E0%A4%A", "..", "%2F", "%2e%2e", "__proto__", "constructor", "prototype", "x".repeat(300), "%C0%AF", "a%20b", "b2b/%ED%A0%80/x"),
  fc.string({ unit: "binary", maxLength: 12 }).map((s) => {
    try {
      return encodeURIComponent(s) || "x";
    } catch {
      return "%ED%B0%80";
    }
  }),
);
const query = fc.constantFrom("", "?org=ACME", "?org=%00", "?org=%ED%A0%80", "?tree=ACME", "?tree=%00", "?org=ACME&org=GLOBEX", "?tree[]=x", "?org=__proto__", "?%00=x", "?__proto__[allow]=1");

const request$ = fc.record({
  op: fc.nat(),
  segments: fc.array(segment, { minLength: 2, maxLength: 2 }),
  query,
  mutations: fc.array(mutation, { minLength: 0, maxLength: 3 }),
  headerBreaks: fc.array(headerBreak, { minLength: 0, maxLength: 2 }),
  contentType: goodContentType,
  key: fc.constantFrom(ADMIN_KEY, CHECK_KEY),
  actor,
}).filter((r) => r.mutations.length + r.headerBreaks.length > 0);

type Generated = typeof request$ extends fc.Arbitrary<infer T> ? T : never;

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function send(method: string, path: string, headers: Record<string, string | number>, body: Buffer | undefined): Promise<{ status: number; text: string }> {
  const url = new URL(t.sidecar.url);
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: url.hostname, port: url.port, path, method, headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer within 15 s")));
    req.on("error", reject);
    req.end(body);
  });
}

function build(r: Generated) {
  const op = operations[r.op % operations.length]!;
  let i = 0;
  const path = op.path.replace(/\{\w+\}/g, () => r.segments[i++ % r.segments.length]!) + r.query;
  const body: Record<string, any> = grantingBody();
  for (const m of r.mutations) if (m.kind === "json") m.apply(body);
  if (r.mutations.some((m) => m.kind === "json" && m.applies && !m.applies(path))) body.subject = { id: "mallory" };
  let payload: string | Buffer = JSON.stringify({ ...body, input: structuredClone(body) });
  for (const m of r.mutations) if (m.kind === "text") payload = m.apply(typeof payload === "string" ? payload : payload.toString("latin1"));
  const bytes = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
  const headers: Record<string, string | number> = { authorization: `Bearer ${r.key}`, "content-length": bytes.length };
  if (r.contentType !== undefined) headers["content-type"] = r.contentType;
  if (r.actor !== undefined) headers["x-actor"] = r.actor;
  for (const h of r.headerBreaks) Object.assign(headers, h);
  return { op, path, headers, body: bytes };
}

/** Does an answer grant anything (a decision allow, an order scope, visible orders, effective roles)? */
function grants(answer: any): boolean {
  if (answer === null || typeof answer !== "object") return false;
  const result = answer.result ?? answer;
  if (result === null || typeof result !== "object") return false;
  return (
    result.allow === true ||
    result.decision === "allow" ||
    result.kind === "always_allowed" ||
    result.kind === "conditional" ||
    (Array.isArray(result.results) && result.results.some((d: any) => d?.allow === true || d?.decision === "allow")) ||
    (Array.isArray(result.visible) && result.visible.length > 0) ||
    (Array.isArray(result.roles) && result.roles.length > 0)
  );
}

describe("HTTP fuzzing across every endpoint", () => {
  it(`answers ${RUNS} malformed or hostile requests with no 5xx and no grant, and stays up with bounded memory`, async () => {
    expect(operations.length).toBeGreaterThan(15);
    let sent = 0;
    let serverErrors = 0;
    let maxRss = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request$, async (generated) => {
        const { op, path, headers, body } = build(generated);
        const res = await send(op.method, path, headers, body);
        sent++;
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) serverErrors++;
        if (sent % 250 === 0) maxRss = Math.max(maxRss, process.memoryUsage().rss);
        expect(res.status, `${op.method} ${path}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
        let answer: unknown;
        try {
          answer = JSON.parse(res.text);
        } catch {
          answer = undefined;
        }
        // Every refusal is in the API's error shape (only /metrics answers text).
        if (res.status >= 400) expect((answer as any)?.error?.code, `${op.method} ${path}: ${res.text.slice(0, 300)}`).toEqual(expect.any(String));
        if (op.scope === "check" && res.status < 300) expect(grants(answer), `${op.method} ${path}: ${res.text.slice(0, 300)}`).toBe(false);
      }),
      { numRuns: RUNS, endOnFailure: !LONG, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined },
    );
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
    const health = await t.call("GET", "/health", { key: null });
    if (LONG || process.env.FUZZ_REPORT) {
      console.log(`fuzz: ${sent} requests over ${operations.length} operations, ${serverErrors} 5xx, max RSS ${Math.round(maxRss / 2 ** 20)} MiB, statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    }
    expect(health.status).toBe(200);
    expect(serverErrors).toBe(0);
    expect(maxRss).toBeLessThan(RSS_BOUND_BYTES);
  }, LONG ? 3_600_000 : 120_000);
});
