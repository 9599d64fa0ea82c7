import { DecisionLogMask } from "./decision-log-mask.ts";

/** One decision event, shaped like OPA's decision log (decision_id, path, input, result, revision, metrics). */
export interface DecisionEvent {
  decisionId: string;
  path: string;
  input: unknown;
  /** `input` as JSON text when the caller has it already (the policy input is built from it): not serialized again. */
  inputJson?: string | undefined;
  result: unknown;
  revision: string | null;
  /** The serving bundle's content digest: tells apart two bundles that declare the same revision. */
  digest: string | null;
  graphToken: string | null;
  durationNs: number;
  error?: { code: string; message: string };
  /** What the endpoint adds, as OPA's compile events carry `custom` (type, unknowns, targets). */
  custom?: Record<string, unknown> | undefined;
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
 * around OPA's. The line is written out directly, not by a logger call: this runs once per decision, and the logger's
 * per-field serialization costs more than the event itself; the request's JSON, already written for the policy
 * input, is reused unless a mask must change it (README, Operations: Decision logs).
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
    if (!this.out.enabled) return;
    // Masked values are scrubbed from all the event carries of the request, not only the input (see the mask).
    let inputJson = event.inputJson;
    let scrub = (value: unknown): unknown => value;
    if (this.mask.enabled || inputJson === undefined) {
      const prepared = this.mask.prepare(event.input);
      inputJson = JSON.stringify(prepared.input);
      scrub = prepared.scrub;
    }
    // Written out field by field, in the order a JSON.stringify of the event object gives, so the request's text
    // is spliced in rather than serialized a second time.
    const custom = event.custom ? `"custom":${JSON.stringify(scrub(event.custom))},` : "";
    const error = event.error ? `"error":${JSON.stringify(scrub(event.error))},` : "";
    const line =
      `{"level":30,"time":${Date.now()},"service":"b2b-authz","log":"decision",` +
      `"decision_id":${JSON.stringify(event.decisionId)},"path":${JSON.stringify(event.path)},"input":${inputJson ?? "null"},` +
      `"result":${JSON.stringify(scrub(event.result)) ?? "null"},` +
      `"bundles":{"b2b":{"revision":${JSON.stringify(event.revision)},"digest":${JSON.stringify(event.digest)}}},` +
      `"graph_token":${JSON.stringify(event.graphToken)},"metrics":{"timer_server_handler_ns":${JSON.stringify(event.durationNs)}},` +
      `${custom}${error}"msg":"decision"}`;
    this.out.write(`${line}\n`);
  }

  /** A shadow disagreement as one line (`log: "shadow"`), masked as a decision event is: both answers scrubbed. */
  writeShadow(event: ShadowEvent): void {
    if (!this.out.enabled) return;
    // Rare (disagreements and failures only), so one JSON.stringify of the event object serves.
    const { input, scrub } = this.mask.prepare(event.input);
    const line = JSON.stringify({
      level: 40,
      time: Date.now(),
      service: "b2b-authz",
      log: "shadow",
      decision_id: event.decisionId,
      path: event.path,
      input,
      result: scrub(event.live),
      candidate_result: scrub(event.candidate),
      bundles: { b2b: { revision: event.liveRevision }, candidate: { revision: event.candidateRevision, digest: event.candidateDigest } },
      differences: scrub(event.differences),
      ...(event.error ? { error: scrub(event.error) } : {}),
      msg: event.error ? "shadow evaluation failed" : "shadow disagreement",
    });
    this.out.write(`${line}\n`);
  }
}
