import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { oracleStore } from "./shared-sidecars.ts";
import { runCase } from "./harness.ts";
import type { OracleCase } from "./oracle-case.ts";

/**
 * Every disagreement the differential test found, shrunk to a minimal case and committed in
 * test/fixtures/oracle/, replayed against the real sidecar: the sidecar and the model must agree on it forever.
 */
type Fixture = OracleCase & { description: string };

const dir = new URL("../fixtures/oracle/", import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => ({ file: f, fixture: JSON.parse(readFileSync(new URL(f, dir), "utf8")) as Fixture }));

const store = oracleStore("oracle_fixtures");

describe("differential fixtures", () => {
  it("has fixtures to replay", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  it.each(fixtures)("$file", async ({ fixture }) => {
    const result = await runCase(store.sidecars, store.db, { ...fixture, sweep: false }, { sweepBudget: 0, sweepPairs: 0 });
    expect(result.decisions).toBeGreaterThan(0);
    expect(result.disagreements).toEqual([]);
  });
});
