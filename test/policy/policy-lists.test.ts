import { readFileSync } from "node:fs";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { entrypointPaths } from "../../src/policy/entrypoints.generated.ts";
import { entrypoints } from "../../src/policy/entrypoints.ts";
import { readPolicyBundle } from "../../src/policy/bundle-reader.ts";
import { adminOperations, limitPeriods, orgStatuses, storeSettingDefaults } from "../../src/model/policy-data.generated.ts";

/** The TypeScript lists generated from the policy pack say what the pack and the committed bundle say. */
const catalog = JSON.parse(readFileSync(new URL("../../policies/b2b/catalog/data.json", import.meta.url), "utf8")) as {
  adminOperations: string[];
  statusGates: Record<string, unknown>;
  limitPeriods: string[];
  settings: Record<string, unknown>;
};

describe("generated policy lists", () => {
  it("are the catalog's admin operations, statuses, limit periods and setting defaults", () => {
    expect({ adminOperations, orgStatuses, limitPeriods, storeSettingDefaults }).toEqual({
      adminOperations: [...catalog.adminOperations].sort(),
      orgStatuses: Object.keys(catalog.statusGates).sort(),
      limitPeriods: [...catalog.limitPeriods].sort(),
      storeSettingDefaults: catalog.settings,
    });
  });

  it("are the entrypoints the committed bundle compiles, each named by the engine", async () => {
    const bundle = await readPolicyBundle(defaultPolicyBundle);
    const policy = await loadPolicy(bundle.wasm);
    expect(Object.keys(policy.entrypoints as Record<string, number>).sort()).toEqual([...entrypointPaths].sort());
    expect(Object.values(entrypoints).map((e) => e.path).sort()).toEqual([...entrypointPaths].sort());
  });
});
