import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.ts";
import { createDecisionSink, streamSink, type DecisionSink } from "./decision-sink.ts";

export type { Logger };

/**
 * Two loggers: the application log (requests, lifecycle, errors) and the decision log, OPA-shaped decision
 * events (`"log": "decision"`) that hosts ship to their audit pipeline on their own: on stdout with the
 * application log, on stderr, in a file of their own, or nowhere (DECISION_LOG=off). Decision events are written
 * by a worker thread through a bounded buffer (decision-sink.ts).
 */
export interface Loggers {
  app: Logger;
  decisions: Logger;
  /** The decision events' writer: its drop count, and flush and close for shutdown. */
  decisionSink: DecisionSink;
}

export function createLoggers(
  config: Pick<Config, "LOG_LEVEL" | "DECISION_LOG"> & Partial<Pick<Config, "DECISION_LOG_OVERFLOW">>,
  destination?: DestinationStream,
): Loggers {
  const app = pino({ level: config.LOG_LEVEL, base: { service: "b2b-authz" } }, destination);
  const off = config.LOG_LEVEL === "silent" || config.DECISION_LOG === "off";
  // Opened on first use: a cluster primary, which decides nothing, starts no writer thread and opens no file.
  let sink: DecisionSink | undefined;
  let decisions: Logger | undefined;
  const openSink = () =>
    (sink ??= destination
      ? streamSink(destination)
      : createDecisionSink(off ? "off" : config.DECISION_LOG, config.DECISION_LOG_OVERFLOW ?? "block", (error) =>
          app.error({ err: error }, "decision log writer failed; its events are counted as dropped"),
        ));
  return {
    app,
    get decisions() {
      return (decisions ??= pino({ level: off ? "silent" : "info", base: { service: "b2b-authz", log: "decision" } }, openSink().stream));
    },
    get decisionSink() {
      return openSink();
    },
  };
}
