import type { Logger } from "pino";

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

/** Replaces the value at each dot path of `input` by "***" (OPA's decision log masking), on a copy. */
export function maskInput(input: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0 || input === null || typeof input !== "object") return input;
  const copy = structuredClone(input) as Record<string, unknown>;
  for (const path of paths) {
    const segments = path.split(".");
    let node: unknown = copy;
    for (const [i, segment] of segments.entries()) {
      if (node === null || typeof node !== "object" || !(segment in node)) break;
      const holder = node as Record<string, unknown>;
      if (i === segments.length - 1) holder[segment] = "***";
      else node = holder[segment];
    }
  }
  return copy;
}

export class DecisionLog {
  constructor(
    private readonly logger: Logger,
    private readonly maskPaths: readonly string[],
  ) {}

  /** False when decision events go nowhere (DECISION_LOG=off): callers need not even build one. */
  get enabled(): boolean {
    return this.logger.isLevelEnabled("info");
  }

  write(event: DecisionEvent): void {
    if (!this.enabled) return;
    this.logger.info(
      {
        decision_id: event.decisionId,
        path: event.path,
        input: maskInput(event.input, this.maskPaths),
        result: event.result,
        bundles: { b2b: { revision: event.revision, digest: event.digest } },
        graph_token: event.graphToken,
        metrics: { timer_server_handler_ns: event.durationNs },
        ...(event.error ? { error: event.error } : {}),
      },
      "decision",
    );
  }
}
