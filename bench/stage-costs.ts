/**
 * The CPU cost of each step of a warm single check, in process, without HTTP: each step is run alone in a loop
 * over the run's request bodies (its inputs prepared by the steps before it) and charged the process CPU time
 * it used (process.cpuUsage, all threads: the decision log's writer thread counts with its event). Unlike a
 * wall-clock loop or a sampling profile on a busy machine, nothing here is charged for time spent descheduled. Run as its own process
 * (`node --import tsx bench/stage-costs.ts <job.json>`), it prints one JSON StageCosts line.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { pino } from "pino";
import { loadConfig } from "../src/config.ts";
import { DecisionLog } from "../src/decisions/decision-log.ts";
import { checkRequestSchema, ordersQueryRequestSchema, type CheckRequest } from "../src/decisions/decision-schemas.ts";
import { DecisionService } from "../src/decisions/decision-service.ts";
import { ApiKeys } from "../src/http/api-keys.ts";
import { createLoggers } from "../src/logging/logger.ts";
import { createMetrics } from "../src/metrics.ts";
import { readPolicyBundle } from "../src/policy/bundle-reader.ts";
import { entrypoints } from "../src/policy/entrypoints.ts";
import { PolicyEngine } from "../src/policy/policy-engine.ts";
import { selfCheckInputs } from "../src/policy/self-check.ts";
import { createOrgGraph } from "../src/graph/org-graph.ts";

export interface StageJob {
  databaseUrl: string;
  bodies: string[];
  /** The order query of the 500-org tree (bench/runs/orders-query.ts). */
  ordersBody: { subject: { id: string; kind: "user" }; org: string };
  /** Milliseconds each step is looped for. */
  millisPerStep: number;
}

export interface StageCost {
  step: string;
  us: number;
}

export interface StageCosts {
  steps: StageCost[];
  /** The same for `/v1/orders/query` on the 500-org tree. */
  orderSteps: StageCost[];
  /** DecisionService.check end to end (no HTTP), decision log off and on. */
  serviceUs: number;
  serviceWithLogUs: number;
  /** DecisionService.check end to end with the decision memo on (the default), every body answered before. */
  memoServiceUs: number;
}

/** CPU time of this process so far, in ms: a step is charged for the CPU it used, not for time descheduled. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Runs `fn(i)` over indexes for about `millis` ms of CPU (after a short warm-up); µs of CPU per call. */
function time(millis: number, n: number, fn: (i: number) => unknown): number {
  let sink: unknown;
  for (let i = 0; i < Math.min(n * 2, 20_000); i++) sink = fn(i % n);
  let calls = 0;
  const started = cpuMs();
  let now = started;
  while (now - started < millis) {
    for (let k = 0; k < 200; k++) sink = fn(calls++ % n);
    now = cpuMs();
  }
  if (sink === Symbol.for("never")) process.stdout.write("");
  return ((now - started) * 1000) / calls;
}

async function timeAsync(millis: number, n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(n * 2, 5_000); i++) await fn(i % n);
  let calls = 0;
  const started = cpuMs();
  let now = started;
  while (now - started < millis) {
    for (let k = 0; k < 100; k++) await fn(calls++ % n);
    now = cpuMs();
  }
  return ((now - started) * 1000) / calls;
}

