/**
 * Policy micro-benchmark: decisions per second and microseconds per decision through the Wasm engine, by slice
 * size, side by side with OPA's own evaluator (`opa bench`, Go topdown) on the same Rego and the same input.
 * Usage: npm run bench:policy [-- --seconds 3]
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultPolicyBundle } from "../src/config.ts";
import { PolicyEngine } from "../src/policy/policy-engine.ts";
import type { EntrypointName } from "../src/policy/entrypoints.ts";
import { machineLine, markdownTable, percentile, writeSection } from "./benchmarks-file.ts";
import { deepestOrg, pathOf, slice, tree } from "./policy-slices.ts";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 3;
const root = new URL("..", import.meta.url).pathname;
const opa = join(root, "tools/bin/opa");

interface Case {
  name: string;
  entrypoint: EntrypointName;
  rule: string;
  input: Record<string, unknown>;
  decisionsPerEval: number;
}

function cases(): Case[] {
  const flat = tree(1, 1, 1);
  const fiveLevels = tree(5, 1, 5);
  const big = tree(500, 4, 5);
  const leaf = deepestOrg(fiveLevels);
  const adminAtRoot = [{ org: "T0", roles: ["org_admin"], inheritable: true }];
  const subject = { id: "u1", kind: "user" };
  const checks = Array.from({ length: 100 }, (_, i) => ({
    action: i % 2 ? "order.view" : "order.place",
    resource: { type: "order", id: `o${i}`, org: leaf, buyer: i % 3 ? "u1" : "u2", attributes: { total: 10 * i } },
  }));
  return [
    {
      name: "flat org: buyer places an order",
      entrypoint: "check",
      rule: "data.b2b.check.decision",
      input: {
        subject,
        org: "T0",
        action: "order.place",
        resource: { type: "order", org: "T0", buyer: "u1", attributes: { total: 100 } },
        graph: slice(flat, ["T0"], [{ org: "T0", roles: ["buyer"], inheritable: true }]),
      },
      decisionsPerEval: 1,
    },
    {
      name: "5-level tree: inherited admin views an order at the leaf",
      entrypoint: "check",
      rule: "data.b2b.check.decision",
      input: {
        subject,
        org: leaf,
        action: "order.view",
        resource: { type: "order", org: leaf, buyer: "u2" },
        graph: slice(fiveLevels, pathOf(fiveLevels, leaf), adminAtRoot),
      },
      decisionsPerEval: 1,
    },
    {
      name: "5-level tree: batch of 100 checks",
      entrypoint: "batch",
      rule: "data.b2b.batch.results",
      input: { subject, org: leaf, checks, graph: slice(fiveLevels, pathOf(fiveLevels, leaf), adminAtRoot) },
      decisionsPerEval: 100,
    },
    {
      name: "500-org tree: level-3 order scope from the root",
      entrypoint: "orderScope",
      rule: "data.b2b.orders.scope",
      input: { subject, org: "T0", graph: slice(big, big.keys(), adminAtRoot) },
      decisionsPerEval: 1,
    },
  ];
}

function measure(engine: PolicyEngine, c: Case) {
  for (let i = 0; i < 200; i++) engine.evaluate(c.entrypoint, c.input);
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  while (performance.now() < deadline) {
    const t = process.hrtime.bigint();
    engine.evaluate(c.entrypoint, c.input);
    samples.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  return {
    evalsPerSecond: samples.length / elapsed,
    meanUs: (elapsed * 1e6) / samples.length,
    p50Us: percentile(samples, 50),
    p99Us: percentile(samples, 99),
  };
}

/** OPA's Go evaluator on the same policy and input: ns per evaluation from `opa bench`. */
function opaNsPerEval(c: Case, dir: string): number | null {
  if (!existsSync(opa)) return null;
  const inputFile = join(dir, `${c.entrypoint}.json`);
  writeFileSync(inputFile, JSON.stringify(c.input));
  const out = execFileSync(
    opa,
    ["bench", "--format", "json", "--benchmem=false", "--metrics=false", "-d", join(root, "policies"), "--ignore", "*_test.rego", "--ignore", "README.md", "-i", inputFile, c.rule],
    { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  );
  const report = JSON.parse(out) as { N: number; T: number };
  return report.T / report.N;
}

const engine = await PolicyEngine.start(defaultPolicyBundle);
const dir = mkdtempSync(join(tmpdir(), "b2b-authz-bench-"));
const opaVersion = existsSync(opa) ? execFileSync(opa, ["version"], { encoding: "utf8" }).split("\n")[0] : "not installed";
const rows = [];
for (const c of cases()) {
  const ours = measure(engine, c);
  const peerNs = opaNsPerEval(c, dir);
  const peerPerSecond = peerNs ? (1e9 / peerNs) * c.decisionsPerEval : null;
  const ourPerSecond = ours.evalsPerSecond * c.decisionsPerEval;
  const row = [
    c.name,
    Math.round(ourPerSecond).toLocaleString("en-US"),
    (ours.meanUs / c.decisionsPerEval).toFixed(1),
    ours.p50Us.toFixed(1),
    ours.p99Us.toFixed(1),
    peerPerSecond ? Math.round(peerPerSecond).toLocaleString("en-US") : "n/a",
    peerPerSecond ? `${(ourPerSecond / peerPerSecond).toFixed(2)}×` : "n/a",
  ];
  rows.push(row);
  console.log(row.join(" | "));
}

const table = markdownTable(
  ["case", "decisions/s (Wasm, 1 core)", "µs/decision", "p50 µs/eval", "p99 µs/eval", "decisions/s (opa bench, Go)", "ratio"],
  rows,
);
writeSection(
  "Policy engine (Wasm in process)",
  `Command: \`npm run bench:policy\` (${seconds} s per case, one thread). Policy revision ${engine.revision}.
Machine: ${machineLine()}. Peer: ${opaVersion}, \`opa bench\` on the same Rego and input (Go topdown evaluator).
An evaluation includes serializing the input into Wasm memory and parsing the result; the batch row counts each of its 100 checks as a decision.

${table}`,
);
console.log(`\n${table}\n\nwritten to BENCHMARKS.md`);
