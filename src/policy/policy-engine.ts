import { loadPolicy, type LoadedPolicy } from "@open-policy-agent/opa-wasm";
import type { Logger } from "pino";
import { AuthzError, toAuthzError } from "../errors.ts";
import { readPolicyBundle, type BundleInput, type PolicyBundle } from "./bundle-reader.ts";
import { refusalReasonOf, type BundleRefusalReason } from "./bundle-refusal.ts";
import type { BundleVerification } from "./bundle-signature.ts";
import { DecisionMemo, memoKey, type MemoStats } from "./decision-memo.ts";
import { entrypoints, type EntrypointName, type EntrypointResult } from "./entrypoints.ts";
import { selfCheckInputs } from "./self-check.ts";

/** A bundle that loaded, passed its self-check and serves decisions. */
interface ActivePolicy {
  policy: LoadedPolicy;
  /** The bundle's data document (catalog, role templates), for reads such as listing built-in roles. */
  data: Record<string, unknown>;
  revision: string;
  /** The content digest: a bundle is new when this differs, whatever revision it declares. */
  digest: string;
  source: string;
  activatedAt: Date;
  /** Answers of this bundle only: a swap starts a new, empty memo. */
  memo: DecisionMemo;
}

export interface EngineOptions {
  logger?: Logger | undefined;
  /** Bound of the decision memo in characters of keys and answers; 0 (the default) evaluates every call. */
  memoMaxChars?: number | undefined;
  /** Verification keys: every bundle loaded must then carry a valid signature, or it is refused. */
  verification?: BundleVerification | undefined;
}

/** A policy input for the memo: a key that determines the input, and the input's JSON text on demand. */
export interface PolicyInput {
  key: string;
  json(): string;
}

export interface PolicyInfo {
  revision: string;
  digest: string;
  source: string;
  activatedAt: string;
  entrypoints: string[];
}

export type ReloadOutcome =
  | { status: "activated"; revision: string; digest: string; previousRevision: string | null }
  | { status: "unchanged"; revision: string; digest: string }
  | { status: "rejected"; error: AuthzError; reason: BundleRefusalReason; servingRevision: string | null };

const encoder = new TextEncoder();

/** Initial Wasm memory in 64 KiB pages: room for a 500-org slice without growing on the first requests. */
const INITIAL_MEMORY_PAGES = 64;

/**
 * Evaluates the compiled policy in process. Every failure of the Wasm SDK (which throws strings and plain objects)
 * becomes an AuthzError `policy_unavailable`; every result is checked against its entrypoint's schema, so a caller
 * never sees an unchecked answer and an internal failure can never read as allow.
 */
export class PolicyEngine {
  private active: ActivePolicy | null = null;
  private readonly logger: Logger | undefined;
  private readonly memoMaxChars: number;
  private readonly verification: BundleVerification | undefined;

  constructor(options: EngineOptions = {}) {
    this.logger = options.logger;
    this.memoMaxChars = options.memoMaxChars ?? 0;
    this.verification = options.verification;
  }

  /** Whether bundles must be signed (verification keys are configured). */
  get verifiesSignatures(): boolean {
    return this.verification !== undefined;
  }

  /** Loads the bundle at `source` and activates it; throws when it cannot be loaded or fails its self-check. */
  static async start(source: BundleInput, options: EngineOptions = {}): Promise<PolicyEngine> {
    const engine = new PolicyEngine(options);
    const outcome = await engine.reload(source);
    if (outcome.status === "rejected") throw outcome.error;
    return engine;
  }

  get info(): PolicyInfo | null {
    const active = this.active;
    if (!active) return null;
    return {
      revision: active.revision,
      digest: active.digest,
      source: active.source,
      activatedAt: active.activatedAt.toISOString(),
      entrypoints: Object.values(entrypoints).map((e) => e.path),
    };
  }

  get revision(): string | null {
    return this.active?.revision ?? null;
  }

  get digest(): string | null {
    return this.active?.digest ?? null;
  }

  /** The active bundle's decision memo: entries, bytes, hits and misses since it was activated. */
  get memoStats(): MemoStats | null {
    return this.active?.memo.stats ?? null;
  }

  /**
   * Loads `input` (default: the current source), verifies its signature when keys are configured, and swaps it in
   * only after it loaded and passed the self-check. On any failure the previous policy keeps serving (or, with
   * none, decisions keep failing closed) and the outcome says why.
   */
  async reload(input: BundleInput | undefined = this.active?.source): Promise<ReloadOutcome> {
    if (!input) throw new AuthzError("policy_unavailable", "no policy bundle source given");
    const source = typeof input === "string" ? input : input.source;
    const previousRevision = this.active?.revision ?? null;
    try {
      const bundle = await readPolicyBundle(input, { verification: this.verification });
      // By content: a rebuilt policy that kept its manifest revision is still a new policy.
      if (this.active && bundle.digest === this.active.digest && bundle.source === this.active.source) {
        return { status: "unchanged", revision: bundle.revision, digest: bundle.digest };
      }
      const candidate = await instantiate(bundle, new DecisionMemo(this.memoMaxChars));
      selfCheck(candidate);
      this.active = candidate;
      this.logger?.info({ revision: candidate.revision, digest: candidate.digest, source, previousRevision }, "policy activated");
      return { status: "activated", revision: candidate.revision, digest: candidate.digest, previousRevision };
    } catch (thrown) {
      const error = toAuthzError(thrown, "policy_unavailable", `policy bundle ${source} rejected`);
      const reason = refusalReasonOf(thrown);
      this.logger?.error({ err: error, reason, source, servingRevision: previousRevision }, "policy reload rejected");
      return { status: "rejected", error, reason, servingRevision: previousRevision };
    }
  }

