import { readdirSync, readFileSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestSidecar } from "../http/sidecar-test-support.ts";
import { startSharedSidecars } from "./shared-sidecars.ts";
import { prepareStore, runCase } from "./harness.ts";
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

let sidecars: [TestSidecar, TestSidecar];
let db: pg.Pool;

beforeAll(async () => {
  sidecars = await startSharedSidecars("oracle_fixtures");
  db = new pg.Pool({ connectionString: sidecars[0].databaseUrl, max: 2 });
  await prepareStore(sidecars[0], db);
});
afterAll(async () => {
  await db?.end();
  for (const s of sidecars ?? []) await s.sidecar.close();
});

describe("differential fixtures", () => {
  it("has fixtures to replay", () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  it.each(fixtures)("$file", async ({ fixture }) => {
    const result = await runCase(sidecars, db, { ...fixture, sweep: false }, { sweepBudget: 0, sweepPairs: 0 });
    expect(result.decisions).toBeGreaterThan(0);
    expect(result.disagreements).toEqual([]);
  });
});
