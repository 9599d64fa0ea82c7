import { createPublicKey, createSecretKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { AuthzError, describeThrown } from "./errors.ts";
import { orgStatuses, storeSettingDefaults } from "./model/policy-data.generated.ts";
import { signingAlgorithms, type BundleVerification, type SigningAlgorithm, type VerificationKey } from "./policy/bundle-signature.ts";

/** The project's own compiled policies, used when POLICY_BUNDLE is unset. */
export const defaultPolicyBundle = fileURLToPath(new URL("../bundle/bundle.tar.gz", import.meta.url));

const scopeSchema = z.enum(["check", "admin"]);
export type Scope = z.infer<typeof scopeSchema>;

const apiKeysSchema = z
  .string()
  .transform((raw, ctx) => {
    const keys = new Map<string, Set<Scope>>();
    for (const entry of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
      const [key, scopes] = entry.split("=", 2);
      if (!key || !scopes) {
        ctx.addIssue({ code: "custom", message: `entry "${entry}" is not key=scope+scope` });
        return z.NEVER;
      }
      const parsed = new Set<Scope>();
      for (const scope of scopes.split("+")) {
        const result = scopeSchema.safeParse(scope);
        if (!result.success) {
          ctx.addIssue({ code: "custom", message: `unknown scope "${scope}" for a key (scopes: check, admin)` });
          return z.NEVER;
        }
        parsed.add(result.data);
      }
      keys.set(key, parsed);
    }
    return keys;
  });

const memoBound = z.coerce.number().int().min(0);
const DECISION_MEMO_MAX_CHARS_DEFAULT = 16 * 1024 * 1024;

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const positiveSeconds = (fallback: number) => z.coerce.number().positive().max(86_400).default(fallback);

/** A bundle source is a path, or an http(s) URL of a bundle server (OPA's bundle service protocol). */
const bundleSourceSchema = z
  .string()
  .min(1)
  .refine((value) => !/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || /^https?:\/\/[^/]/i.test(value), "a URL must be http:// or https://")
  .refine((value) => !/^https?:/i.test(value) || URL.canParse(value), "not a valid URL");

/**
 * A verification key as OPA reads one: an HMAC secret as it is; for RSA and ECDSA a PEM public key (SPKI or
 * PKCS#1) or certificate, checked here so a wrong key stops start-up rather than refusing every bundle.
 */
function verificationKey(algorithm: SigningAlgorithm, key: string, scope: string | undefined): VerificationKey {
  let keyObject: KeyObject;
  if (algorithm.startsWith("HS")) keyObject = createSecretKey(Buffer.from(key, "utf8"));
  else {
    keyObject = createPublicKey(key);
    const family = algorithm.startsWith("ES") ? ["ec"] : ["rsa", "rsa-pss"];
    if (!family.includes(keyObject.asymmetricKeyType ?? "")) throw new Error(`a ${keyObject.asymmetricKeyType ?? "?"} key cannot verify ${algorithm}`);
  }
  return { algorithm, key: keyObject, scope };
}

/** OPA's `keys` configuration: `{"<key id>": {"algorithm": "RS256", "key": "<PEM or HMAC secret>", "scope": "…"}}`. */
const verificationKeysSchema = z
  .string()
  .transform((raw, ctx) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      ctx.addIssue({ code: "custom", message: "not JSON: expected {\"<key id>\": {\"algorithm\", \"key\", \"scope\"?}}" });
      return z.NEVER;
    }
    const shape = z
      .record(z.string().min(1), z.object({ algorithm: z.enum(signingAlgorithms).default("RS256"), key: z.string().min(1), scope: z.string().optional() }))
      .refine((keys) => Object.keys(keys).length > 0, "no key")
      .safeParse(parsed);
    if (!shape.success) {
      ctx.addIssue({ code: "custom", message: shape.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
      return z.NEVER;
    }
    const keys = new Map<string, VerificationKey>();
    for (const [id, { algorithm, key, scope }] of Object.entries(shape.data)) {
      try {
        keys.set(id, verificationKey(algorithm, key, scope));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `key "${id}": ${describeThrown(error)}` });
        return z.NEVER;
      }
    }
    return keys;
  });

/**
 * The sidecar's configuration: read from the environment once at start-up, validated, then passed around.
 * Defaults are documented in the README (Configuration).
 */
const settingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8181),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z.string().url().optional(),
  REDIS_URL: z.string().url().optional(),
  AUTHZ_API_KEYS: apiKeysSchema.optional(),
  /** A `.tar.gz` or directory (polled every POLICY_WATCH_INTERVAL_MS), or an http(s) URL of a bundle server. */
  POLICY_BUNDLE: bundleSourceSchema.default(defaultPolicyBundle),
  /** Bearer token sent to the bundle server (never logged, never in status). */
  POLICY_BUNDLE_TOKEN: z.string().min(1).optional(),
  /** OPA's polling.min_delay_seconds / max_delay_seconds: each wait between polls is uniform between them. */
  POLICY_BUNDLE_MIN_DELAY_SECONDS: positiveSeconds(60),
  POLICY_BUNDLE_MAX_DELAY_SECONDS: positiveSeconds(120),
  /** How long one bundle download may take. */
  POLICY_BUNDLE_TIMEOUT_SECONDS: positiveSeconds(30),
  /** Where the last good remote bundle is kept, for a start while the bundle server is down; unset: not kept. */
  POLICY_BUNDLE_PERSIST_DIR: z.string().min(1).optional(),
  /** OPA's `keys`, as JSON: with keys (here or below), every bundle must carry a valid signature. */
  POLICY_VERIFICATION_KEYS: verificationKeysSchema.optional(),
  /** OPA's `--verification-key`: a PEM public key, the path of a PEM file, or an HMAC secret (HS*). */
  POLICY_VERIFICATION_KEY: z.string().min(1).optional(),
  /** OPA's `--signing-alg` for POLICY_VERIFICATION_KEY. */
  POLICY_SIGNING_ALG: z.enum(signingAlgorithms).default("RS256"),
  /**
   * OPA's `--verification-key-id` / `signing.keyid`: the key a signature must verify with, whatever its kid says.
   * With POLICY_VERIFICATION_KEY it names that key (default "default"); with POLICY_VERIFICATION_KEYS, unset, the
   * JWT's kid picks the key.
   */
  POLICY_VERIFICATION_KEY_ID: z.string().min(1).optional(),
  /** OPA's `--scope` / `signing.scope`: the scope a signature must carry (default: the key's, else none). */
  POLICY_VERIFICATION_SCOPE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * Tree limits (BigCommerce defaults): enforced in the write transaction and given to the policy. The store
   * settings' defaults are the policy catalog's (`settings`).
   */
  MAX_TREE_DEPTH: positiveInt(storeSettingDefaults.maxDepth),
  MAX_TREE_ORGS: positiveInt(storeSettingDefaults.maxOrgs),
  /** Status and role of orgs created by buyers (commercetools defaults). */
  BUYER_ORG_STATUS: z.enum(orgStatuses).extract(["active", "inactive", "pending"]).default(storeSettingDefaults.buyerOrgStatus),
  BUYER_ORG_ROLE: z.string().min(1).default(storeSettingDefaults.buyerOrgRole),
  /** Trees kept in process. */
  CACHE_MAX_TREES: positiveInt(10_000),
  /** How long cached trees keep serving while PostgreSQL is unreachable before decisions fail closed. */
  GRAPH_MAX_STALENESS_MS: positiveInt(30_000),
  /** How long a decision waits for a graphToken (consistency.atLeast) to become visible before graph_unavailable. */
  CONSISTENCY_WAIT_MS: positiveInt(2_000),
  /**
   * Bound of the decision memo, in characters of its keys and answers as JSON (16 Mi): the same input to the same
   * bundle is answered without evaluating again (the policy is pure; the input carries the graph slice). 0: off.
   * Answers are held as objects, about 2.5 bytes of heap per character counted, so 16 Mi keeps the memo near 40 MiB;
   * unique traffic (every checkout its own order) gains nothing from a larger one, while it costs resident memory.
   */
  DECISION_MEMO_MAX_CHARS: memoBound.optional(),
  /** Deprecated name of DECISION_MEMO_MAX_CHARS (it never counted bytes): honoured, with a warning at start-up. */
  DECISION_MEMO_MAX_BYTES: memoBound.optional(),
  /** Users kept in process (their status is part of every slice). */
  CACHE_MAX_USERS: positiveInt(100_000),
  /** Connections to PostgreSQL per process (the change listener is one more, or none behind a Redis relay). */
  PG_POOL_MAX: positiveInt(10),
  /** How often the change listener proves it is still connected; cached data is confirmed current this often. */
  GRAPH_HEARTBEAT_MS: positiveInt(1_000),
  /** Prefix of every Redis key and channel, so several stores can share one Redis. */
  REDIS_KEY_PREFIX: z.string().min(1).default("b2b-authz:"),
  /** Lease of the sidecar that relays PostgreSQL changes to Redis; a dead relay is replaced within it. */
  REDIS_RELAY_LEASE_MS: positiveInt(5_000),
  /** Embedded PostgreSQL (no DATABASE_URL): a directory to keep its data in; unset, in memory with the demo graph. */
  EMBEDDED_DATA_DIR: z.string().min(1).optional(),
  /** Embedded PostgreSQL: the loopback port it accepts `psql`/`pg` connections on (0: any free port, logged). */
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  /** Input fields replaced by "***" in decision logs (dot paths). */
  DECISION_LOG_MASK: z
    .string()
    .default("")
    .transform((s) => s.split(",").map((p) => p.trim()).filter(Boolean)),
  /**
   * HTTP worker processes sharing the port (node:cluster): "auto" is one per core. More than one needs
   * DATABASE_URL (the embedded PostgreSQL lives in a single process).
   */
  WORKERS: z
    .union([z.literal("auto"), z.coerce.number().int().min(1).max(64)])
    .default(1),
  /** Where decision log events go: "stdout" (with the application log), "stderr", a file path of their own, or "off". */
  DECISION_LOG: z.string().min(1).default("stdout"),
  /**
   * What a decision does when the decision log's bounded buffer is full because its destination does not keep up:
   * "block" waits for the writer (no event is lost; the sidecar slows to its destination's pace), "drop" drops the
   * event and counts it (b2b_authz_decision_log_dropped_total).
   */
  DECISION_LOG_OVERFLOW: z.enum(["block", "drop"]).default("block"),
  /** How often the bundle file or directory is checked for changes. */
  POLICY_WATCH_INTERVAL_MS: positiveInt(1_000),
  /**
   * A candidate bundle evaluated beside the live one on a share of live decisions, after each answer is sent
   * (shadow evaluation): disagreements are counted and logged, never served. Watched like POLICY_BUNDLE.
   */
  POLICY_SHADOW_BUNDLE: z.string().min(1).optional(),
  /** The share of live decisions the shadow candidate evaluates, 0..1. */
  POLICY_SHADOW_SAMPLE: z.coerce.number().min(0).max(1).default(1),
  /** Decisions waiting for the shadow candidate at most; a sampled decision beyond it is dropped and counted. */
  POLICY_SHADOW_QUEUE: positiveInt(1_000),
});

