import { createHash, createPrivateKey, createSecretKey } from "node:crypto";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompactSign } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle, loadConfig } from "../../src/config.ts";
import type { BundleRefusalReason } from "../../src/policy/bundle-refusal.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { buildSignedBundle, pack, packTwice, signatureOf, signingKeys, unpack, type SigningKeys } from "./signed-bundle-support.ts";

/**
 * Signed bundles (README, "Remote and signed bundles"): with verification keys configured, only a bundle whose
 * `.signatures.json` verifies (OPA's format, made here by the pinned `opa build --signing-key`) is activated; any
 * other is refused with a stable reason and the serving policy stays. Includes GHSA-g2pf-6v5v-qcc8's flaw:
 * verification must depend on the presence of a signature block, not on a key id.
 */
let dir: string;
let keys: SigningKeys;
let rs256: string;
let es256: string;
let hs256: string;
let scoped: string;
let otherKey: string;
/** The RS256 bundle unpacked: the base every tampered variant is made from. */
let signedDir: string;

const rsaConfig = () => ({ POLICY_VERIFICATION_KEYS: JSON.stringify({ default: { algorithm: "RS256", key: keys.rsa.publicKey } }) });
const engineWith = (env: Record<string, string>) => new PolicyEngine({ verification: loadConfig(env).bundleVerification });

async function variant(name: string, change: (dir: string) => Promise<void>): Promise<string> {
  const copy = join(dir, `variant-${name}`);
  await cp(signedDir, copy, { recursive: true });
  await change(copy);
  return pack(copy, join(dir, `${name}.tar.gz`));
}

/** A JWT over `payload`, signed with the right RSA key: for payloads opa would not write. */
async function signWithRsa(payload: unknown, header: Record<string, unknown> = { alg: "RS256", kid: "default" }): Promise<string> {
  const key = createPrivateKey(await readFile(keys.rsa.privateKeyFile));
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload))).setProtectedHeader(header as { alg: string }).sign(key);
}

async function payloadOf(bundleDir: string): Promise<{ files: { name: string; hash: string; algorithm: string }[] } & Record<string, unknown>> {
  const [, payload = ""] = (await signatureOf(bundleDir)).split(".");
  return JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as never;
}

const setSignatures = (value: unknown) => (d: string) => writeFile(join(d, ".signatures.json"), typeof value === "string" ? value : JSON.stringify(value));

