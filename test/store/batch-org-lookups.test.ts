import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";
import { smallDocument } from "./graph-test-support.ts";

/**
 * A batch's resource orgs outside the acting tree are looked up together: 1000 distinct unknown orgs cost one
 * query, not 1000. Counted as the statements the sidecar's real pg clients send to the real PostgreSQL.
 */
let t: TestSidecar;
const sent: { text: string; values: unknown[] }[] = [];
// eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with each client as `this`
const originalQuery = pg.Client.prototype.query;

beforeAll(async () => {
  t = await startTestSidecar("batch_lookups");
  await t.sidecar.graph.importDocument(smallDocument);
  // Every statement any pg client of this process sends, with its parameters.
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [first, second] = args as [string | { text?: string; values?: unknown[] }, unknown];
    const text = typeof first === "string" ? first : (first?.text ?? "");
    const values = Array.isArray(second) ? second : typeof first === "object" && Array.isArray(first?.values) ? first.values : [];
    sent.push({ text, values });
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
});
afterEach(() => {
  sent.length = 0;
});
afterAll(async () => {
  pg.Client.prototype.query = originalQuery;
  await t?.sidecar.close();
});

/** Statements whose parameters name any of `ids`. */
function naming(ids: Set<string>): number {
  const mentions = (value: unknown): boolean =>
    typeof value === "string" ? ids.has(value) : Array.isArray(value) ? value.some(mentions) : false;
  return sent.filter((q) => q.values.some(mentions)).length;
}

async function batch(resourceOrgs: string[], consistency?: { atLeast: string }) {
  const checks = resourceOrgs.map((org) => ({ action: "order.view", resource: { type: "order", org } }));
  const res = await t.call("POST", "/v1/check/batch", {
    key: CHECK_KEY,
    body: { subject: { id: "carol" }, org: "DE", checks, ...(consistency ? { consistency } : {}) },
  });
  expect(res.status, JSON.stringify(res.body).slice(0, 500)).toBe(200);
  return res.body as { results: { decision: string; reasons: { code: string }[] }[]; graphToken: string };
}

describe("resource orgs of a batch", () => {
  it("looks up 1000 distinct unknown orgs in one query, and denies each", async () => {
    const unknown = Array.from({ length: 1000 }, (_, i) => `NOWHERE-${i}`);
    const answer = await batch(unknown);
    expect(answer.results).toHaveLength(1000);
    for (const result of answer.results) {
      expect(result.decision).toBe("deny");
      expect(result.reasons.map((r) => r.code)).toContain("unknown_org");
    }
    const ids = new Set(unknown);
    // The cold path read of the acting tree carries them too; the lookup of the trees outside is the other one.
    expect(naming(ids)).toBeLessThanOrEqual(2);
    expect(sent.length).toBeLessThan(20);
  });

  it("does the same with a graphToken, and still loads the known trees among them", async () => {
    const first = await batch(["DE"]);
    const orgs = [...Array.from({ length: 500 }, (_, i) => `GHOST-${i}`), "GX-OPS", "GLOBEX", "BER"];
    sent.length = 0;
    const answer = await batch(orgs, { atLeast: first.graphToken });
    const byOrg = new Map(orgs.map((org, i) => [org, answer.results[i]!]));
    expect(byOrg.get("GHOST-7")?.reasons.map((r) => r.code)).toContain("unknown_org");
    // A known org of another tree (carol's GLOBEX membership does not reach across from DE), not an unknown one.
    expect(byOrg.get("GX-OPS")?.reasons.map((r) => r.code)).not.toContain("unknown_org");
    expect(byOrg.get("GX-OPS")?.reasons.map((r) => r.code)).toContain("cross_tree");
    expect(byOrg.get("BER")?.reasons.map((r) => r.code)).toEqual(["level_too_low"]);
    expect(naming(new Set(orgs.filter((o) => o.startsWith("GHOST-"))))).toBeLessThanOrEqual(2);
    expect(sent.length).toBeLessThan(20);
  });
});
