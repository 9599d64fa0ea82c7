import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecisionLog } from "../../src/decisions/decision-log.ts";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";
import { eventually } from "../store/graph-test-support.ts";

/**
 * DECISION_LOG_MASK masks a value in the whole decision event, not only at its path in the input: the policy's
 * reasons echo input values (the order total of an over_limit reason, the id of an unknown subject), and so may any
 * reason written later. Over the real decision path: sidecar, PostgreSQL, Redis, the compiled policy.
 */
type Event = Record<string, any>;
const events: Event[] = [];
const capture = () =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) {
        if (!line.trim()) continue;
        const parsed = JSON.parse(line) as Event;
        if (parsed.log === "decision") events.push(parsed);
      }
      done();
    },
  });

let t: TestSidecar;

beforeAll(async () => {
  t = await startTestSidecar(
    "log_masking",
    {
      LOG_LEVEL: "info",
      DECISION_LOG_MASK: "resource.attributes.total,subject.id,resource.attributes.costCenter,resource.buyer",
    },
    capture(),
  );
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument })).status).toBe(200);
});
afterAll(async () => {
  await t?.sidecar.close();
});

async function eventOf(decisionId: string): Promise<Event> {
  await eventually(() => events.some((e) => e.decision_id === decisionId), "the decision event is written");
  return events.find((e) => e.decision_id === decisionId)!;
}

/** The event's text, and every number in it (as values, not text). */
function textAndNumbers(event: Event): { text: string; numbers: number[] } {
  const numbers: number[] = [];
  const text = JSON.stringify(event, (_key, value: unknown) => {
    if (typeof value === "number") numbers.push(value);
    return value;
  });
  return { text, numbers };
}

describe("decision log masking over the whole event", () => {
  it("masks the order total in the over_limit reason, and the buyer wherever it appears", async () => {
    const res = await t.call("POST", "/v1/check", {
      key: CHECK_KEY,
      body: {
        subject: { id: "carol" },
        org: "ACME-DE",
        action: "order.place",
        resource: { type: "order", id: "ord-CC-ALPHA-991-7", org: "ACME-DE", buyer: "carol", attributes: { total: 8317.25, costCenter: "CC-ALPHA-991" } },
      },
    });
    expect(res.body.decision).toBe("approval_required");
    // The answer itself is not masked: the reason carries the total.
    expect(JSON.stringify(res.body.reasons)).toContain("8317.25");
    const event = await eventOf(res.body.decisionId);
    const { text, numbers } = textAndNumbers(event);
    expect(text).not.toContain("8317.25");
    expect(numbers).not.toContain(8317.25);
    expect(text).not.toContain("carol");
    expect(text).not.toContain("CC-ALPHA-991");
    // Masked in place, structure kept: what the event is for still reads.
    expect(event.input.resource.attributes).toEqual({ total: "***", costCenter: "***" });
    expect(event.input.resource.id).toBe("ord-***-7");
    expect(event.result.decision).toBe("approval_required");
    expect(event.result.reasons.map((r: { code: string }) => r.code)).toContain("over_limit");
    expect(event.result.reasons.find((r: { code: string }) => r.code === "over_limit").total).toBe("***");
    expect(event.input.org).toBe("ACME-DE");
  });

  it("masks an unknown subject's id in the reason and its message", async () => {
    const res = await t.call("POST", "/v1/check", {
      key: CHECK_KEY,
      body: { subject: { id: "zed-unknown-4711" }, org: "ACME-DE", action: "order.view" },
    });
    expect(JSON.stringify(res.body.reasons)).toContain("zed-unknown-4711");
    const event = await eventOf(res.body.decisionId);
    expect(JSON.stringify(event)).not.toContain("zed-unknown-4711");
    const reason = event.result.reasons.find((r: { code: string }) => r.code === "unknown_subject");
    expect(reason.message).toBe("subject *** is not known");
  });

  it("masks every check's values in a batch", async () => {
    const totals = [601.5, 7001, 123456];
    const res = await t.call("POST", "/v1/check/batch", {
      key: CHECK_KEY,
      body: {
        subject: { id: "carol" },
        org: "ACME-DE",
        checks: totals.map((total) => ({ action: "order.place", resource: { type: "order", org: "ACME-DE", buyer: "carol", attributes: { total } } })),
      },
    });
    expect(res.status).toBe(200);
    const event = await eventOf(res.body.decisionId);
    const { text, numbers } = textAndNumbers(event);
    for (const total of totals) {
      expect(text).not.toContain(String(total));
      expect(numbers).not.toContain(total);
    }
    expect(text).not.toContain("carol");
    expect(event.result).toHaveLength(3);
  });

  it("masks through the OPA Data API too, and a short id where it stands as a word", async () => {
    const res = await t.call("POST", "/v1/data/b2b/check/decision", {
      key: CHECK_KEY,
      body: { input: { subject: { id: "bob" }, org: "ACME-EU", action: "order.place", resource: { type: "order", org: "ACME-EU", buyer: "bob", attributes: { total: 999999 } } } },
    });
    expect(res.status).toBe(200);
    const event = await eventOf(res.body.decision_id);
    const { text, numbers } = textAndNumbers(event);
    expect(text).not.toMatch(/(?<![A-Za-z0-9_])bob(?![A-Za-z0-9_])/);
    expect(text).not.toContain("999999");
    expect(numbers).not.toContain(999999);
    expect(event.input.subject).toEqual({ id: "***", kind: "user" });
  });
});

