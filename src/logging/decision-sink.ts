import { pino } from "pino";

/** What a decision does when the buffer is full (DECISION_LOG_OVERFLOW). */
export type DecisionLogOverflow = "block" | "drop";

/**
 * Where decision events are written: off the main thread, through a bounded buffer (README, Operations: Decision
 * logs). The main thread only hands serialized lines to a pino transport, a worker thread fed through a 4 MiB
 * shared ring (thread-stream); the worker writes the file, stdout or stderr (pino/file, with back-pressure from
 * the destination: it reads no more from the ring while the destination's own buffer is full).
 *
 * - block (the default): the lines of BATCH_MS are joined and copied into the ring at once (or as soon as
 *   BATCH_CHARS have gathered); when the ring is full the main thread waits for the worker (Atomics.wait), so
 *   nothing is lost and the sidecar slows to its destination's pace. Every copy into the ring wakes the worker
 *   (a futex call on each side): one per turn of the event loop cost more under load than the copy itself.
 *   Lines waiting in the batch are handed over by flush, close and on process exit, like those in the ring.
 * - drop: lines the ring has no room for wait in a backlog of at most DROP_BACKLOG_CHARS; past it a line is
 *   dropped and counted, and the main thread never waits.
 */
export interface DecisionSink {
  /** False when events go nowhere (DECISION_LOG=off): callers need not even build one. */
  readonly enabled: boolean;
  /** One serialized event, ending with a newline. */
  write(line: string): void;
  /**
   * Events not written: dropped by a full buffer (drop mode), or given to a writer that had failed (the events in
   * its buffer when it failed are lost with it, uncounted; the application log says it failed).
   */
  readonly dropped: number;
  /**
   * Resolves once every event written so far is handed to the destination's stream in the worker (whose own
   * writes may still be in flight): for a live process. At shutdown, close.
   */
  flush(): Promise<void>;
  /** Resolves once every event written so far is in the destination and the writer has stopped; later events are dropped. */
  close(): Promise<void>;
}

/** Block mode: how long lines gather before they are copied into the ring, and how many characters at most. */
const BATCH_MS = 5;
const BATCH_CHARS = 64 * 1024;
/** Bound of the drop mode's backlog beyond the ring, in characters of serialized events. */
const DROP_BACKLOG_CHARS = 4 * 1024 * 1024;

type Transport = ReturnType<typeof pino.transport>;

class WorkerSink implements DecisionSink {
  readonly enabled = true;
  dropped = 0;
  /** Block mode: this turn's lines, not yet in the ring. */
  private batch = "";
  private batchLines = 0;
  private batchTimer: NodeJS.Timeout | undefined;
  /** Drop mode: characters handed to the transport since its ring was last full and drained. */
  private backlog = 0;
  private saturated = false;
  private failed = false;
  private closed: Promise<void> | undefined;
  private readonly writeBatch = () => {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const { batch, batchLines } = this;
    this.batch = "";
    this.batchLines = 0;
    if (!batch) return;
    // The ring is written synchronously: this waits for the worker only when the ring is full. A sync write
    // answers false only when the writer has failed.
    if (this.failed || !this.transport.write(batch)) this.dropped += batchLines;
  };

  constructor(
    private readonly transport: Transport,
    private readonly overflow: DecisionLogOverflow,
    onError: (error: Error) => void,
  ) {
    // An error event without a listener would end the process: the writer's failure is logged and its events
    // counted as dropped, while decisions go on being answered.
    transport.on("error", (error: Error) => {
      this.failed = true;
      onError(error);
    });
    transport.on("drain", () => {
      this.saturated = false;
      this.backlog = 0;
    });
    // A process that exits without a shutdown (process.exit, a crash) still hands this turn's lines over. pino
    // writes the transport out on exit in a listener of its own, so this one goes first.
    process.prependOnceListener("exit", this.writeBatch);
  }

  write(line: string): void {
    if (this.failed || this.closed) {
      this.dropped++;
      return;
    }
    if (this.overflow === "block") {
      this.batch += line;
      this.batchLines++;
      if (this.batch.length >= BATCH_CHARS) this.writeBatch();
      // Unref'd: waiting lines never keep a process alive, the exit listener hands them over.
      else this.batchTimer ??= setTimeout(this.writeBatch, BATCH_MS).unref();
      return;
    }
    if (this.saturated) {
      if (this.backlog + line.length > DROP_BACKLOG_CHARS) {
        this.dropped++;
        return;
      }
      this.backlog += line.length;
    }
    if (!this.transport.write(line)) this.saturated = true;
  }

  flush(): Promise<void> {
    if (this.failed || this.closed) return Promise.resolve();
    this.writeBatch();
    return new Promise((resolve, reject) => this.transport.flush((error) => (error ? reject(error) : resolve())));
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.writeBatch();
      process.off("exit", this.writeBatch);
      if (this.failed) return resolve();
      // The transport finishes once the worker has written every line and closed its destination.
      this.transport.once("finish", () => resolve());
      this.transport.once("close", () => resolve());
      this.transport.end();
    });
    return this.closed;
  }
}

/** Takes events and writes them nowhere (DECISION_LOG=off). */
const nowhere: DecisionSink = {
  enabled: false,
  write: () => undefined,
  dropped: 0,
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** The sink of DECISION_LOG: "stdout", "stderr", a file path (its directory created), or "off". */
export function createDecisionSink(target: string, overflow: DecisionLogOverflow, onError: (error: Error) => void): DecisionSink {
  if (target === "off") return nowhere;
  const destination = target === "stdout" ? 1 : target === "stderr" ? 2 : target;
  // `sync` is a documented transport option (pino's docs, Transports) that its type declarations lack: the worker
  // stream then copies each write into the ring at once and waits when the ring is full.
  const options = {
    target: "pino/file",
    options: typeof destination === "string" ? { destination, mkdir: true } : { destination },
    sync: overflow === "block",
  };
  return new WorkerSink(pino.transport(options), overflow, onError);
}

/** A caller's own line writer (tests): written in the main thread, flushed when it can be. */
export function streamSink(stream: { write(line: string): unknown; flush?: (cb: (error?: Error) => void) => void }, enabled = true): DecisionSink {
  const flush = () =>
    new Promise<void>((resolve) => {
      if (typeof stream.flush !== "function") return resolve();
      // A destination not open yet has nothing written to flush.
      try {
        stream.flush(() => resolve());
      } catch {
        resolve();
      }
    });
  if (!enabled) return nowhere;
  return { enabled: true, write: (line) => void stream.write(line), dropped: 0, flush, close: flush };
}
