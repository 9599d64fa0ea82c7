import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { oracleStore } from "./shared-sidecars.ts";
import { caseArb } from "./generators.ts";
import { runCase, type Disagreement } from "./harness.ts";
import type { OracleCase } from "./oracle-case.ts";

/**
 * Property-based differential test: random stores (trees up to 5 deep with opt-outs and every status, custom
 * roles, memberships with limits, users in several trees, disabled users, staff) imported into a real sidecar on
 * PostgreSQL and Redis, random checks, batches, order queries and filters, permissions and Data API calls sent
 * over HTTP, each answer compared with the independent model (model.ts). A disagreement fails the property and
 * fast-check shrinks it to a minimal store and request, printed as a fixture for test/fixtures/oracle/.
 *
 * The default run makes at least 10,000 decisions; TEST_LONG=1 makes 1,000,000.
 */

const LONG = process.env.TEST_LONG === "1";
const TARGET = LONG ? 1_000_000 : 10_000;
/** Sweep checks per case: a sample by default, about everything in the long run. */
const SWEEP = LONG ? { sweepBudget: 8_000, sweepPairs: 1000 } : { sweepBudget: 200, sweepPairs: 4 };
const SEED = process.env.TEST_ORACLE_SEED ? Number(process.env.TEST_ORACLE_SEED) : undefined;

const store = oracleStore("oracle_differential");

/** A minimal failing case as a fixture: the shrunk store and its first disagreeing request only. */
function fixtureOf(c: OracleCase, d: Disagreement): OracleCase & { disagreement: Omit<Disagreement, "request"> } {
  return { ...c, requests: [d.request], sweep: false, disagreement: { expected: d.expected, actual: d.actual } };
}

describe("differential: the sidecar against the model", () => {
  it(`agrees on at least ${TARGET.toLocaleString("en")} decisions`, { timeout: LONG ? 3_600_000 : 300_000 }, async () => {
    const started = Date.now();
    let decisions = 0;
    let disagreements = 0;
    let cases = 0;
    const outcomes: Record<string, number> = {};
    const minimal: ReturnType<typeof fixtureOf>[] = [];
    for (let round = 0; decisions < TARGET; round++) {
      // Until the first failure of a round, runs are new cases; after it, fast-check is shrinking.
      let shrinking = false;
      let last: { c: OracleCase; d: Disagreement } | undefined;
      const result = await fc.check(
        fc.asyncProperty(caseArb, async (c) => {
          const r = await runCase(store.sidecars, store.db, c, SWEEP);
          if (!shrinking) {
            cases++;
            decisions += r.decisions;
            disagreements += r.disagreements.length;
            for (const [k, n] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
          }
          if (r.disagreements.length === 0) return true;
          shrinking = true;
          last = { c, d: r.disagreements[0]! };
          return false;
        }),
        {
          numRuns: LONG ? 100 : 40,
          ...(SEED !== undefined ? { seed: SEED + round } : {}),
          endOnFailure: false,
          interruptAfterTimeLimit: LONG ? 3_000_000 : 240_000,
        },
      );
      console.log(`differential: round ${round}: ${result.numRuns} runs, ${decisions} decisions so far`);
      if (result.failed && !last) throw new Error(`differential: the run itself failed (seed ${result.seed}): ${String(result.errorInstance)}\n${JSON.stringify(result.counterexample)}`);
      if (result.failed && last) {
        const fixture = fixtureOf(last.c, last.d);
        minimal.push(fixture);
        console.log(`differential: disagreement (seed ${result.seed}), minimal case:\n${JSON.stringify(fixture)}`);
        if (!LONG) break;
      }
      if (!LONG && decisions < TARGET && round > 20) break;
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(`differential: ${decisions} decisions, ${disagreements} disagreements (${cases} cases, ${seconds} s)`);
    console.log(`differential: model outcomes ${JSON.stringify(outcomes)}`);
    expect(minimal).toEqual([]);
    expect(decisions).toBeGreaterThanOrEqual(TARGET);
  });
});