  /** The value at a dot path of the active bundle's data (e.g. "b2b.templates.roles"), or undefined. */
  bundleData(path: string): unknown {
    let node: unknown = this.active?.data;
    for (const key of path.split(".")) {
      if (node === null || typeof node !== "object") return undefined;
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  }

  /** Evaluates one entrypoint; the input is the request plus its graph slice (policies/README.md). */
  evaluate<E extends EntrypointName>(name: E, input: unknown): EntrypointResult<E> {
    const active = this.active;
    if (!active) throw new AuthzError("policy_unavailable", "no policy is loaded");
    return evaluateOn(active, name, input);
  }

  /** The same, with the input already serialized as JSON text (the SDK then copies bytes, no stringify). */
  evaluateJson<E extends EntrypointName>(name: E, inputJson: string): EntrypointResult<E> {
    return this.evaluateInput(name, { key: inputJson, json: () => inputJson });
  }

  /**
   * The same, answered from the active bundle's memo when it answered the same input before: `input.key` must
   * determine the input text (the text itself will do), and `input.json()` is only called on a miss.
   */
  evaluateInput<E extends EntrypointName>(name: E, input: PolicyInput): EntrypointResult<E> {
    const active = this.active;
    if (!active) throw new AuthzError("policy_unavailable", "no policy is loaded");
    if (!active.memo.enabled) return evaluateOn(active, name, encoder.encode(input.json()).buffer);
    const key = memoKey(entrypoints[name].path, input.key);
    const known = active.memo.get(key);
    if (known !== undefined) return known as EntrypointResult<E>;
    const result = evaluateOn(active, name, encoder.encode(input.json()).buffer);
    active.memo.set(key, result);
    return result;
  }
}

async function instantiate(bundle: PolicyBundle, memo: DecisionMemo): Promise<ActivePolicy> {
  let policy: LoadedPolicy;
  try {
    policy = await loadPolicy(bundle.wasm, { initial: INITIAL_MEMORY_PAGES });
    policy.setData(bundle.data);
  } catch (thrown) {
    throw toAuthzError(thrown, "policy_unavailable", "cannot instantiate policy.wasm");
  }
  const compiled = policy.entrypoints as Record<string, number>;
  const missing = Object.values(entrypoints)
    .map((e) => e.path)
    .filter((path) => !(path in compiled));
  if (missing.length > 0) {
    throw new AuthzError("policy_unavailable", `policy bundle lacks entrypoints: ${missing.join(", ")}`);
  }
  return {
    policy,
    data: bundle.data,
    revision: bundle.revision,
    digest: bundle.digest,
    source: bundle.source,
    activatedAt: new Date(),
    memo,
  };
}

function evaluateOn<E extends EntrypointName>(active: ActivePolicy, name: E, input: unknown): EntrypointResult<E> {
  const { path, result: schema } = entrypoints[name];
  let resultSet: unknown;
  try {
    resultSet = active.policy.evaluate(input, path);
  } catch (thrown) {
    throw toAuthzError(thrown, "policy_unavailable", `evaluating ${path} failed`);
  }
  const first: unknown = Array.isArray(resultSet) ? resultSet[0] : undefined;
  if (first === null || typeof first !== "object" || !("result" in first)) {
    throw new AuthzError("policy_unavailable", `${path} is undefined for this input (revision ${active.revision})`);
  }
  const parsed = schema.safeParse(first.result);
  if (!parsed.success) {
    throw new AuthzError("policy_unavailable", `${path} answered an unexpected shape: ${parsed.error.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data as EntrypointResult<E>;
}

/** Every entrypoint must answer, in shape, and must not allow a subject the graph does not know. */
function selfCheck(candidate: ActivePolicy): void {
  for (const [name, input] of Object.entries(selfCheckInputs) as [EntrypointName, unknown][]) {
    const result: unknown = evaluateOn(candidate, name, input);
    const answers = Array.isArray(result) ? result : [result];
    for (const answer of answers) {
      const allowed =
        (answer as { allow?: unknown }).allow === true || (answer as { kind?: unknown }).kind === "always_allowed";
      if (allowed) throw new AuthzError("policy_unavailable", `self-check: ${entrypoints[name].path} allowed an unknown subject`);
    }
  }
}
