import type { Logger } from "pino";
import { bundleFingerprint } from "./bundle-reader.ts";
import type { PolicyEngine, ReloadOutcome } from "./policy-engine.ts";

/**
 * Polls the bundle source and reloads the engine when its content changes; the engine then compares the bundle's
 * digest with the serving one, so a bundle that kept its manifest revision is activated all the same. Polling (rather than fs.watch) sees replaced
 * files, renamed directories and network filesystems alike; a reload swaps only a bundle that passed its
 * self-check, so a half-written file is rejected and retried on the next change.
 */
export function watchPolicyBundle(
  engine: PolicyEngine,
  source: string,
  intervalMs: number,
  logger?: Logger,
  onReload?: (outcome: ReloadOutcome) => void,
): { stop(): void } {
  let last: string | undefined;
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
        onReload?.(outcome);
      }
      last = current;
    } catch (err) {
      logger?.warn({ err, source }, "policy bundle not readable; keeping the serving policy");
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
