import type { BundleRefusalReason } from "./bundle-refusal.ts";

/** What `/v1/status` says of the bundle source: where bundles come from, and how the last look at it went. */
export interface BundleSourceStatus {
  /** The file, directory or URL (a URL without credentials or query). */
  source: string;
  kind: "file" | "http";
  /** Whether every bundle must carry a valid signature (verification keys are configured). */
  signed: boolean;
  /** The ETag of the bundle last downloaded (http), sent as If-None-Match. */
  etag: string | null;
  /** Where the serving bundle came from: the source itself, or the last good bundle persisted on disk. */
  servedFrom: "source" | "persisted" | null;
  /** The last time the source was read: a bundle loaded, unchanged, or a 304. */
  lastSuccessAt: string | null;
  /** The last failure: the source unreachable, or a bundle refused. Kept after a later success (compare times). */
  lastError: { at: string; reason: BundleRefusalReason; message: string } | null;
  nextPollAt: string | null;
}

/** The status of one bundle source, updated by its watcher. */
export class BundleStatusTracker {
  private state: BundleSourceStatus;

  constructor(init: Pick<BundleSourceStatus, "source" | "kind" | "signed">) {
    this.state = { ...init, etag: null, servedFrom: null, lastSuccessAt: null, lastError: null, nextPollAt: null };
  }

  get current(): BundleSourceStatus {
    return { ...this.state };
  }

  succeeded(update: Partial<Pick<BundleSourceStatus, "etag" | "servedFrom">> = {}): void {
    this.state = { ...this.state, ...update, lastSuccessAt: new Date().toISOString() };
  }

  served(servedFrom: BundleSourceStatus["servedFrom"]): void {
    this.state = { ...this.state, servedFrom };
  }

  failed(reason: BundleRefusalReason, message: string): void {
    this.state = { ...this.state, lastError: { at: new Date().toISOString(), reason, message } };
  }

  scheduled(delayMs: number): void {
    this.state = { ...this.state, nextPollAt: new Date(Date.now() + delayMs).toISOString() };
  }
}
