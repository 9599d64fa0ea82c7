import type { Logger } from "pino";
import { isRemoteBundle, type Config } from "./config.ts";
import { watchPolicyBundle, type BundleWatch } from "./policy/bundle-watcher.ts";
import { PolicyEngine, type ReloadOutcome } from "./policy/policy-engine.ts";
import { pollRemoteBundle } from "./policy/remote-bundle.ts";

/**
 * The policy engine and the watcher of its bundle source (POLICY_BUNDLE: a file, a directory or a bundle server).
 * Without verification keys a local bundle that does not load stops start-up, as a misconfiguration. With keys, or
 * with a bundle server, the sidecar starts without a policy when no valid bundle is there yet: every decision then
 * fails closed (`503 policy_unavailable`), `/health/ready` says the policy is not ready, `/v1/status` says why, and
 * the first valid bundle the watcher sees is activated.
 */
export async function startPolicyEngine(
  config: Config,
  logger?: Logger,
  onReload?: (outcome: ReloadOutcome) => void,
): Promise<{ engine: PolicyEngine; watch: BundleWatch }> {
  const engine = new PolicyEngine({ logger, memoMaxChars: config.DECISION_MEMO_MAX_CHARS, verification: config.bundleVerification });
  const source = config.POLICY_BUNDLE;
  if (isRemoteBundle(source)) {
    const url = new URL(source);
    if (config.POLICY_BUNDLE_TOKEN && url.protocol === "http:" && !["127.0.0.1", "localhost", "[::1]"].includes(url.hostname)) {
      logger?.warn({ host: url.host }, "the bundle server's bearer token is sent over plain http");
    }
    const watch = await pollRemoteBundle(
      engine,
      {
        url: source,
        token: config.POLICY_BUNDLE_TOKEN,
        minDelayMs: config.POLICY_BUNDLE_MIN_DELAY_SECONDS * 1000,
        maxDelayMs: config.POLICY_BUNDLE_MAX_DELAY_SECONDS * 1000,
        timeoutMs: config.POLICY_BUNDLE_TIMEOUT_SECONDS * 1000,
        persistDir: config.POLICY_BUNDLE_PERSIST_DIR,
      },
      logger,
      onReload,
    );
    if (engine.revision === null) logger?.error({ status: watch.status() }, "no valid policy bundle: decisions fail closed until one loads");
    return { engine, watch };
  }
  const outcome = await engine.reload(source);
  onReload?.(outcome);
  if (outcome.status === "rejected") {
    if (!engine.verifiesSignatures) throw outcome.error;
    logger?.error({ reason: outcome.reason, source }, "no valid signed policy bundle: decisions fail closed until one loads");
  }
  return { engine, watch: watchPolicyBundle(engine, source, config.POLICY_WATCH_INTERVAL_MS, logger, onReload) };
}

/**
 * The shadow candidate (POLICY_SHADOW_BUNDLE), loaded and watched like a local live bundle. A candidate that does
 * not load is logged and shadows nothing until a good one appears: it never keeps the sidecar from serving.
 */
export async function startShadowEngine(config: Config, logger?: Logger): Promise<{ engine: PolicyEngine; watch: BundleWatch } | undefined> {
  const source = config.POLICY_SHADOW_BUNDLE;
  if (!source) return undefined;
  const shadowLogger = logger?.child({ component: "shadow" });
  const engine = new PolicyEngine({ logger: shadowLogger });
  const outcome = await engine.reload(source);
  if (outcome.status === "rejected") shadowLogger?.error({ reason: outcome.reason, source }, "the shadow candidate did not load: nothing is shadowed until it does");
  else logger?.info({ source, revision: engine.revision, sample: config.POLICY_SHADOW_SAMPLE }, "shadow evaluation on");
  return { engine, watch: watchPolicyBundle(engine, source, config.POLICY_WATCH_INTERVAL_MS, shadowLogger) };
}
