import { DecisionLogMask } from "./decision-log-mask.ts";

/** One decision event, shaped like OPA's decision log (decision_id, path, input, result, revision, metrics). */
export interface DecisionEvent {
  decisionId: string;
  path: string;
  input: unknown;
  result: unknown;
  revision: string | null;
  /** The serving bundle's content digest: tells apart two bundles that declare the same revision. */
  digest: string | null;
  graphToken: string | null;
  durationNs: number;
  error?: { code: string; message: string };
}

/** A shadow evaluation that disagreed with (or failed beside) the live decision: both answers, for review. */
export interface ShadowEvent {
  decisionId: string;
  path: string;
  input: unknown;
  live: unknown;
  candidate: unknown;
  liveRevision: string | null;
  candidateRevision: string | null;
  candidateDigest: string | null;
  differences: readonly { action: string; kind: string; widening: boolean; change: string; index?: number }[];
  error?: { code: string; message: string };
}

/** Where decision events go as lines: the decision log's sink (src/logging/decision-sink.ts), or a test's writer. */
export interface DecisionLogOutput {
  /** False when events go nowhere (DECISION_LOG=off). */
  readonly enabled: boolean;
  write(line: string): void;
}

/**
 * Writes each decision as one JSON line, the fields of a pino line (`level`, `time`, `service`, `log`, `msg`)
 * around OPA's. The line is one JSON.stringify, not a logger call: this runs once per decision, and the logger's
 * per-field serialization costs more than the event itself (README, Operations: Decision logs).
 */
export class DecisionLog {
  private readonly mask: DecisionLogMask;

  constructor(
    private readonly out: DecisionLogOutput,
    maskPaths: readonly string[],
  ) {
    this.mask = new DecisionLogMask(maskPaths);
  }

  /** False when decision events go nowhere (DECISION_LOG=off): callers need not even build one. */
  get enabled(): boolean {
    return this.out.enabled;
  }

  write(event: DecisionEvent): void {
    this.emit(30, "decision", event, "decision", (scrub) => ({
      result: scrub(event.result),
      bundles: { b2b: { revision: event.revision, digest: event.digest } },
      graph_token: event.graphToken,
      metrics: { timer_server_handler_ns: event.durationNs },
    }));
  }

  /** A shadow disagreement as one line (`log: "shadow"`), masked as a decision event is: both answers scrubbed. */
  writeShadow(event: ShadowEvent): void {
    this.emit(40, "shadow", event, event.error ? "shadow evaluation failed" : "shadow disagreement", (scrub) => ({
      result: scrub(event.live),
      candidate_result: scrub(event.candidate),
      bundles: { b2b: { revision: event.liveRevision }, candidate: { revision: event.candidateRevision, digest: event.candidateDigest } },
      differences: scrub(event.differences),
    }));
  }

  /** One line: pino's fields, the event's, and `msg` last. */
  private emit(
    level: number,
    log: string,
    event: { decisionId: string; path: string; input: unknown; error?: { code: string; message: string } | undefined },
    msg: string,
    fields: (scrub: (value: unknown) => unknown) => Record<string, unknown>,
  ): void {
    if (!this.out.enabled) return;
    // Masked values are scrubbed from all the event carries of the request, not only the input (see the mask).
    const { input, scrub } = this.mask.prepare(event.input);
    const line = JSON.stringify({
      level,
      time: Date.now(),
      service: "b2b-authz",
      log,
      decision_id: event.decisionId,
      path: event.path,
      input,
      ...fields(scrub),
      ...(event.error ? { error: scrub(event.error) } : {}),
      msg,
    });
    this.out.write(`${line}\n`);
  }
}
