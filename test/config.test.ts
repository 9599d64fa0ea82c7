import { describe, expect, it } from "vitest";
import { defaultPolicyBundle, loadConfig } from "../src/config.ts";
import { AuthzError } from "../src/errors.ts";

describe("loadConfig", () => {
  it("applies the documented defaults", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8181,
      HOST: "127.0.0.1",
      POLICY_BUNDLE: defaultPolicyBundle,
      MAX_TREE_DEPTH: 5,
      MAX_TREE_ORGS: 500,
      WORKERS: 1,
      DECISION_LOG: "stdout",
      DECISION_LOG_OVERFLOW: "block",
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
  });

  it("parses API keys with their scopes", () => {
    const keys = loadConfig({ AUTHZ_API_KEYS: "k1=check+admin, k2=check" }).AUTHZ_API_KEYS;
    expect(keys).toEqual(new Map([["k1", new Set(["check", "admin"])], ["k2", new Set(["check"])]]));
  });

  it.each([
    ["PORT", { PORT: "eighty" }],
    ["PORT", { PORT: "70000" }],
    ["DATABASE_URL", { DATABASE_URL: "not a url" }],
    ["AUTHZ_API_KEYS", { AUTHZ_API_KEYS: "k1=check+root" }],
    ["AUTHZ_API_KEYS", { AUTHZ_API_KEYS: "justakey" }],
    ["MAX_TREE_DEPTH", { MAX_TREE_DEPTH: "0" }],
    ["WORKERS", { WORKERS: "many" }],
    ["LOG_LEVEL", { LOG_LEVEL: "loud" }],
    ["DECISION_LOG_OVERFLOW", { DECISION_LOG_OVERFLOW: "spill" }],
  ])("refuses a bad %s, naming the variable", (variable, env) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(AuthzError);
    expect((error as AuthzError).message).toContain(variable);
    expect((error as AuthzError).details.map((d) => d.path)).toContain(variable);
  });

  it("shadow evaluation: off by default, a share between 0 and 1, a positive queue bound", () => {
    expect(loadConfig({})).toMatchObject({ POLICY_SHADOW_SAMPLE: 1, POLICY_SHADOW_QUEUE: 1000 });
    expect(loadConfig({}).POLICY_SHADOW_BUNDLE).toBeUndefined();
    expect(loadConfig({ POLICY_SHADOW_BUNDLE: "candidate.tar.gz", POLICY_SHADOW_SAMPLE: "0.25" })).toMatchObject({
      POLICY_SHADOW_BUNDLE: "candidate.tar.gz",
      POLICY_SHADOW_SAMPLE: 0.25,
    });
    expect(() => loadConfig({ POLICY_SHADOW_SAMPLE: "1.5" })).toThrow(/POLICY_SHADOW_SAMPLE/);
    expect(() => loadConfig({ POLICY_SHADOW_SAMPLE: "some" })).toThrow(/POLICY_SHADOW_SAMPLE/);
    expect(() => loadConfig({ POLICY_SHADOW_QUEUE: "0" })).toThrow(/POLICY_SHADOW_QUEUE/);
  });

  it("bounds the decision memo in characters, under DECISION_MEMO_MAX_CHARS", () => {
    expect(loadConfig({}).DECISION_MEMO_MAX_CHARS).toBe(16 * 1024 * 1024);
    expect(loadConfig({}).deprecated).toEqual([]);
    expect(loadConfig({ DECISION_MEMO_MAX_CHARS: "1000" }).DECISION_MEMO_MAX_CHARS).toBe(1000);
  });

  it("still accepts the deprecated DECISION_MEMO_MAX_BYTES, and says so", () => {
    const config = loadConfig({ DECISION_MEMO_MAX_BYTES: "1000" });
    expect(config.DECISION_MEMO_MAX_CHARS).toBe(1000);
    expect(config.deprecated).toEqual([{ setting: "DECISION_MEMO_MAX_BYTES", replacement: "DECISION_MEMO_MAX_CHARS" }]);
    // The new name wins when both are set.
    expect(loadConfig({ DECISION_MEMO_MAX_BYTES: "1000", DECISION_MEMO_MAX_CHARS: "5" }).DECISION_MEMO_MAX_CHARS).toBe(5);
    expect(() => loadConfig({ DECISION_MEMO_MAX_BYTES: "-1" })).toThrow(/DECISION_MEMO_MAX_BYTES/);
  });

  it("treats empty variables as unset", () => {
    expect(loadConfig({ REDIS_URL: "", PORT: "" }).PORT).toBe(8181);
  });
});
