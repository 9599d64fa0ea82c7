import type { Logger } from "pino";
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

export class DecisionLog {
  private readonly mask: DecisionLogMask;

  constructor(
    private readonly logger: Logger,
    maskPaths: readonly string[],
  ) {
    this.mask = new DecisionLogMask(maskPaths);
  }

  /** False when decision events go nowhere (DECISION_LOG=off): callers need not even build one. */
  get enabled(): boolean {
    return this.logger.isLevelEnabled("info");
  }

  write(event: DecisionEvent): void {
    if (!this.enabled) return;
    // Masked values are scrubbed from all the event carries of the request, not only the input (see the mask).
    const { input, scrub } = this.mask.prepare(event.input);
    this.logger.info(
      {
        decision_id: event.decisionId,
        path: event.path,
        input,
        result: scrub(event.result),
        bundles: { b2b: { revision: event.revision, digest: event.digest } },
        graph_token: event.graphToken,
        metrics: { timer_server_handler_ns: event.durationNs },
        ...(event.error ? { error: scrub(event.error) } : {}),
      },
      "decision",
    );
  }
}