/** A setting read under an old name: start-up logs a warning naming its replacement (README, Configuration). */
export interface DeprecatedSetting {
  setting: string;
  replacement: string;
}

type Settings = z.output<typeof settingsSchema>;

/** The verification config of the settings (bundle-signature.ts), or undefined when no key is configured. */
function bundleVerification(settings: Settings, ctx: z.RefinementCtx): BundleVerification | undefined {
  const { POLICY_VERIFICATION_KEYS: keys, POLICY_VERIFICATION_KEY: single, POLICY_SIGNING_ALG: algorithm } = settings;
  const scope = settings.POLICY_VERIFICATION_SCOPE;
  if (keys && single) {
    ctx.addIssue({ code: "custom", path: ["POLICY_VERIFICATION_KEY"], message: "set POLICY_VERIFICATION_KEYS or POLICY_VERIFICATION_KEY, not both" });
    return undefined;
  }
  if (keys) {
    const keyId = settings.POLICY_VERIFICATION_KEY_ID;
    if (keyId !== undefined && !keys.has(keyId)) {
      ctx.addIssue({ code: "custom", path: ["POLICY_VERIFICATION_KEY_ID"], message: `no key "${keyId}" in POLICY_VERIFICATION_KEYS` });
    }
    return { keys, keyId, scope };
  }
  if (!single) return undefined;
  const keyId = settings.POLICY_VERIFICATION_KEY_ID ?? "default";
  try {
    // As OPA's --verification-key: PEM text, else (for RSA/ECDSA) the path of a PEM file.
    const text = algorithm.startsWith("HS") || single.includes("-----BEGIN") ? single : readFileSync(single, "utf8");
    return { keys: new Map([[keyId, verificationKey(algorithm, text, undefined)]]), keyId, scope };
  } catch (error) {
    ctx.addIssue({ code: "custom", path: ["POLICY_VERIFICATION_KEY"], message: describeThrown(error) });
    return undefined;
  }
}

export const configSchema = settingsSchema.transform((settings, ctx) => {
  const { DECISION_MEMO_MAX_BYTES, DECISION_MEMO_MAX_CHARS, POLICY_VERIFICATION_KEYS: _keys, POLICY_VERIFICATION_KEY: _key, ...rest } = settings;
  const deprecated: DeprecatedSetting[] = [];
  if (DECISION_MEMO_MAX_BYTES !== undefined) deprecated.push({ setting: "DECISION_MEMO_MAX_BYTES", replacement: "DECISION_MEMO_MAX_CHARS" });
  if (rest.POLICY_BUNDLE_MAX_DELAY_SECONDS < rest.POLICY_BUNDLE_MIN_DELAY_SECONDS) {
    ctx.addIssue({ code: "custom", path: ["POLICY_BUNDLE_MAX_DELAY_SECONDS"], message: "must not be below POLICY_BUNDLE_MIN_DELAY_SECONDS" });
  }
  return {
    ...rest,
    DECISION_MEMO_MAX_CHARS: DECISION_MEMO_MAX_CHARS ?? DECISION_MEMO_MAX_BYTES ?? DECISION_MEMO_MAX_CHARS_DEFAULT,
    /** Verification keys and their checks; undefined: bundles need no signature. */
    bundleVerification: bundleVerification(settings, ctx),
    deprecated,
  };
});

/** Whether POLICY_BUNDLE names a bundle server rather than a file or directory. */
export const isRemoteBundle = (source: string) => /^https?:\/\//i.test(source);

export type Config = z.output<typeof configSchema>;

/** Validates the environment; a bad value throws naming the variable, and start-up stops with that message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    throw new AuthzError(
      "invalid_request",
      `invalid configuration: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`,
      { details },
    );
  }
  return result.data;
}
