import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { PolicyEngine, ReloadOutcome } from "./policy-engine.ts";

/** Size and modification time of the bundle file, or of every file in a bundle directory. */
async function fingerprint(source: string): Promise<string> {
  const info = await stat(source);
  if (!info.isDirectory()) return `${info.size}:${info.mtimeMs}`;
  const parts: string[] = [];
  for (const entry of await readdir(source, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const file = await stat(path);
    parts.push(`${path}:${file.size}:${file.mtimeMs}`);
  }
  return parts.sort().join("|");
}

/**
 * Polls the bundle source and reloads the engine when it changes. Polling (rather than fs.watch) sees replaced
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
      const current = await fingerprint(source);
      if (last !== undefined && current !== last) {
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
