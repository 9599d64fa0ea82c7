/**
 * Command line of `npm run bench` (bench/run-all.ts):
 *   --quick            smoke run (~1-2 min): small store, 2 s per load run, fewer samples; BENCHMARKS.md untouched
 *   --size NAME        small | medium | large (default large: 100,000 orgs, about 1,000,000 memberships)
 *   --seconds N        measured seconds per load run (default 10; quick 2)
 *   --warmup N         unmeasured seconds before each (default 3; quick 1)
 *   --connections N    load connections (default 10)
 *   --quiet-wait N     seconds the run may spend in all waiting for other processes to leave the machine quiet, and
 *                      measuring again a run they disturbed (default 180; quick 0)
 *   --unique-pool N    unique requests drawn for the unique-request runs (default 400,000; quick 40,000)
 *   --only a,b         runs to do: cold, unique, mixed, single, batch, orders, memory, profile, visible (default all)
 *   --write / --no-write   write the sections into BENCHMARKS.md (default: write, except with --quick)
 */
import { RUN_NAMES, type Options, type RunName } from "./context.ts";
import { SIZES, type SizeName } from "./data-generator.ts";

export function parseOptions(argv: readonly string[]): Options {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i === -1 ? undefined : argv[i + 1];
  };
  const number = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a number ≥ 0, got ${raw}`);
    return n;
  };
  const quick = flag("quick");
  const size = (value("size") ?? (quick ? "small" : "large")) as SizeName;
  if (!(size in SIZES)) throw new Error(`--size must be one of ${Object.keys(SIZES).join(", ")}`);
  const onlyRaw = value("only");
  const only = new Set<RunName>(onlyRaw ? (onlyRaw.split(",").map((s) => s.trim()) as RunName[]) : RUN_NAMES);
  for (const name of only) if (!RUN_NAMES.includes(name)) throw new Error(`--only: unknown run "${name}" (runs: ${RUN_NAMES.join(", ")})`);
  return {
    quick,
    size,
    seconds: number("seconds", quick ? 2 : 10),
    warmupSeconds: number("warmup", quick ? 1 : 3),
    connections: number("connections", 10),
    cases: quick ? 200 : 1000,
    uniquePool: number("unique-pool", quick ? 40_000 : 400_000),
    coldTrees: quick ? 30 : 300,
    coldBigTrees: quick ? 5 : 50,
    visibilityRounds: quick ? 20 : 200,
    quietBudgetSeconds: number("quiet-wait", quick ? 0 : 180),
    only,
    write: flag("write") || (!quick && !flag("no-write")),
  };
}