describe("DecisionLog scrubbing", () => {
  function written(maskPaths: string[], event: Parameters<DecisionLog["write"]>[0]): Event {
    const lines: Event[] = [];
    new DecisionLog({ enabled: true, write: (line) => void lines.push(JSON.parse(line) as Event) }, maskPaths).write(event);
    return lines[0]!;
  }
  const base = { decisionId: "d-1", path: "b2b/check/decision", revision: "r", digest: "x", graphToken: "g1.AAAA", durationNs: 1000 };

  it("masks a value in a failed decision's error message", () => {
    const event = written(["subject.id"], {
      ...base,
      input: { subject: { id: "mallory-the-tester" } },
      result: null,
      error: { code: "graph_unavailable", message: "slice for mallory-the-tester failed" },
    });
    expect(JSON.stringify(event)).not.toContain("mallory-the-tester");
    expect(event.error).toEqual({ code: "graph_unavailable", message: "slice for *** failed" });
  });

  it("masks numbers as values and as words in text, not as digits inside other numbers or words", () => {
    const event = written(["resource.attributes.total", "resource.attributes.currency"], {
      ...base,
      input: { resource: { attributes: { total: 42, currency: "EU" } } },
      result: { reasons: [{ total: 42, max: 4200, message: "order of 42 over 4200 in ACME-EU at EU rates", level: 2, rate: 42.5 }] },
    });
    expect(event.result.reasons[0]).toEqual({ total: "***", max: 4200, message: "order of *** over 4200 in ACME-*** at *** rates", level: 2, rate: 42.5 });
    expect(event.input.resource.attributes).toEqual({ total: "***", currency: "***" });
  });

  it("masks every leaf of a masked object, and leaves an event alone without masks", () => {
    const masked = written(["resource.attributes"], {
      ...base,
      input: { resource: { attributes: { secretName: "Project Nightjar", n: 77 } } },
      result: { reasons: [{ message: "Project Nightjar: 77 units" }] },
    });
    expect(masked.input.resource.attributes).toBe("***");
    expect(masked.result.reasons[0].message).toBe("***: *** units");
    const plain = written([], { ...base, input: { subject: { id: "carol" } }, result: { ok: true } });
    expect(plain.input).toEqual({ subject: { id: "carol" } });
  });
});
