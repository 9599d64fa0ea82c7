import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { dropDatabase, eventually, freshDatabase, importInto } from "../store/graph-test-support.ts";
import { BundleServer, startSidecarProcess, type SidecarProcess } from "./bundle-server.ts";
import { buildSignedBundle, pack, signingKeys, unpack, type SigningKeys } from "./signed-bundle-support.ts";

/**
 * Remote bundles (README, "Remote and signed bundles"), end to end: real sidecar processes on PostgreSQL poll a
 * real bundle server (node:http, ETags, a bearer token). 304s keep the bundle, a changed bundle is picked up, a
 * bad one is refused while the current keeps serving, the last good bundle serves a restart while the server is
 * down, and with verification keys only a signed bundle ever serves.
 */
const KEY = "remote-bundle-key";
const TOKEN = "bundle-server-token-7f3a";
let dir: string;
let databaseUrl: string;
let keys: SigningKeys;
let revisionTwo: Buffer;
const started: SidecarProcess[] = [];

interface Status {
  policy: { revision: string } | null;
  bundle: {
    source: string;
    kind: string;
    signed: boolean;
    etag: string | null;
    servedFrom: string | null;
    lastSuccessAt: string | null;
    lastError: { at: string; reason: string; message: string } | null;
    nextPollAt: string | null;
  };
}

async function call(sidecar: SidecarProcess, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sidecar.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith("{") ? JSON.parse(text) : text };
}

const statusOf = async (sidecar: SidecarProcess) => (await call(sidecar, "GET", "/v1/status")).body as Status;
const check = (sidecar: SidecarProcess) =>
  call(sidecar, "POST", "/v1/check", { subject: { id: "carol" }, org: "ACME-DE", action: "order.place", resource: { type: "order", id: "o-1", org: "ACME-DE", buyer: "carol", attributes: { total: 10 } } });

async function sidecar(env: Record<string, string>): Promise<SidecarProcess> {
  const process = await startSidecarProcess({ DATABASE_URL: databaseUrl, AUTHZ_API_KEYS: `${KEY}=check`, ...env });
  started.push(process);
  return process;
}

const remoteEnv = (server: BundleServer, persistDir: string, extra: Record<string, string> = {}) => ({
  POLICY_BUNDLE: server.url,
  POLICY_BUNDLE_TOKEN: TOKEN,
  POLICY_BUNDLE_MIN_DELAY_SECONDS: "0.1",
  POLICY_BUNDLE_MAX_DELAY_SECONDS: "0.3",
  POLICY_BUNDLE_TIMEOUT_SECONDS: "2",
  POLICY_BUNDLE_PERSIST_DIR: persistDir,
  ...extra,
});

/** The committed bundle with another manifest revision: the same policy, a different bundle. */
async function withRevision(revision: string): Promise<Buffer> {
  const unpacked = await unpack(defaultPolicyBundle, join(dir, `rev-${revision}`));
  const manifest = JSON.parse(await readFile(join(unpacked, ".manifest"), "utf8")) as Record<string, unknown>;
  await writeFile(join(unpacked, ".manifest"), JSON.stringify({ ...manifest, revision }));
  return readFile(await pack(unpacked, join(dir, `rev-${revision}.tar.gz`)));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "b2b-authz-remote-"));
  databaseUrl = await freshDatabase("remote_bundle");
  await importInto(databaseUrl, demoDocument);
  keys = await signingKeys(join(dir, "keys"));
  revisionTwo = await withRevision("remote-2");
}, 120_000);
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  await dropDatabase(databaseUrl);
  await rm(dir, { recursive: true, force: true });
});

