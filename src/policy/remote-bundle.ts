import type { Logger } from "pino";
import { describeThrown } from "../errors.ts";
import { MAX_BUNDLE_BYTES } from "./bundle-reader.ts";
import { BundleRefused } from "./bundle-refusal.ts";
import { BundleStatusTracker } from "./bundle-status.ts";
import { recordOutcome, type BundleWatch } from "./bundle-watcher.ts";
import { persistBundle, readPersistedBundle } from "./persisted-bundle.ts";
import type { PolicyEngine, ReloadOutcome } from "./policy-engine.ts";

/** A bundle served over HTTP as OPA's bundle service protocol has it (GET, ETag, 304), polled with jitter. */
export interface RemoteBundleOptions {
  url: string;
  /** Sent as `Authorization: Bearer …`; never logged, never in status. */
  token?: string | undefined;
  /** OPA's `polling.min_delay_seconds` / `max_delay_seconds`, in ms: each wait is uniform between them. */
  minDelayMs: number;
  maxDelayMs: number;
  /** How long one download may take. */
  timeoutMs: number;
  /** Where the last good bundle is kept (persisted-bundle.ts); unset, nothing is kept. */
  persistDir?: string | undefined;
}

/** The URL as status and logs show it: no user info, no query (it may hold a presigned credential). */
export function displayUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${parsed.search ? "?…" : ""}`;
}

type Download = { status: "not_modified" } | { status: "downloaded"; archive: Uint8Array; etag: string | null };

/** Reads a body up to the bundle bound, so a hostile server cannot fill memory. */
async function readBounded(body: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (body) {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > MAX_BUNDLE_BYTES) throw new BundleRefused("bundle_malformed", `the bundle is larger than ${MAX_BUNDLE_BYTES} bytes`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks);
}

async function download(options: RemoteBundleOptions, etag: string | null): Promise<Download> {
  const headers: Record<string, string> = { accept: "application/gzip, application/octet-stream" };
  if (etag) headers["if-none-match"] = etag;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response: Response;
  try {
    // No redirects: following one could carry the bearer token elsewhere, or downgrade https to http.
    response = await fetch(options.url, { headers, redirect: "error", signal: AbortSignal.timeout(options.timeoutMs) });
  } catch (cause) {
    throw new BundleRefused("bundle_fetch_failed", `GET ${displayUrl(options.url)} failed: ${describeThrown((cause as { cause?: unknown }).cause ?? cause)}`, { cause });
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { status: "not_modified" };
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new BundleRefused("bundle_fetch_failed", `GET ${displayUrl(options.url)} answered ${response.status}`);
  }
  return { status: "downloaded", archive: await readBounded(response.body), etag: response.headers.get("etag") };
}

/**
 * Serves a remote bundle: at start the persisted last good bundle (when there is one for this URL), then a
 * download, then one poll after each wait. A downloaded bundle goes through the engine like a local one (signature,
 * self-check) and is persisted only once activated or found unchanged, so a refused bundle never replaces the last
 * good one on disk. Resolves once a bundle serves, or the first download failed (decisions then fail closed
 * until one succeeds).
 */
export async function pollRemoteBundle(
  engine: PolicyEngine,
  options: RemoteBundleOptions,
  logger?: Logger,
  onReload?: (outcome: ReloadOutcome) => void,
): Promise<BundleWatch> {
  const source = options.url;
  const shown = displayUrl(source);
  const status = new BundleStatusTracker({ source: shown, kind: "http", signed: engine.verifiesSignatures });
  let etag: string | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  if (options.persistDir) {
    try {
      const persisted = await readPersistedBundle(options.persistDir, source);
      if (persisted) {
        const outcome = await engine.reload({ archive: persisted.archive, source: shown });
        onReload?.(outcome);
        if (outcome.status === "activated") {
          status.served("persisted");
          etag = persisted.etag;
          logger?.info({ source: shown, revision: outcome.revision, savedAt: persisted.savedAt }, "serving the persisted policy bundle until the bundle server answers");
        } else if (outcome.status === "rejected") status.failed(outcome.reason, `persisted bundle: ${outcome.error.message}`);
      }
    } catch (err) {
      logger?.warn({ err, dir: options.persistDir }, "persisted policy bundle not readable");
    }
  }

  const poll = async () => {
    try {
      const result = await download(options, etag);
      if (result.status === "not_modified") {
        // The server confirms the bundle we hold, persisted or downloaded.
        if (engine.revision !== null) status.served("source");
        status.succeeded({ etag });
        onReload?.({ status: "unchanged", revision: engine.revision ?? "", digest: engine.digest ?? "" });
        return;
      }
      const outcome = await engine.reload({ archive: result.archive, source: shown });
      onReload?.(outcome);
      recordOutcome(status, outcome, "source", { etag: result.etag });
      if (outcome.status === "rejected") return;
      // A refused bundle keeps the old ETag: the server is asked again in full, and a fixed bundle is seen.
      etag = result.etag;
      status.served("source");
      if (options.persistDir) {
        await persistBundle(options.persistDir, { archive: result.archive, etag, source }).catch((err: unknown) =>
          logger?.warn({ err, dir: options.persistDir }, "cannot persist the policy bundle"),
        );
      }
    } catch (err) {
      const refused = err instanceof BundleRefused ? err : new BundleRefused("bundle_fetch_failed", describeThrown(err), { cause: err });
      status.failed(refused.reason, refused.message);
      logger?.warn({ reason: refused.reason, source: shown, servingRevision: engine.revision, error: refused.message }, "policy bundle download failed; keeping the serving policy");
    }
  };

  const schedule = () => {
    if (stopped) return;
    const delay = options.minDelayMs + Math.random() * (options.maxDelayMs - options.minDelayMs);
    status.scheduled(delay);
    timer = setTimeout(() => void poll().finally(schedule), delay);
    timer.unref();
  };

  const first = poll().finally(schedule);
  // With a persisted bundle serving, start-up does not wait for a server that may be down.
  if (engine.revision === null) await first;
  return {
    status: () => status.current,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
