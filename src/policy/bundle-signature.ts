import { createHash, type KeyObject } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";
import { z } from "zod";
import { BundleRefused } from "./bundle-refusal.ts";

/** The JWS algorithms a verification key may have (OPA's list; RS256, ES256 and HS256 are tested). */
export const signingAlgorithms = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "HS256", "HS384", "HS512"] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

/** One of OPA's `keys`: the public key (or HMAC secret) a bundle signature must verify with, and its scope. */
export interface VerificationKey {
  algorithm: SigningAlgorithm;
  key: KeyObject;
  scope?: string | undefined;
}

/**
 * OPA's bundle verification config: the keys by id; `keyId` forces one key whatever the JWT names (OPA's
 * `signing.keyid`); `scope` overrides the key's (OPA's `signing.scope`).
 */
export interface BundleVerification {
  keys: ReadonlyMap<string, VerificationKey>;
  keyId?: string | undefined;
  scope?: string | undefined;
}

export const SIGNATURES_FILE = ".signatures.json";

/**
 * File hashes we accept, by OPA's names. MD5 and SHA-1 (which OPA also accepts) are refused: a collision in
 * them would let a signed digest cover a second, different file.
 */
const hashAlgorithms: Record<string, string> = {
  "SHA-224": "sha224",
  "SHA-256": "sha256",
  "SHA-384": "sha384",
  "SHA-512": "sha512",
  "SHA-512-224": "sha512-224",
  "SHA-512-256": "sha512-256",
};

const signaturesSchema = z.object({ signatures: z.array(z.string().min(1)).length(1) });

/** OPA's payload (v1/bundle/sign.go): the files with their digests, and optional claims beside them. */
const payloadSchema = z.looseObject({
  files: z.array(z.object({ name: z.string().min(1), hash: z.string().regex(/^[0-9a-f]+$/i), algorithm: z.string() })),
  scope: z.string().optional(),
  keyid: z.string().optional(),
});

/** A bundle path as OPA signs it: without a leading slash (tar entries may carry one) or "./". */
export const normalizeBundlePath = (path: string) => path.replace(/^(\.?\/)+/, "");

/**
 * Whether OPA hashes a file as a JSON document (v1/bundle/hash.go IsStructuredDoc): then its digest is over the
 * parsed value written canonically, so whitespace and key order do not matter.
 */
const isStructured = (path: string) => /(^|\/)(data\.json|data\.yaml|\.manifest|\.signatures\.json)$/.test(path);

/**
 * OPA's canonical form of a JSON value: object keys sorted by their UTF-8 bytes, no whitespace, strings escaped as
 * Go's encoding/json does without HTML escaping (which, unlike JSON.stringify, escapes U+2028 and U+2029).
 * Numbers are written as JavaScript writes them; OPA keeps a number's source text, so a data file with a number
 * not in shortest form (`1.0`, `1e3`) does not verify: refused, never accepted.
 */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return `{${entries.map(([k, v]) => `${canonicalJson(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

function fileDigest(path: string, content: Uint8Array, algorithm: string): string {
  const hash = createHash(algorithm);
  if (!isStructured(path)) return hash.update(content).digest("hex");
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(content));
  } catch (cause) {
    throw new BundleRefused("bundle_digest_mismatch", `${path} is not valid JSON, so it cannot have its signed digest`, { cause });
  }
  return hash.update(canonicalJson(value)).digest("hex");
}

function decodeUnverified<T>(decode: () => T): T {
  try {
    return decode();
  } catch (cause) {
    throw new BundleRefused("bundle_signature_malformed", "the signature is not a compact JWS", { cause });
  }
}

/**
 * Verifies a bundle's `.signatures.json` as OPA does (v1/bundle/verify.go), and more strictly. Verification
 * depends on the presence of a signature block, never on the key id (GHSA-g2pf-6v5v-qcc8): with keys configured,
 * a bundle without `.signatures.json`, with no JWT, several, or a JWT naming no key is refused. The JWT must
 * verify with the algorithm of the configured key (no `none`, no HMAC with a public key); its scope must be the
 * configured one; every file but `.signatures.json` must be listed with its digest, and every listed file present.
 */