describe("a sidecar polling a bundle server", () => {
  const server = new BundleServer(TOKEN);
  const persistDir = () => join(dir, "persisted");
  let first: SidecarProcess;
  let committedRevision: string;

  beforeAll(async () => {
    await server.start();
  });
  afterAll(() => server.close());

  it("serves the downloaded bundle, and says where it came from", async () => {
    const etag = server.serve(await readFile(defaultPolicyBundle));
    first = await sidecar(remoteEnv(server, persistDir()));
    const status = await statusOf(first);
    committedRevision = status.policy!.revision;
    expect(status.bundle).toMatchObject({ source: server.url, kind: "http", signed: false, etag, servedFrom: "source", lastError: null });
    expect(status.bundle.lastSuccessAt).not.toBeNull();
    expect(Date.parse(status.bundle.nextPollAt!)).toBeGreaterThan(Date.now() - 1_000);
    expect((await check(first)).status).toBe(200);
  });

  it("polls with If-None-Match and keeps the bundle on 304", async () => {
    const etag = (await statusOf(first)).bundle.etag;
    const before = server.requests.length;
    await eventually(() => server.requests.slice(before).filter((r) => r.status === 304 && r.ifNoneMatch === etag).length >= 3, "three 304s");
    // Every request carried the bearer token.
    expect(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    const status = await statusOf(first);
    expect(status.policy!.revision).toBe(committedRevision);
    expect(status.bundle.etag).toBe(etag);
    const metrics = (await call(first, "GET", "/metrics")).body as string;
    expect(metrics).toMatch(/b2b_authz_policy_reloads_total\{outcome="unchanged"\} [1-9]/);
  });

  it("picks up a changed bundle", async () => {
    const etag = server.serve(revisionTwo);
    await eventually(async () => (await statusOf(first)).policy?.revision === "remote-2", "the new revision serves");
    expect((await statusOf(first)).bundle).toMatchObject({ etag, servedFrom: "source" });
    expect((await check(first)).status).toBe(200);
  });

  it("refuses a bad bundle and keeps serving the current one", async () => {
    server.serve(Buffer.from("not a bundle"));
    await eventually(async () => (await statusOf(first)).bundle.lastError?.reason === "bundle_unreadable", "the garbage refused");
    server.serve(await readFile(join(import.meta.dirname, "../fixtures/bundles/permissive.tar.gz")));
    await eventually(async () => (await statusOf(first)).bundle.lastError?.reason === "bundle_self_check_failed", "the permissive bundle refused");
    const status = await statusOf(first);
    expect(status.policy!.revision).toBe("remote-2");
    expect((await check(first)).status).toBe(200);
    // A refused bundle never replaces the last good one on disk.
    expect(await readFile(join(persistDir(), "last-good-bundle.tar.gz"))).toEqual(revisionTwo);
  });

  it("starts from the persisted bundle while the bundle server is down", async () => {
    server.serve(revisionTwo);
    await eventually(async () => (await statusOf(first)).bundle.servedFrom === "source", "serving from the server");
    await first.stop();
    await server.close();
    const restarted = await sidecar(remoteEnv(server, persistDir()));
    const status = await statusOf(restarted);
    expect(status.policy!.revision).toBe("remote-2");
    expect(status.bundle.servedFrom).toBe("persisted");
    expect((await check(restarted)).status).toBe(200);
    await eventually(async () => (await statusOf(restarted)).bundle.lastError?.reason === "bundle_fetch_failed", "the server's absence reported");
    // The token is sent, never written out.
    for (const process of [first, restarted]) expect(process.output()).not.toContain(TOKEN);
    await restarted.stop();
  });

  it("fails closed without a persisted bundle while the bundle server is down", async () => {
    const alone = await sidecar(remoteEnv(server, join(dir, "empty-persist")));
    const answer = await check(alone);
    expect(answer.status).toBe(503);
    expect(answer.body.error.code).toBe("policy_unavailable");
    expect((await call(alone, "GET", "/health/ready")).status).toBe(503);
    expect((await statusOf(alone)).bundle).toMatchObject({ servedFrom: null, lastError: { reason: "bundle_fetch_failed" } });
    await alone.stop();
  });
});

describe("a sidecar with verification keys", () => {
  const server = new BundleServer(TOKEN);
  let signed: Buffer;

  beforeAll(async () => {
    await server.start();
    signed = await readFile(await buildSignedBundle(join(dir, "signed.tar.gz"), { revision: "remote-signed", signingKey: keys.rsa.privateKeyFile }));
  }, 60_000);
  afterAll(() => server.close());

  const keyEnv = () => ({ POLICY_VERIFICATION_KEY: keys.rsa.publicKey, POLICY_SIGNING_ALG: "RS256" });

  it("serves a signed bundle, refuses a tampered and an unsigned one, and keeps the signed one on disk", async () => {
    const persistDir = join(dir, "signed-persist");
    server.serve(signed);
    const verifying = await sidecar(remoteEnv(server, persistDir, keyEnv()));
    expect((await statusOf(verifying)).policy!.revision).toBe("remote-signed");
    expect((await statusOf(verifying)).bundle.signed).toBe(true);

    const unpacked = await unpack(join(dir, "signed.tar.gz"), join(dir, "signed-unpacked"));
    const data = JSON.parse(await readFile(join(unpacked, "data.json"), "utf8")) as Record<string, unknown>;
    await writeFile(join(unpacked, "data.json"), JSON.stringify({ ...data, injected: true }));
    server.serve(await readFile(await pack(unpacked, join(dir, "tampered.tar.gz"))));
    await eventually(async () => (await statusOf(verifying)).bundle.lastError?.reason === "bundle_digest_mismatch", "the tampered bundle refused");
    server.serve(revisionTwo);
    await eventually(async () => (await statusOf(verifying)).bundle.lastError?.reason === "bundle_unsigned", "the unsigned bundle refused");
    expect((await statusOf(verifying)).policy!.revision).toBe("remote-signed");
    expect((await check(verifying)).status).toBe(200);
    expect(await readFile(join(persistDir, "last-good-bundle.tar.gz"))).toEqual(signed);
    await verifying.stop();
  });

  it("fails closed at start when no bundle verifies, local or remote", async () => {
    server.serve(revisionTwo);
    const local = join(dir, "unsigned-local.tar.gz");
    await cp(defaultPolicyBundle, local);
    for (const env of [remoteEnv(server, join(dir, "unsigned-persist"), keyEnv()), { POLICY_BUNDLE: local, ...keyEnv() }]) {
      const refusing = await sidecar(env);
      const answer = await check(refusing);
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe("policy_unavailable");
      expect(await statusOf(refusing)).toMatchObject({ policy: null, bundle: { signed: true, servedFrom: null, lastError: { reason: "bundle_unsigned" } } });
      await refusing.stop();
    }
  });
});