async function expectRefused(engine: PolicyEngine, bundle: string, reason: BundleRefusalReason): Promise<void> {
  const outcome = await engine.reload(bundle);
  expect(outcome).toMatchObject({ status: "rejected", reason });
  if (outcome.status === "rejected") expect(outcome.error.code).toBe("policy_unavailable");
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "b2b-authz-signed-"));
  keys = await signingKeys(join(dir, "keys"));
  const claims = join(dir, "claims.json");
  await writeFile(claims, JSON.stringify({ scope: "write" }));
  [rs256, es256, hs256, scoped, otherKey] = await Promise.all([
    buildSignedBundle(join(dir, "rs256.tar.gz"), { revision: "signed-rs256", signingKey: keys.rsa.privateKeyFile, algorithm: "RS256" }),
    buildSignedBundle(join(dir, "es256.tar.gz"), { revision: "signed-es256", signingKey: keys.ec.privateKeyFile, algorithm: "ES256" }),
    buildSignedBundle(join(dir, "hs256.tar.gz"), { revision: "signed-hs256", signingKey: keys.hmacSecret, algorithm: "HS256" }),
    buildSignedBundle(join(dir, "scoped.tar.gz"), { revision: "signed-scoped", signingKey: keys.rsa.privateKeyFile, claimsFile: claims }),
    buildSignedBundle(join(dir, "other-key.tar.gz"), { revision: "signed-other", signingKey: keys.otherRsa.privateKeyFile }),
  ]);
  signedDir = await unpack(rs256, join(dir, "rs256"));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("signed bundles made by opa build --signing-key", () => {
  it("activates RS256, ES256 and HS256 bundles with the matching key", async () => {
    const cases: [string, Record<string, string>, string][] = [
      ["signed-rs256", rsaConfig(), rs256],
      ["signed-es256", { POLICY_VERIFICATION_KEY: keys.ec.publicKey, POLICY_SIGNING_ALG: "ES256" }, es256],
      ["signed-hs256", { POLICY_VERIFICATION_KEY: keys.hmacSecret, POLICY_SIGNING_ALG: "HS256" }, hs256],
    ];
    for (const [revision, env, bundle] of cases) {
      const engine = engineWith(env);
      expect(await engine.reload(bundle)).toMatchObject({ status: "activated", revision });
      expect(engine.evaluate("check", { request: {} })).toMatchObject({ allow: false });
    }
  });

  it("reads the verification key from a PEM file, as opa's --verification-key does", async () => {
    const file = join(dir, "keys", "rsa.pub.pem");
    await writeFile(file, keys.rsa.publicKey);
    expect(await engineWith({ POLICY_VERIFICATION_KEY: file }).reload(rs256)).toMatchObject({ status: "activated" });
  });

  it("verifies a signed directory as it verifies the archive", async () => {
    expect(await engineWith(rsaConfig()).reload(signedDir)).toMatchObject({ status: "activated", revision: "signed-rs256" });
  });

  it("checks the scope: the configured one must be the signed one", async () => {
    // opa build --claims-file writes no key id, so the key is named by configuration (OPA's signing.keyid).
    const withScope = (scope?: string) =>
      engineWith({ ...rsaConfig(), POLICY_VERIFICATION_KEY_ID: "default", ...(scope ? { POLICY_VERIFICATION_SCOPE: scope } : {}) });
    expect(await withScope("write").reload(scoped)).toMatchObject({ status: "activated", revision: "signed-scoped" });
    await expectRefused(withScope("read"), scoped, "bundle_scope_mismatch");
    await expectRefused(withScope(), scoped, "bundle_scope_mismatch");
    await expectRefused(withScope("write"), rs256, "bundle_scope_mismatch");
    // A key's own scope applies when none is configured.
    const keyScoped = engineWith({ POLICY_VERIFICATION_KEYS: JSON.stringify({ default: { algorithm: "RS256", key: keys.rsa.publicKey, scope: "write" } }), POLICY_VERIFICATION_KEY_ID: "default" });
    expect(await keyScoped.reload(scoped)).toMatchObject({ status: "activated" });
  });
});

