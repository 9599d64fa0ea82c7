/** What a change feed tells the cache. */
export interface ChangeSink {
  /** A key ('t:<root>', 'u:<id>', 'roles', 'staff', 'all') reached `version`. */
  change(key: string, version: number, source: ChangeSource): void;
  /** Changes may have been missed (new connection, new relay): re-check everything cached. */
  resync(): Promise<void>;
}

/** `local`: this process's own writes; `fallback`: a sidecar's own listener while no relay is heard through Redis. */
export type ChangeSource = "postgres" | "redis" | "fallback" | "local";

export interface FeedStatus {
  mode: "postgres" | "redis" | "redis+postgres";
  connected: boolean;
  /** Every change committed before this time (ms since epoch) has been delivered. */
  freshAsOf: number;
  relay?: boolean;
}

export interface ChangeFeed {
  freshAsOf(): number;
  status(): FeedStatus;
  close(): Promise<void>;
}

/**
 * One listening connection to the store (src/store/change-listener.ts): what a Redis relay or a sidecar's own
 * fallback runs, so the cache's Redis feed needs no SQL of its own.
 */
export interface StoreListener extends ChangeFeed {
  /** Resolves once listening (or after the first failed attempt: it keeps retrying in the background). */
  start(): Promise<void>;
  /** The identity of the store the listening connection reaches ('' before it first connected). */
  readonly store: string;
  /** The identity it reached before, when the store was replaced under it. */
  readonly replacedStore: string | undefined;
}

/** Opens a listener that tells `sink` of every change, labelled `source`. */
export type ListenerFactory = (sink: ChangeSink, source: ChangeSource) => StoreListener;