export async function verifyBundleSignature(files: readonly { path: string; content: Uint8Array }[], verification: BundleVerification): Promise<void> {
  const byPath = new Map(files.map((f) => [normalizeBundlePath(f.path), f.content]));
  const signatures = byPath.get(SIGNATURES_FILE);
  if (!signatures) throw new BundleRefused("bundle_unsigned", `verification keys are configured and the bundle has no ${SIGNATURES_FILE}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(signatures));
  } catch (cause) {
    throw new BundleRefused("bundle_signature_malformed", `${SIGNATURES_FILE} is not valid JSON`, { cause });
  }
  const block = signaturesSchema.safeParse(parsed);
  if (!block.success) throw new BundleRefused("bundle_signature_malformed", `${SIGNATURES_FILE} must be {"signatures": [one JWT]}`);
  const [token = ""] = block.data.signatures;

  // Which key: the configured one, else the JWT header's kid, else its (deprecated) keyid claim, as OPA picks.
  const header = decodeUnverified(() => decodeProtectedHeader(token));
  const claims = decodeUnverified(() => decodeJwt(token));
  const keyId = verification.keyId ?? (typeof header.kid === "string" && header.kid ? header.kid : undefined) ?? (typeof claims.keyid === "string" && claims.keyid ? claims.keyid : undefined);
  if (!keyId) throw new BundleRefused("bundle_key_id_missing", "the signature names no key (no kid, no keyid) and none is configured for it");
  const key = verification.keys.get(keyId);
  if (!key) throw new BundleRefused("bundle_key_unknown", `the signature names key "${keyId}", which is not configured`);

  let payloadBytes: Uint8Array;
  try {
    payloadBytes = (await compactVerify(token, key.key, { algorithms: [key.algorithm] })).payload;
  } catch (cause) {
    throw new BundleRefused("bundle_signature_invalid", `the signature does not verify with key "${keyId}" (${key.algorithm})`, { cause });
  }
  // From here on only the verified payload counts.
  let verified: unknown;
  try {
    verified = JSON.parse(new TextDecoder().decode(payloadBytes));
  } catch (cause) {
    throw new BundleRefused("bundle_signature_malformed", "the signed payload is not JSON", { cause });
  }
  const payload = payloadSchema.safeParse(verified);
  if (!payload.success) throw new BundleRefused("bundle_signature_malformed", "the signed payload is not OPA's {files: [{name, hash, algorithm}]}");

  const scope = verification.scope ?? key.scope ?? "";
  if ((payload.data.scope ?? "") !== scope) {
    throw new BundleRefused("bundle_scope_mismatch", `the signed scope "${payload.data.scope ?? ""}" is not "${scope}"`);
  }

  const signed = new Map<string, { hash: string; algorithm: string }>();
  for (const file of payload.data.files) {
    const name = normalizeBundlePath(file.name);
    if (signed.has(name)) throw new BundleRefused("bundle_signature_malformed", `the signature lists ${name} twice`);
    signed.set(name, file);
  }
  for (const [path, content] of byPath) {
    if (path === SIGNATURES_FILE) continue;
    const entry = signed.get(path);
    if (!entry) throw new BundleRefused("bundle_file_unsigned", `${path} is not covered by the signature`);
    const algorithm = hashAlgorithms[entry.algorithm];
    if (!algorithm) throw new BundleRefused("bundle_hash_algorithm_unsupported", `${path} is signed with ${entry.algorithm}`);
    if (fileDigest(path, content, algorithm) !== entry.hash.toLowerCase()) {
      throw new BundleRefused("bundle_digest_mismatch", `${path} does not have its signed digest`);
    }
  }
  const missing = [...signed.keys()].filter((name) => !byPath.has(name));
  if (missing.length > 0) throw new BundleRefused("bundle_file_missing", `signed but not in the bundle: ${missing.join(", ")}`);
}
