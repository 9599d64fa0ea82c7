import { request } from "node:http";
import { connect } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { eventually } from "../store/graph-test-support.ts";
import { captureLogLines, ADMIN_KEY, CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * Bad input over real HTTP: every case answers 4xx naming the field (or the problem), never 5xx, never an allow,
 * and never reaches the Wasm or the database (README, API: "Bad input").
 */
const { lines, destination: capture } = captureLogLines();

let t: TestSidecar;
const staff = "staff:ops-1";

beforeAll(async () => {
  t = await startTestSidecar("hostile_input", { LOG_LEVEL: "info" }, capture);
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  await t.sidecar.graph.putStaff("jürgen", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: staff, body: demoDocument })).status).toBe(200);
});
afterAll(async () => {
  await t?.sidecar.close();
});

const aliceView = { subject: { id: "alice" }, org: "ACME", action: "order.view" };
const deep = (levels: number, leaf = "1") => `${'{"a":'.repeat(levels)}${leaf}${"}".repeat(levels)}`;
const paths = (body: any): string[] => (body?.error?.details ?? []).map((d: { path: string }) => d.path);

/** A raw request with exact header bytes (node:http writes header strings as latin1 bytes). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string | number>,
  body?: string | Buffer,
): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const url = new URL(`${t.sidecar.url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString("utf8")));
      res.on("end", () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // stays text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on("error", reject);
    req.end(body);
  });
}
const utf8Header = (text: string) => Buffer.from(text, "utf8").toString("latin1");

/** Sends the headers of a request and never its body: resolves with the answer the sidecar gives without it. */
function headersOnly(method: string, path: string, headers: Record<string, string | number>): Promise<{ status: number; connection: unknown }> {
  const url = new URL(`${t.sidecar.url}${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
      req.destroy();
    });
    req.on("error", (error) => (req.destroyed ? undefined : reject(error)));
    req.flushHeaders();
  });
}

describe("JSON nested 5,000 deep", () => {
  const cases: [string, string, string, string?][] = [
    ["a check's resource.attributes", "/v1/check", `{"subject":{"id":"alice"},"org":"ACME","action":"order.view","resource":{"type":"order","attributes":${deep(5000)}}}`],
    ["a batch", "/v1/check/batch", `{"subject":{"id":"alice"},"org":"ACME","checks":[{"action":"order.view","resource":{"type":"order","attributes":${deep(5000)}}}]}`],
    ["the Data API", "/v1/data/b2b/check/decision", `{"input":{"subject":{"id":"alice"},"org":"ACME","action":"order.view","resource":{"type":"o","attributes":${deep(5000)}}}}`],
    ["an import", "/v1/import", `{"orgs":[{"id":"DEEP","name":"Deep","attributes":${deep(5000)}}]}`, staff],
  ];
  it.each(cases)("in %s answers 400 naming the depth", async (_what, path, rawBody, actor) => {
    const res = await t.call("POST", path, { rawBody, key: ADMIN_KEY, ...(actor ? { actor } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", details: [{ path: "(body)", message: expect.stringMatching(/nested deeper than \d+/) }] });
  });

  it("in org attributes (PATCH) answers 400 too", async () => {
    const res = await t.call("PATCH", "/v1/orgs/ACME-US", { rawBody: `{"attributes":${deep(5000)}}`, actor: staff });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("still accepts ordinary nesting", async () => {
    const res = await t.call("POST", "/v1/check", { rawBody: JSON.stringify({ ...aliceView, resource: { type: "order", attributes: JSON.parse(deep(20)) } }) });
    expect(res.status).toBe(200);
  });
});

describe("NUL bytes in ids", () => {
  it.each([
    ["subject.id", { ...aliceView, subject: { id: "alice\u0000" } }],
    ["org", { ...aliceView, org: "ACME\u0000" }],
    ["resource.org", { ...aliceView, resource: { type: "order", org: "\u0000ACME" } }],
  ])("in %s of a check answer 400 naming it", async (path, body) => {
    const res = await t.call("POST", "/v1/check", { body });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(paths(res.body)).toContain(path);
  });

  it("in a management path answers 400 naming the path parameter", async () => {
    const org = await t.call("GET", "/v1/orgs/ACME%00", { actor: staff });
    expect(org.status).toBe(400);
    expect(paths(org.body)).toEqual(["path.id"]);
    const member = await t.call("PUT", "/v1/orgs/ACME/members/gina%00", { actor: staff, body: { roles: ["buyer"] } });
    expect(member.status).toBe(400);
    expect(paths(member.body)).toEqual(["path.userId"]);
  });

  it("in a query parameter answers 400 naming it", async () => {
    const res = await t.call("GET", "/v1/users/alice?org=ACME%00", { actor: "user:alice" });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["query.org"]);
  });

  it("in an import answers 400 naming the field", async () => {
    const res = await t.call("POST", "/v1/import", { actor: staff, body: { users: [{ id: "nul\u0000user" }] } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain("users.0.id");
  });

  it("in a membership body answers 400 naming the field", async () => {
    const res = await t.call("PUT", "/v1/orgs/ACME/members/gina", { actor: staff, body: { roles: ["buy\u0000er"] } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain("roles.0");
  });
});

describe("lone UTF-16 surrogates", () => {
  it("in a check answer 400 naming the field", async () => {
    const res = await t.call("POST", "/v1/check", { rawBody: '{"subject":{"id":"al\\ud800ice"},"org":"ACME","action":"order.view"}' });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(paths(res.body)).toContain("subject.id");
  });

  it("in any string (an attribute) answer 400 naming it", async () => {
    const res = await t.call("POST", "/v1/check", {
      rawBody: '{"subject":{"id":"alice"},"org":"ACME","action":"order.view","resource":{"type":"order","attributes":{"note":"\\udfff"}}}',
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain("resource.attributes.note");
  });

  it("in one batch item answer 400 naming that item's field", async () => {
    const checks = [0, 1, 2].map(() => '{"action":"order.view"}');
    checks.push('{"action":"order.view","resource":{"type":"order","id":"o\\ud83d"}}');
    const res = await t.call("POST", "/v1/check/batch", { rawBody: `{"subject":{"id":"alice"},"org":"ACME","checks":[${checks.join(",")}]}` });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["checks.3.resource.id"]);
  });

  it("in an import answer 400 naming the field", async () => {
    const res = await t.call("POST", "/v1/import", { actor: staff, rawBody: '{"orgs":[{"id":"SUR","name":"\\ud800"}]}' });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain("orgs.0.name");
  });

  it("as invalid UTF-8 bytes answer 400", async () => {
    const body = Buffer.concat([Buffer.from('{"subject":{"id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"},"org":"ACME","action":"order.view"}')]);
    const res = await raw("POST", "/v1/check", { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json", "content-length": body.length }, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });
});

describe("path segments", () => {
  it.each([
    ["/v1/orgs/%ED%A0%80", "path.id"],
    ["/v1/orgs/ACME/members/%E0%A4%A", "path.userId"],
    ["/v1/users/%FF", "path.id"],
  ])("%s answers 400 naming the path parameter", async (path, name) => {
    const res = await t.call("GET", path, { actor: staff });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual([name]);
  });

  it("an undecodable Data API path answers 400", async () => {
    const res = await t.call("POST", "/v1/data/b2b/%ED%A0%80", { body: { input: aliceView } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["path.path"]);
  });
});

describe("X-Actor", () => {
  it("is read as UTF-8", async () => {
    const res = await raw("GET", "/v1/orgs/ACME", { authorization: `Bearer ${ADMIN_KEY}`, "x-actor": utf8Header("staff:jürgen") });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.id).toBe("ACME");
  });

  it("that is not UTF-8 answers 400 naming the header", async () => {
    const res = await raw("GET", "/v1/orgs/ACME", { authorization: `Bearer ${ADMIN_KEY}`, "x-actor": "staff:j\u00fcrgen" });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["headers.x-actor"]);
  });
});

describe("requests Node's HTTP parser refuses", () => {
  /** Bytes straight onto a socket: no HTTP client would send these. */
  function rawSocket(bytes: string): Promise<string> {
    const url = new URL(t.sidecar.url);
    return new Promise((resolve, reject) => {
      let out = "";
      const socket = connect(Number(url.port), url.hostname, () => socket.write(Buffer.from(bytes, "latin1")));
      socket.on("data", (d: Buffer) => (out += d.toString("utf8")));
      socket.on("close", () => resolve(out));
      socket.on("error", reject);
    });
  }

  it.each([
    ["a NUL in X-Actor", `GET /v1/orgs/ACME HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_KEY}\r\nX-Actor: staff:ops\u0000-1\r\n\r\n`],
    ["a NUL in the path", "GET /v1/orgs/AC\u0000ME HTTP/1.1\r\nHost: x\r\n\r\n"],
    ["a broken request line", "GARBAGE\r\n\r\n"],
  ])("%s answers 400 in the error shape", async (_what, bytes) => {
    const answer = await rawSocket(bytes);
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4));
    expect(body.error).toMatchObject({ code: "invalid_request", details: [{ path: "(request)" }] });
  });
});

describe("content types", () => {
  it.each([
    ["/v1/check", undefined],
    ["/v1/check/batch", undefined],
    ["/v1/data/b2b/check/decision", undefined],
    ["/v1/import", staff],
    ["/v1/orgs", staff],
  ])("text/plain on POST %s answers 415", async (path, actor) => {
    const res = await t.call("POST", path, { body: { input: aliceView, ...aliceView }, headers: { "content-type": "text/plain" }, ...(actor ? { actor } : {}) });
    expect(res.status).toBe(415);
    expect(res.body.error).toMatchObject({ code: "unsupported_media_type", details: [{ path: "headers.content-type" }] });
  });

  it("text/plain on PUT a user answers 415", async () => {
    const res = await t.call("PUT", "/v1/users/zed", { body: { status: "active" }, actor: staff, headers: { "content-type": "text/plain" } });
    expect(res.status).toBe(415);
  });

  it("a JSON charset other than UTF-8 answers 415", async () => {
    const res = await t.call("POST", "/v1/check", { body: aliceView, headers: { "content-type": "application/json; charset=latin1" } });
    expect(res.status).toBe(415);
  });

  it.each(["application/json; charset=utf-8", "application/json;charset=UTF-8", "application/vnd.opa+json", "Application/JSON"])(
    "%s is JSON",
    async (type) => {
      const res = await t.call("POST", "/v1/check", { body: aliceView, headers: { "content-type": type } });
      expect(res.status).toBe(200);
      expect(res.body.allow).toBe(true);
    },
  );

  it("a missing content-type is read as JSON (OPA clients), on the fast path and the Data API", async () => {
    const body = JSON.stringify(aliceView);
    const check = await raw("POST", "/v1/check", { authorization: `Bearer ${ADMIN_KEY}`, "content-length": Buffer.byteLength(body) }, body);
    expect(check.status).toBe(200);
    const data = JSON.stringify({ input: aliceView });
    const viaData = await raw("POST", "/v1/data/b2b/check/decision", { authorization: `Bearer ${ADMIN_KEY}`, "content-length": Buffer.byteLength(data) }, data);
    expect(viaData.status).toBe(200);
    expect(viaData.body.result.allow).toBe(true);
  });
});

describe("a body declared over the limit", () => {
  it.each([
    ["PUT", "/v1/users/zed"],
    ["POST", "/v1/check"],
    ["POST", "/v1/import"],
  ])("on %s %s answers 413 before any of it is sent", async (method, path) => {
    // The body never comes, so only an answer from Content-Length ends this.
    const answer = await headersOnly(method, path, {
      authorization: `Bearer ${ADMIN_KEY}`,
      "x-actor": staff,
      "content-type": "application/json",
      "content-length": 50 * 1024 * 1024,
    });
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe("close");
  });
});

describe("a caller without a key", () => {
  it.each([
    ["PUT", "/v1/users/zed", undefined],
    ["POST", "/v1/check", undefined],
    ["POST", "/v1/import", "Bearer not-a-key"],
    ["POST", "/v1/data/b2b/check/decision", undefined],
  ])("on %s %s is refused before its body is read", async (method, path, authorization) => {
    const headers: Record<string, string | number> = { "content-type": "application/json", "content-length": 1024 * 1024 };
    if (authorization) headers.authorization = authorization;
    // Within the limit: only an answer that does not wait for the body ends this.
    const { status } = await headersOnly(method, path, headers);
    expect(status).toBe(401);
  });
});

describe("prototype keys", () => {
  it.each(["__proto__", "constructor", "prototype"])("PUT /v1/roles/%s answers 400 naming the key", async (key) => {
    const res = await t.call("PUT", `/v1/roles/${key}`, { actor: staff, body: { name: "Evil", permissions: [{ code: "order.view", level: 1 }] } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["path.key"]);
  });

  it.each([
    ["PUT", "/v1/users/__proto__", { status: "active" }, ["path.id"]],
    ["GET", "/v1/orgs/constructor", undefined, ["path.id"]],
    ["PUT", "/v1/orgs/ACME/members/__proto__", { roles: ["buyer"] }, ["path.userId"]],
    ["POST", "/v1/orgs", { id: "__proto__", name: "Proto" }, ["id"]],
  ])("%s %s (a prototype name as an id) answers 400 naming it", async (method, path, body, named) => {
    const res = await t.call(method, path, { actor: staff, ...(body ? { body } : {}) });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(named);
  });

  it("a check for subject or org __proto__ answers 400 naming the field", async () => {
    const res = await t.call("POST", "/v1/check", { body: { ...aliceView, org: "__proto__" } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["org"]);
  });

  it("an import with a role key __proto__ answers 400 naming the field", async () => {
    const res = await t.call("POST", "/v1/import", {
      actor: staff,
      rawBody: '{"roles":[{"key":"__proto__","name":"Evil","permissions":[{"code":"order.view","level":1}]}]}',
    });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain("roles.0.key");
    const roles = await t.call("GET", "/v1/roles", { actor: staff });
    expect(roles.body.roles.map((r: { key: string }) => r.key)).not.toContain("__proto__");
  });

  it("a membership naming the role __proto__ answers 400", async () => {
    const res = await t.call("PUT", "/v1/orgs/ACME/members/gina", { actor: staff, body: { roles: ["__proto__"] } });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toContain("roles.0");
  });

  it("a __proto__ key inside a body answers 400 naming where it is", async () => {
    const res = await t.call("POST", "/v1/check", { rawBody: '{"subject":{"id":"nobody","__proto__":{"id":"alice"}},"org":"ACME","action":"order.view"}' });
    expect(res.status).toBe(400);
    expect(paths(res.body)).toEqual(["subject.__proto__"]);
  });
});

describe("internal failures", () => {
  const client = () => new pg.Client({ connectionString: t.databaseUrl });
  async function withOrgsTableGone(run: () => Promise<void>) {
    const db = client();
    await db.connect();
    await db.query("alter table orgs rename to orgs_gone");
    try {
      await run();
    } finally {
      await db.query("alter table orgs_gone rename to orgs");
      await db.end();
    }
  }

  it("answer the code and a generic message; the driver's text goes to the log only", async () => {
    await withOrgsTableGone(async () => {
      const res = await t.call("GET", "/v1/orgs/ACME-US", { actor: staff });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(JSON.stringify(res.body)).not.toMatch(/orgs|relation|exist/);
      expect(res.body.error).toMatchObject({ code: expect.any(String), message: expect.any(String), details: [] });
      await eventually(() => lines.some((l) => JSON.stringify(l).includes('relation \\"orgs\\" does not exist')), "the driver's text is logged");
    });
  });

  it("/health/ready without a key says which part is down, without details; with a key it shows them", async () => {
    await withOrgsTableGone(async () => {
      const bare = await t.call("GET", "/health/ready", { key: null });
      expect(bare.status).toBe(503);
      expect(bare.body).toEqual({ status: "not_ready", policy: { ready: true }, graph: { ready: false } });
      const detailed = await t.call("GET", "/health/ready", { key: CHECK_KEY });
      expect(detailed.status).toBe(503);
      expect(detailed.body.graph).toMatchObject({ ready: false, reachable: false, error: expect.stringContaining("orgs") });
    });
  });

  it("/health/ready without a key shows no counts", async () => {
    const bare = await t.call("GET", "/health/ready", { key: null });
    expect(bare.status).toBe(200);
    expect(bare.body).toEqual({ status: "ready", policy: { ready: true }, graph: { ready: true } });
    const detailed = await t.call("GET", "/health/ready", { key: ADMIN_KEY });
    expect(detailed.body.graph.counts).toBeDefined();
    const wrongKey = await t.call("GET", "/health/ready", { key: "not-a-key" });
    expect(wrongKey.body).toEqual(bare.body);
  });
});