describe("refused bundles", () => {
  it("refuses an unsigned bundle, and keeps serving the signed one", async () => {
    const engine = engineWith(rsaConfig());
    expect(await engine.reload(rs256)).toMatchObject({ status: "activated" });
    const outcome = await engine.reload(defaultPolicyBundle);
    expect(outcome).toMatchObject({ status: "rejected", reason: "bundle_unsigned", servingRevision: "signed-rs256" });
    expect(engine.revision).toBe("signed-rs256");
    expect(engine.evaluate("check", { request: {} })).toMatchObject({ allow: false });
  });

  it("refuses tampered data, a swapped policy.wasm, an extra file and a missing file", async () => {
    const engine = engineWith(rsaConfig());
    const tamperedData = await variant("tampered-data", async (d) => {
      const data = JSON.parse(await readFile(join(d, "data.json"), "utf8")) as { b2b: { catalog: Record<string, unknown> } };
      data.b2b.catalog.injected = true;
      await writeFile(join(d, "data.json"), JSON.stringify(data));
    });
    await expectRefused(engine, tamperedData, "bundle_digest_mismatch");
    const swappedWasm = await variant("swapped-wasm", async (d) => {
      const permissive = await unpack(join(import.meta.dirname, "../fixtures/bundles/permissive.tar.gz"), join(dir, "permissive"));
      await cp(join(permissive, "policy.wasm"), join(d, "policy.wasm"));
    });
    await expectRefused(engine, swappedWasm, "bundle_digest_mismatch");
    // An extra data document would be merged into the policy's data: the injection a signature must stop.
    const extra = await variant("extra-file", (d) => writeFile(join(d, "policies", "data.json"), JSON.stringify({ injected: true })));
    await expectRefused(engine, extra, "bundle_file_unsigned");
    const missing = await variant("missing-file", (d) => rm(join(d, "policies/b2b/trees/trees.rego")));
    await expectRefused(engine, missing, "bundle_file_missing");
    // Whitespace and key order do not change a JSON file's digest (OPA hashes the parsed document).
    const reformatted = await variant("reformatted", async (d) => {
      const manifest = JSON.parse(await readFile(join(d, ".manifest"), "utf8")) as Record<string, unknown>;
      const reordered = Object.fromEntries(Object.entries(manifest).reverse());
      await writeFile(join(d, ".manifest"), JSON.stringify(reordered, null, 2));
    });
    expect(await engineWith(rsaConfig()).reload(reformatted)).toMatchObject({ status: "activated", revision: "signed-rs256" });
  });

  it("refuses a bundle holding a path twice (one copy checked, the other loaded)", async () => {
    const extra = join(dir, "second-data");
    await mkdir(extra);
    await writeFile(join(extra, "data.json"), JSON.stringify({ b2b: {} }));
    const twice = await packTwice(signedDir, extra, join(dir, "twice.tar.gz"));
    await expectRefused(engineWith(rsaConfig()), twice, "bundle_malformed");
    // Without keys too: a path twice is never a bundle.
    await expectRefused(new PolicyEngine(), twice, "bundle_malformed");
  });

  it("refuses a bundle signed with another key, or naming a key that is not configured", async () => {
    await expectRefused(engineWith(rsaConfig()), otherKey, "bundle_signature_invalid");
    await expectRefused(engineWith({ POLICY_VERIFICATION_KEY: keys.ec.publicKey, POLICY_SIGNING_ALG: "ES256" }), rs256, "bundle_signature_invalid");
    await expectRefused(engineWith({ POLICY_VERIFICATION_KEY: "another-secret", POLICY_SIGNING_ALG: "HS256" }), hs256, "bundle_signature_invalid");
    const prodOnly = { POLICY_VERIFICATION_KEYS: JSON.stringify({ prod: { algorithm: "RS256", key: keys.rsa.publicKey } }) };
    await expectRefused(engineWith(prodOnly), rs256, "bundle_key_unknown");
  });

  it("refuses algorithm confusion: HS256 keyed with the RSA public key, and alg none", async () => {
    const payload = await payloadOf(signedDir);
    const confused = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "HS256", kid: "default" })
      .sign(createSecretKey(Buffer.from(keys.rsa.publicKey)));
    await expectRefused(engineWith(rsaConfig()), await variant("hs-confusion", setSignatures({ signatures: [confused] })), "bundle_signature_invalid");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", kid: "default" })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.`;
    await expectRefused(engineWith(rsaConfig()), await variant("alg-none", setSignatures({ signatures: [none] })), "bundle_signature_invalid");
  });

  it("refuses a file signed with MD5, even with its right digest", async () => {
    const payload = await payloadOf(signedDir);
    const wasm = await readFile(join(signedDir, "policy.wasm"));
    const files = payload.files.map((f) => (f.name === "policy.wasm" ? { ...f, algorithm: "MD5", hash: createHash("md5").update(wasm).digest("hex") } : f));
    const token = await signWithRsa({ ...payload, files });
    await expectRefused(engineWith(rsaConfig()), await variant("md5", setSignatures({ signatures: [token] })), "bundle_hash_algorithm_unsupported");
  });
});

