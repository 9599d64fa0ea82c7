import { describe, expect, it } from "vitest";
import { DecisionLog, type DecisionEvent } from "../../src/decisions/decision-log.ts";

/**
 * The decision log line is written out field by field around the request's JSON text the service already has
 * (decision-service.ts): it must be exactly the line a JSON.stringify of the event object gives, and a mask must
 * work on a copy, never on the request the service still answers from.
 */
function capture(maskPaths: string[] = []): { log: DecisionLog; lines: string[] } {
  const lines: string[] = [];
  return { log: new DecisionLog({ enabled: true, write: (line) => void lines.push(line) }, maskPaths), lines };
}

const input = {
  subject: { id: "carol", kind: "user" },
  org: "ACME-DE",
  action: "order.place",
  resource: { type: "order", id: "o-1", org: "ACME-DE", buyer: "carol", attributes: { total: 812.5 } },
};
const result = {
  decision: "deny",
  allow: false,
  reasons: [{ code: "over_limit", message: "order total 812.5 over the limit 500 of carol", org: "ACME-DE" }],
};
const event: DecisionEvent = {
  decisionId: "d-1",
  path: "b2b/check/decision",
  input,
  inputJson: JSON.stringify(input),
  result,
  revision: "rev-1",
  digest: "abc",
  graphToken: "g2.x",
  durationNs: 41_000,
};

/** The line as one JSON.stringify of the event object would write it, at the line's own time. */
function expectedLine(line: string, fields: { input: unknown; result: unknown; error?: unknown }, e: DecisionEvent): string {
  const time = (JSON.parse(line) as { time: number }).time;
  return `${JSON.stringify({
    level: 30,
    time,
    service: "b2b-authz",
    log: "decision",
    decision_id: e.decisionId,
    path: e.path,
    input: fields.input,
    result: fields.result,
    bundles: { b2b: { revision: e.revision, digest: e.digest } },
    graph_token: e.graphToken,
    metrics: { timer_server_handler_ns: e.durationNs },
    ...(fields.error ? { error: fields.error } : {}),
    msg: "decision",
  })}\n`;
}

describe("decision log line", () => {
  it("splices in the request's JSON text: the same line, byte for byte, as stringifying the whole event", () => {
    const { log, lines } = capture();
    log.write(event);
    expect(lines).toEqual([expectedLine(lines[0]!, { input, result }, event)]);
  });

  it("writes the same line when the caller has no JSON text of the request, and for a failed decision", () => {
    const { log, lines } = capture();
    const failed: DecisionEvent = { ...event, inputJson: undefined, result: null, revision: null, digest: null, graphToken: null, error: { code: "graph_unavailable", message: "down" } };
    log.write(failed);
    expect(lines).toEqual([expectedLine(lines[0]!, { input, result: null, error: failed.error }, failed)]);
  });

  it("masks on a copy: the text the caller passed is not used, and the request object is left as it was", () => {
    const { log, lines } = capture(["resource.attributes.total", "resource.buyer"]);
    const before = structuredClone(input);
    log.write(event);
    expect(input).toEqual(before);
    const line = JSON.parse(lines[0]!) as { input: typeof input; result: typeof result };
    expect(line.input.resource).toEqual({ type: "order", id: "o-1", org: "ACME-DE", buyer: "***", attributes: { total: "***" } });
    expect(line.result.reasons[0]!.message).toBe("order total *** over the limit 500 of ***");
    expect(lines[0]).not.toContain("812.5");
  });

  it("masks each check of a batch, and a boolean at its path only, without touching the request", () => {
    const { log, lines } = capture(["resource.attributes.rush"]);
    const batch = {
      subject: { id: "carol", kind: "user" },
      org: "ACME-DE",
      checks: [
        { action: "order.view", resource: { type: "order", attributes: { rush: true } } },
        { action: "order.view", resource: { type: "order", attributes: { rush: false } } },
      ],
    };
    const before = structuredClone(batch);
    log.write({ ...event, input: batch, inputJson: JSON.stringify(batch), result: [{ allow: true }] });
    expect(batch).toEqual(before);
    const line = JSON.parse(lines[0]!) as { input: typeof batch; result: unknown };
    expect(line.input.checks.map((c) => c.resource.attributes.rush)).toEqual(["***", "***"]);
    expect(line.result).toEqual([{ allow: true }]);
  });
});
