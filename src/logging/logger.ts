import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.ts";
import { createDecisionSink, streamSink, type DecisionSink } from "./decision-sink.ts";

export type { Logger };

/**
 * The application log (requests, lifecycle, errors), and the sink of the decision log: OPA-shaped decision
 * events (`"log": "decision"`, src/decisions/decision-log.ts) that hosts ship to their audit pipeline on their own:
 * on stdout with the application log, on stderr, in a file of their own, or nowhere (DECISION_LOG=off). Decision
 * events are written by a worker thread through a bounded buffer (decision-sink.ts).
 */
export interface Loggers {
  app: Logger;
  /** The decision events' writer: its drop count, and close for shutdown. */
  decisionSink: DecisionSink;
}

/** `destination` (tests) takes both the application log and the decision events, written in the main thread. */
export function createLoggers(
  config: Pick<Config, "LOG_LEVEL" | "DECISION_LOG"> & Partial<Pick<Config, "DECISION_LOG_OVERFLOW">>,
  destination?: DestinationStream,
): Loggers {
  const off = config.LOG_LEVEL === "silent" || config.DECISION_LOG === "off";
  // Opened on first use: a cluster primary, which decides nothing, starts no writer thread and opens no file.
  let sink: DecisionSink | undefined;
  const decisionSink = () =>
    (sink ??= destination
      ? streamSink(destination, !off)
      : createDecisionSink(off ? "off" : config.DECISION_LOG, config.DECISION_LOG_OVERFLOW ?? "block", (error) =>
          app.error({ err: error }, "decision log writer failed; its events are counted as dropped"),
        ));
  // Sharing stdout with the decision events, the application log goes through their writer: two threads writing
  // one pipe could interleave lines longer than the pipe's atomic write (4 KiB), and a shipper would read broken JSON.
  const sharesStdout = !destination && !off && config.DECISION_LOG === "stdout";
  const app: Logger = pino(
    { level: config.LOG_LEVEL, base: { service: "b2b-authz" } },
    sharesStdout ? { write: (line: string) => decisionSink().write(line) } : destination,
  );
  return {
    app,
    get decisionSink() {
      return decisionSink();
    },
  };
}
