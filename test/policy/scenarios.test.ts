import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { entrypoints, type EntrypointName } from "../../src/policy/entrypoints.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";

/**
 * The scenario table that `opa test` runs against the Rego (policies/scenarios/scenarios_test.rego), run here through
 * the compiled Wasm bundle: Rego and Wasm cannot disagree unnoticed.
 */
interface Scenario {
  name: string;
  seed: string;
  entrypoint: string;
  input: unknown;
  expected: unknown;
}

const dir = new URL("../fixtures/scenarios/", import.meta.url).pathname;
const groups = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .flatMap((file) =>
    Object.entries((JSON.parse(readFileSync(join(dir, file), "utf8")) as { scenarios: Record<string, Scenario[]> }).scenarios),
  );
const byPath = new Map(Object.entries(entrypoints).map(([name, e]) => [e.path as string, name as EntrypointName]));

let engine: PolicyEngine;
let memoized: PolicyEngine;
beforeAll(async () => {
  engine = await PolicyEngine.start(defaultPolicyBundle);
  memoized = await PolicyEngine.start(defaultPolicyBundle, { memoMaxChars: 1024 * 1024 });
});

describe("scenario table", () => {
  it("covers every entrypoint and every seed platform", () => {
    const scenarios = groups.flatMap(([, list]) => list);
    expect(new Set(scenarios.map((s) => s.entrypoint))).toEqual(new Set(byPath.keys()));
    for (const seed of ["000", "001", "002", "003", "004"]) {
      expect(scenarios.some((s) => s.seed === seed), `a scenario for seed ${seed}`).toBe(true);
    }
  });
});

describe.each(groups)("scenarios: %s", (_group, scenarios) => {
  it.each(scenarios.map((s) => [s.name, s] as const))("%s", (_name, scenario) => {
    const name = byPath.get(scenario.entrypoint);
    expect(name, `entrypoint ${scenario.entrypoint}`).toBeDefined();
    expect(engine.evaluate(name as EntrypointName, scenario.input)).toEqual(scenario.expected);
  });
});

describe.each(groups)("scenarios through the decision memo: %s", (_group, scenarios) => {
  it.each(scenarios.map((s) => [s.name, s] as const))("%s: evaluated twice, then answered from the memo", (_name, scenario) => {
    const name = byPath.get(scenario.entrypoint) as EntrypointName;
    const json = JSON.stringify(scenario.input);
    const before = memoized.memoStats!;
    expect(memoized.evaluateJson(name, json)).toEqual(scenario.expected);
    const evaluated = memoized.evaluateJson(name, json);
    const remembered = memoized.evaluateJson(name, json);
    const after = memoized.memoStats!;
    expect(evaluated).toEqual(scenario.expected);
    expect(remembered).toBe(evaluated);
    expect(Object.isFrozen(remembered)).toBe(true);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(1);
  });
});
