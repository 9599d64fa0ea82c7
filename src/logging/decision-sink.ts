import { pino, type DestinationStream } from "pino";

/** What a decision does when the buffer is full (DECISION_LOG_OVERFLOW). */
export type DecisionLogOverflow = "block" | "drop";

/**
 * Where decision events are written: off the main thread, through a bounded buffer (README, Operations: Decision
 * logs). The main thread only hands each serialized line to a pino transport (a worker thread, through a 4 MiB
 * shared ring: thread-stream); the worker writes the file, stdout or stderr.
 *
 * - block (the default): lines are copied into the ring as they are written; when the ring is full the main
 *   thread waits for the worker (Atomics.wait), so nothing is lost and the sidecar slows to its destination.
 * - drop: lines the worker has no room for wait in a backlog of at most DROP_BACKLOG_BYTES; past it a line is
 *   dropped and counted, and the main thread never waits.
 */
export interface DecisionSink {
  readonly stream: DestinationStream;
  /** Events not written: dropped by a full buffer (drop mode) or by a writer that failed. */
  readonly dropped: number;
  /** Resolves once every event written so far is in the destination. */
  flush(): Promise<void>;
  /** Flushes and stops the writer; events written afterwards are dropped. */
  close(): Promise<void>;
}

/** Bound of the drop mode's backlog beyond the ring, in characters of serialized events. */
const DROP_BACKLOG_CHARS = 4 * 1024 * 1024;

type Transport = ReturnType<typeof pino.transport>;

class WorkerSink implements DecisionSink {
  dropped = 0;
  readonly stream: DestinationStream = { write: (line: string) => this.write(line) };
  /** Characters handed to the transport since its ring was last full and drained (drop mode). */
  private backlog = 0;
  private saturated = false;
  private failed = false;
  private closed: Promise<void> | undefined;

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
  }

  private write(line: string): void {
    if (this.failed || this.closed) {
      this.dropped++;
      return;
    }
    if (this.overflow === "drop" && this.saturated) {
      if (this.backlog + line.length > DROP_BACKLOG_CHARS) {
        this.dropped++;
        return;
      }
      this.backlog += line.length;
    }
    // Block mode writes synchronously into the ring, waiting for the worker only when it is full.
    if (!this.transport.write(line)) this.saturated = true;
  }

  flush(): Promise<void> {
    if (this.failed) return Promise.resolve();
    return new Promise((resolve, reject) => this.transport.flush((error) => (error ? reject(error) : resolve())));
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.flush();
      if (this.failed) return;
      await new Promise<void>((resolve) => {
        this.transport.once("close", () => resolve());
        this.transport.end();
      });
    })();
    return this.closed;
  }
}

/** A stream that takes events and writes them nowhere (DECISION_LOG=off). */
const nowhere: DecisionSink = {
  stream: { write: () => undefined },
  dropped: 0,
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/** The sink of DECISION_LOG: "stdout", "stderr", a file path (its directory created), or "off". */
export function createDecisionSink(target: string, overflow: DecisionLogOverflow, onError: (error: Error) => void): DecisionSink {
  if (target === "off") return nowhere;
  const destination = target === "stdout" ? 1 : target === "stderr" ? 2 : target;
  // `sync` is a documented transport option (pino's docs, Transports) that its type declarations lack: the worker
  // stream then writes each line into the ring at once and waits when the ring is full.
  const options = {
    target: "pino/file",
    options: typeof destination === "string" ? { destination, mkdir: true } : { destination },
    sync: overflow === "block",
  };
  const transport = pino.transport(options);
  return new WorkerSink(transport, overflow, onError);
}

/** A caller's own stream (tests): written in the main thread, flushed when it can be. */
export function streamSink(stream: DestinationStream): DecisionSink {
  const flushable = stream as DestinationStream & { flush?: (cb: (error?: Error) => void) => void };
  const flush = () =>
    new Promise<void>((resolve) => {
      if (typeof flushable.flush !== "function") return resolve();
      // A destination not open yet has nothing written to flush.
      try {
        flushable.flush(() => resolve());
      } catch {
        resolve();
      }
    });
  return { stream, dropped: 0, flush, close: flush };
}
