import type { Logger } from "pino";
import { describeThrown } from "../errors.ts";
import { bundleFingerprint } from "./bundle-reader.ts";
import { BundleStatusTracker, type BundleSourceStatus } from "./bundle-status.ts";
import type { PolicyEngine, ReloadOutcome } from "./policy-engine.ts";

/** A running watcher of a bundle source: its status for `/v1/status`, and how to stop it. */
export interface BundleWatch {
  status(): BundleSourceStatus;
  stop(): void;
}

/**
 * Records a reload's outcome in the source's status (the engine has logged it already): a refusal is the last
 * error, anything else a success.
 */
export function recordOutcome(
  status: BundleStatusTracker,
  outcome: ReloadOutcome,
  servedFrom: BundleSourceStatus["servedFrom"],
  update: Partial<Pick<BundleSourceStatus, "etag">> = {},
): void {
  if (outcome.status === "rejected") return status.failed(outcome.reason, outcome.error.message);
  if (outcome.status === "activated") status.served(servedFrom);
  status.succeeded(update);
}

/**
 * Polls the bundle source and reloads the engine when its content changes; the engine then compares the bundle's
 * digest with the serving one, so a bundle that kept its manifest revision is activated all the same. Polling (rather than fs.watch) sees replaced
 * files, renamed directories and network filesystems alike; a reload swaps only a bundle that passed its
 * self-check (and its signature check, with keys), so a half-written file is rejected and retried on the next change.
 */
export function watchPolicyBundle(
  engine: PolicyEngine,
  source: string,
  intervalMs: number,
  logger?: Logger,
  onReload?: (outcome: ReloadOutcome) => void,
): BundleWatch {
  const status = new BundleStatusTracker({ source, kind: "file", signed: engine.verifiesSignatures });
  if (engine.revision !== null) status.served("source");
  let last: string | undefined;
  /** Whether the bundle last seen was refused: seeing it again is no success. */
  let refused = false;
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try {
      const current = await bundleFingerprint(source);
      // The first look reloads too: the bundle may have changed since the engine read it, and the engine keeps
      // the serving one when its digest is the same.
      if (current !== last) {
        const outcome = await engine.reload(source);
        recordOutcome(status, outcome, "source");
        refused = outcome.status === "rejected";
        onReload?.(outcome);
      } else if (!refused) status.succeeded();
      last = current;
    } catch (err) {
      status.failed("bundle_unreadable", describeThrown(err));
      logger?.warn({ err, source }, "policy bundle not readable; keeping the serving policy");
    } finally {
      status.scheduled(intervalMs);
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { status: () => status.current, stop: () => clearInterval(timer) };
}