async function main(): Promise<void> {
  const job = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as StageJob;
  const ms = job.millisPerStep;
  const config = loadConfig({ DATABASE_URL: job.databaseUrl, LOG_LEVEL: "warn", DECISION_LOG: "off" });
  const quiet = pino({ level: "warn" }, pino.destination({ dest: "/dev/null", sync: false }));
  const graph = await createOrgGraph(config, quiet);
  const engine = await PolicyEngine.start(config.POLICY_BUNDLE, { logger: quiet });
  const metrics = createMetrics();
  const offLog = new DecisionLog({ enabled: false, write: () => undefined }, []);
  // The writer the sidecar uses (a worker thread behind a bounded ring), into a file as deployed.
  const logDir = mkdtempSync(join(tmpdir(), "stage-costs-"));
  const onLoggers = createLoggers({ LOG_LEVEL: "warn", DECISION_LOG: join(logDir, "decisions.log") });
  const onLog = new DecisionLog(onLoggers.decisionSink, []);
  const service = new DecisionService(engine, graph, config, offLog, metrics);
  const memoEngine = await PolicyEngine.start(config.POLICY_BUNDLE, { logger: quiet, memoMaxChars: config.DECISION_MEMO_MAX_CHARS });
  const memoService = new DecisionService(memoEngine, graph, config, offLog, metrics);
  const logged = new DecisionService(engine, graph, config, onLog, metrics);
  const keys = new ApiKeys(new Map([["bench-check-key", new Set(["check" as const])]]));

  // The same Wasm module, loaded directly, to time its steps apart.
  const bundle = await readPolicyBundle(config.POLICY_BUNDLE);
  const policy = await loadPolicy(bundle.wasm, { initial: 64 });
  policy.setData(bundle.data);
  const path = entrypoints.check.path;

  const bodies = job.bodies;
  const n = bodies.length;
  const parsed = bodies.map((b) => JSON.parse(b) as unknown);
  const requests = parsed.map((p) => checkRequestSchema.parse(p));
  const sliceRequests = requests.map((r: CheckRequest) => ({
    subject: r.subject,
    org: r.org,
    ...(r.resource?.org && r.resource.org !== r.org ? { resourceOrgs: [r.resource.org] } : {}),
  }));
  for (const r of sliceRequests) await graph.slice(r); // warm every tree and user
  const slices = await Promise.all(sliceRequests.map((r) => graph.slice(r)));
  const settings = { maxDepth: config.MAX_TREE_DEPTH, maxOrgs: config.MAX_TREE_ORGS, buyerOrgStatus: config.BUYER_ORG_STATUS, buyerOrgRole: config.BUYER_ORG_ROLE };
  const inputs = requests.map((r, i) => ({ subject: r.subject, org: r.org, action: r.action, ...(r.resource ? { resource: r.resource } : {}), settings, graph: slices[i]!.graph }));
  const encoder = new TextEncoder();
  const encoded = inputs.map((input) => {
    const bytes = encoder.encode(JSON.stringify(input));
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  });
  const results = encoded.map((buf) => (policy.evaluate(buf, path) as { result: unknown }[])[0]!.result);
  const answers = await Promise.all(requests.map((r) => service.check(r)));

  const steps: StageCost[] = [];
  const step = (name: string, fn: (i: number) => unknown) => steps.push({ step: name, us: time(ms, n, fn) });
  step("API key check (regex, sha256, timingSafeEqual)", () => keys.check("Bearer bench-check-key", "check"));
  step("request body JSON.parse", (i) => JSON.parse(bodies[i]!));
  step("request validation (zod checkRequestSchema)", (i) => checkRequestSchema.safeParse(parsed[i]));
  steps.push({ step: "graph slice from the warm cache (graph.slice)", us: await timeAsync(ms, n, (i) => graph.slice(sliceRequests[i]!)) });
  step("policy input JSON.stringify + UTF-8 encode (opa-wasm SDK)", (i) => encoder.encode(JSON.stringify(inputs[i])));
  step("Wasm evaluation incl. input parse in Wasm and result JSON.parse", (i) => policy.evaluate(encoded[i]!, path));
  // What any entrypoint call costs whatever it decides: the floor under a two-stage split's small second stage.
  const tinyBytes = encoder.encode(JSON.stringify(selfCheckInputs.roleValidation));
  const tiny = tinyBytes.buffer.slice(tinyBytes.byteOffset, tinyBytes.byteOffset + tinyBytes.byteLength);
  step("Wasm evaluation floor: the smallest entrypoint (b2b/roles/validation, 100-byte input)", () => policy.evaluate(tiny, entrypoints.roleValidation.path));
  step("result check (zod decision schema)", (i) => entrypoints.check.result.safeParse(results[i]));
  step("engine.evaluate as the sidecar calls it (the three steps above)", (i) => engine.evaluate("check", inputs[i]));
  step("decision id (randomUUID)", () => randomUUID());
  step("metrics (counter + histogram)", () => {
    metrics.decisions.inc({ endpoint: "check", result: "allow" });
    metrics.decisionSeconds.observe({ endpoint: "check" }, 0.0002);
  });
  // The service hands the log the request's JSON it wrote for the policy input (decision-service.ts).
  const requestJson = requests.map((r) => JSON.stringify({ subject: r.subject, org: r.org, action: r.action, ...(r.resource ? { resource: r.resource } : {}) }));
  step("decision log event (worker-thread writer, to a file)", (i) =>
    onLog.write({ decisionId: "d", path, input: requests[i], inputJson: requestJson[i], result: results[i], revision: "r", digest: "d", graphToken: "g", durationNs: 1000 }),
  );
  step("response JSON.stringify", (i) => JSON.stringify(answers[i]));
  const serviceUs = await timeAsync(ms, n, (i) => service.check(requests[i]!));
  // Twice: the memo keeps an answer the second time its input misses (src/policy/decision-memo.ts).
  for (let pass = 0; pass < 2; pass++) for (const r of requests) await memoService.check(r);
  const memoServiceUs = await timeAsync(ms, n, (i) => memoService.check(requests[i]!));

  const orderSteps: StageCost[] = [];
  const ordersRequest = ordersQueryRequestSchema.parse(job.ordersBody);
  const scopeSlice = { subject: ordersRequest.subject, org: ordersRequest.org, subtree: true };
  const scopeInput = { subject: ordersRequest.subject, org: ordersRequest.org, settings, graph: (await graph.slice(scopeSlice)).graph };
  const scopeText = JSON.stringify(scopeInput);
  const scopeBytes = encoder.encode(scopeText);
  const scopeBuffer = scopeBytes.buffer.slice(scopeBytes.byteOffset, scopeBytes.byteOffset + scopeBytes.byteLength);
  const scopePath = entrypoints.orderScope.path;
  const scopeResult = (policy.evaluate(scopeBuffer, scopePath) as { result: unknown }[])[0]!.result;
  const orderStep = (name: string, fn: () => unknown) => orderSteps.push({ step: name, us: time(ms, 1, fn) });
  orderSteps.push({ step: "graph slice: the subtree of the acting org (memoized)", us: await timeAsync(ms, 1, () => graph.slice(scopeSlice)) });
  orderStep(`policy input JSON.stringify + UTF-8 encode (${Math.round(scopeText.length / 1024)} KiB)`, () => encoder.encode(JSON.stringify(scopeInput)));
  orderStep("Wasm evaluation incl. input parse in Wasm and result JSON.parse", () => policy.evaluate(scopeBuffer, scopePath));
  orderStep("result check (zod order scope schema)", () => entrypoints.orderScope.result.safeParse(scopeResult));
  orderStep("engine.evaluate as the sidecar calls it", () => engine.evaluate("orderScope", scopeInput));
  orderSteps.push({ step: "**DecisionService.ordersQuery end to end** (with filter and SQL)", us: await timeAsync(ms, 1, () => service.ordersQuery(ordersRequest)) });
  for (let pass = 0; pass < 2; pass++) await memoService.ordersQuery(ordersRequest);
  orderSteps.push({ step: "**DecisionService.ordersQuery end to end, decision memo on** (asked before)", us: await timeAsync(ms, 1, () => memoService.ordersQuery(ordersRequest)) });
  const serviceWithLogUs = await timeAsync(ms, n, (i) => logged.check(requests[i]!));
  await graph.close();
  await onLoggers.decisionSink.close();
  rmSync(logDir, { recursive: true, force: true });
  const out: StageCosts = { steps, orderSteps, serviceUs, serviceWithLogUs, memoServiceUs };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`stage-costs: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