describe("GHSA-g2pf-6v5v-qcc8: a dropped or reshaped signature block is refused", () => {
  it.each<[string, (d: string) => Promise<void>, BundleRefusalReason]>([
    ["no .signatures.json", (d) => rm(join(d, ".signatures.json")), "bundle_unsigned"],
    ["an empty signatures array", setSignatures({ signatures: [] }), "bundle_signature_malformed"],
    ["signatures not an array", setSignatures({ signatures: "eyJhbGciOiJSUzI1NiJ9.e30.sig" }), "bundle_signature_malformed"],
    ["signatures an object", setSignatures({ signatures: { 0: "x" } }), "bundle_signature_malformed"],
    ["no signatures field", setSignatures({}), "bundle_signature_malformed"],
    ["a null signature", setSignatures({ signatures: [null] }), "bundle_signature_malformed"],
    ["an empty signature", setSignatures({ signatures: [""] }), "bundle_signature_malformed"],
    ["a signature that is not a JWS", setSignatures({ signatures: ["not-a-jwt"] }), "bundle_signature_malformed"],
    ["not JSON", setSignatures("{signatures"), "bundle_signature_malformed"],
    ["an empty file", setSignatures(""), "bundle_signature_malformed"],
  ])("refuses a bundle with %s", async (_name, change, reason) => {
    const engine = engineWith(rsaConfig());
    expect(await engine.reload(rs256)).toMatchObject({ status: "activated" });
    const outcome = await engine.reload(await variant(_name.replace(/\W+/g, "-"), change));
    expect(outcome).toMatchObject({ status: "rejected", reason, servingRevision: "signed-rs256" });
  });

  it("refuses two signatures, even when both verify", async () => {
    const token = await signatureOf(signedDir);
    await expectRefused(engineWith(rsaConfig()), await variant("two-jwts", setSignatures({ signatures: [token, token] })), "bundle_signature_malformed");
  });

  it("refuses a JWT that names no key when none is configured for it, even when its signature is good", async () => {
    const payload = await payloadOf(signedDir);
    const { keyid: _dropped, ...withoutKeyId } = payload;
    const token = await signWithRsa(withoutKeyId, { alg: "RS256" });
    const bundle = await variant("no-kid", setSignatures({ signatures: [token] }));
    await expectRefused(engineWith(rsaConfig()), bundle, "bundle_key_id_missing");
    // Named by configuration instead (OPA's signing.keyid), the same bundle verifies: the key id only picks a key.
    expect(await engineWith({ ...rsaConfig(), POLICY_VERIFICATION_KEY_ID: "default" }).reload(bundle)).toMatchObject({ status: "activated" });
  });

  it("refuses a payload that is not OPA's shape, even signed", async () => {
    const token = await signWithRsa({ files: "policy.wasm" });
    await expectRefused(engineWith(rsaConfig()), await variant("payload-shape", setSignatures({ signatures: [token] })), "bundle_signature_malformed");
    const empty = await signWithRsa({ files: [] });
    await expectRefused(engineWith(rsaConfig()), await variant("payload-empty", setSignatures({ signatures: [empty] })), "bundle_file_unsigned");
  });
});

describe("verification configuration", () => {
  it.each([
    ["POLICY_VERIFICATION_KEYS", { POLICY_VERIFICATION_KEYS: "not json" }],
    ["POLICY_VERIFICATION_KEYS", { POLICY_VERIFICATION_KEYS: "{}" }],
    ["POLICY_VERIFICATION_KEYS", { POLICY_VERIFICATION_KEYS: JSON.stringify({ k: { algorithm: "RS1", key: "x" } }) }],
    ["POLICY_VERIFICATION_KEYS", { POLICY_VERIFICATION_KEYS: JSON.stringify({ k: { algorithm: "ES256", key: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----" } }) }],
    ["POLICY_VERIFICATION_KEY", { POLICY_VERIFICATION_KEY: "/no/such/key.pem" }],
    ["POLICY_VERIFICATION_KEY_ID", { POLICY_VERIFICATION_KEYS: JSON.stringify({ k: { algorithm: "HS256", key: "s" } }), POLICY_VERIFICATION_KEY_ID: "other" }],
    ["POLICY_BUNDLE", { POLICY_BUNDLE: "ftp://bundles.example/b.tar.gz" }],
    ["POLICY_BUNDLE_MAX_DELAY_SECONDS", { POLICY_BUNDLE_MIN_DELAY_SECONDS: "10", POLICY_BUNDLE_MAX_DELAY_SECONDS: "5" }],
  ])("refuses a bad %s at start-up, naming it", (variable, env) => {
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it("refuses a key of the wrong type for its algorithm", () => {
    expect(() => loadConfig({ POLICY_VERIFICATION_KEY: keys.rsa.publicKey, POLICY_SIGNING_ALG: "ES256" })).toThrow(/rsa key cannot verify ES256/);
  });
});
