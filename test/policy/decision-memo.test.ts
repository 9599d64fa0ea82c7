import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { readPolicyBundle } from "../../src/policy/bundle-reader.ts";
import { DecisionMemo, memoKey } from "../../src/policy/decision-memo.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";

describe("DecisionMemo", () => {
  it("answers a key it holds, counts hits and misses, and freezes what it keeps", () => {
    const memo = new DecisionMemo(10_000);
    const answer = { decision: "allow", reasons: [{ code: "role", message: "buyer" }] };
    expect(memo.get("a")).toBeUndefined();
    memo.set("a", answer);
    memo.set("a", answer);
    expect(memo.get("a")).toBe(answer);
    expect(Object.isFrozen(answer.reasons[0])).toBe(true);
    expect(memo.stats).toEqual({ entries: 1, chars: 1 + JSON.stringify(answer).length, hits: 1, misses: 1 });
  });

  it("keeps an answer only when its key comes a second time, so traffic that never repeats stores nothing", () => {
    const memo = new DecisionMemo(1_000_000);
    const answer = { decision: "deny", reasons: [] };
    for (let i = 0; i < 1000; i++) memo.set(`unique-${i}`, answer);
    expect(memo.stats.entries).toBe(0);
    expect(Object.isFrozen(answer)).toBe(false);
    memo.set("unique-7", answer);
    expect(memo.stats.entries).toBe(1);
    expect(memo.get("unique-7")).toBe(answer);
    expect(memo.get("unique-8")).toBeUndefined();
  });

  it("stays within its bound (keys and answers as JSON) by dropping the least recently used first", () => {
    // Each entry: a 10-character key and the answer 1 (one character of JSON): 11.
    const memo = new DecisionMemo(176);
    const key = (c: string) => c.repeat(10);
    const twice = (k: string, v: number) => {
      memo.set(k, v);
      memo.set(k, v);
    };
    for (const c of "abcdefghijklmnop") twice(key(c), 1);
    expect(memo.stats).toMatchObject({ entries: 16, chars: 176 });
    expect(memo.get(key("a"))).toBe(1);
    twice(key("q"), 2);
    expect(memo.stats).toMatchObject({ entries: 16, chars: 176 });
    expect(memo.get(key("b"))).toBeUndefined();
    expect(memo.get(key("a"))).toBe(1);
    expect(memo.get(key("q"))).toBe(2);
  });

  it("never keeps an entry over a sixteenth of its bound, and keeps nothing when off", () => {
    const memo = new DecisionMemo(160);
    memo.set("x", "y".repeat(9));
    memo.set("x", "y".repeat(9));
    expect(memo.stats.entries).toBe(0);
    const off = new DecisionMemo(0);
    expect(off.enabled).toBe(false);
  });

  it("keys by entrypoint as well as input", () => {
    expect(memoKey("b2b/check/decision", "{}")).not.toBe(memoKey("b2b/permissions/effective", "{}"));
  });
});

describe("PolicyEngine with a decision memo", () => {
  const input = JSON.stringify({
    subject: { id: "nobody" },
    org: "nowhere",
    action: "order.view",
    graph: { user: null, orgs: {}, memberships: [], roles: {}, tree: null },
  });

  it("answers the same input to another entrypoint from that entrypoint, not from the memo", async () => {
    const engine = await PolicyEngine.start(defaultPolicyBundle, { memoMaxChars: 1024 * 1024 });
    for (let i = 0; i < 2; i++) {
      const check = engine.evaluateJson("check", input);
      const permissions = engine.evaluateJson("permissions", input);
      expect(check).toMatchObject({ decision: "deny", allow: false });
      expect(permissions).not.toEqual(check);
    }
    expect(engine.memoStats).toMatchObject({ entries: 2, hits: 0, misses: 4 });
    expect(engine.evaluateJson("permissions", input)).not.toEqual(engine.evaluateJson("check", input));
    expect(engine.memoStats).toMatchObject({ entries: 2, hits: 2, misses: 4 });
  });

  it("starts an empty memo with every activated bundle", async () => {
    const engine = await PolicyEngine.start(defaultPolicyBundle, { memoMaxChars: 1024 * 1024 });
    for (let i = 0; i < 3; i++) engine.evaluateJson("check", input);
    expect(engine.memoStats).toMatchObject({ entries: 1, hits: 1 });
    const dir = await mkdtemp(join(tmpdir(), "b2b-authz-memo-"));
    try {
      const bundle = await readPolicyBundle(defaultPolicyBundle);
      await writeFile(join(dir, "policy.wasm"), bundle.wasm);
      await writeFile(join(dir, "data.json"), JSON.stringify(bundle.data));
      await writeFile(join(dir, ".manifest"), JSON.stringify({ revision: "memo-rev", roots: ["b2b"] }));
      expect(await engine.reload(dir)).toMatchObject({ status: "activated", revision: "memo-rev" });
      expect(engine.memoStats).toEqual({ entries: 0, chars: 0, hits: 0, misses: 0 });
      engine.evaluateJson("check", input);
      engine.evaluateJson("check", input);
      expect(engine.memoStats).toMatchObject({ entries: 1, hits: 0, misses: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("evaluates every call when the memo is off (the default)", async () => {
    const engine = await PolicyEngine.start(defaultPolicyBundle);
    const first = engine.evaluateJson("check", input);
    expect(engine.evaluateJson("check", input)).not.toBe(first);
    expect(engine.memoStats).toEqual({ entries: 0, chars: 0, hits: 0, misses: 0 });
  });
});
