import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { Logger } from "pino";
import type { PolicyEngine, ReloadOutcome } from "./policy-engine.ts";

/**
 * A hash of the bundle file's bytes, or of every file in a bundle directory with its path. By content, not size
 * and time: a copy that kept both (cp -p, rsync -a, a restored image) is still a change. A bundle is ~100 KiB.
 */
async function fingerprint(source: string): Promise<string> {
  const hash = createHash("sha256");
  if (!(await stat(source)).isDirectory()) return hash.update(await readFile(source)).digest("hex");
  const files: string[] = [];
  for (const entry of await readdir(source, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files.push(join(entry.parentPath, entry.name));
  }
  for (const file of files.sort()) {
    const content = await readFile(file);
    hash.update(`${relative(source, file)}\0${content.length}\0`).update(content);
  }
  return hash.digest("hex");
}

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
      const current = await fingerprint(source);
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
