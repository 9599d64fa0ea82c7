import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.ts";

export type { Logger };

/**
 * Two loggers: the application log (requests, lifecycle, errors) and the decision log, a separate stream of
 * OPA-shaped decision events (`"log": "decision"`) that hosts ship to their audit pipeline on their own.
 */
export interface Loggers {
  app: Logger;
  decisions: Logger;
}

export function createLoggers(config: Pick<Config, "LOG_LEVEL">, destination?: DestinationStream): Loggers {
  const app = pino({ level: config.LOG_LEVEL, base: { service: "b2b-authz" } }, destination);
  const decisions = app.child({ log: "decision" }, { level: config.LOG_LEVEL === "silent" ? "silent" : "info" });
  return { app, decisions };
}
