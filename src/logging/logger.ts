import { pino, type DestinationStream, type Logger } from "pino";
import type { Config } from "../config.ts";

export type { Logger };

/**
 * Two loggers: the application log (requests, lifecycle, errors) and the decision log, OPA-shaped decision
 * events (`"log": "decision"`) that hosts ship to their audit pipeline on their own: on stdout with the
 * application log, on stderr, in a file of their own, or nowhere (DECISION_LOG=off).
 */
export interface Loggers {
  app: Logger;
  decisions: Logger;
}

function decisionDestination(target: string): DestinationStream {
  if (target === "stdout") return pino.destination({ fd: 1, sync: false });
  if (target === "off") return pino.destination({ dest: "/dev/null", sync: false });
  if (target === "stderr") return pino.destination({ fd: 2, sync: false });
  return pino.destination({ dest: target, mkdir: true, sync: false });
}

export function createLoggers(config: Pick<Config, "LOG_LEVEL" | "DECISION_LOG">, destination?: DestinationStream): Loggers {
  const app = pino({ level: config.LOG_LEVEL, base: { service: "b2b-authz" } }, destination);
  const decisionLevel = config.LOG_LEVEL === "silent" || config.DECISION_LOG === "off" ? "silent" : "info";
  const decisions = pino(
    { level: decisionLevel, base: { service: "b2b-authz", log: "decision" } },
    destination ?? decisionDestination(config.DECISION_LOG),
  );
  return { app, decisions };
}
