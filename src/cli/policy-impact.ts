import { constants, createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { loadConfig } from "../config.ts";
import { diffAnswers } from "../decisions/decision-diff.ts";
import { DecisionLog } from "../decisions/decision-log.ts";
import { DecisionService } from "../decisions/decision-service.ts";
import { AuthzError, describeThrown, toAuthzError } from "../errors.ts";
import { createOrgGraph, type OrgGraph } from "../graph/org-graph.ts";
import { PolicyEngine } from "../policy/policy-engine.ts";
import { formatImpact, ImpactCollector, type BundleRef } from "./impact-report.ts";
import { parseRequestLine } from "./impact-requests.ts";

/**
 * Impact analysis of a candidate bundle (README, "Changing a policy safely"):
 *   policy-impact --candidate BUNDLE --requests FILE [--requests FILE…] [--accept-widening] [--json] [--examples N]
 * Replays each request of the files (decision log lines, or JSON lines of check/batch requests) against the graph
 * in the store as it is now (DATABASE_URL; unset: the embedded demo graph), with the live bundle (POLICY_BUNDLE)
 * and the candidate, and reports every decision that changes. Exit status: 0, or 1 when the candidate allows
 * something the live bundle did not (unless --accept-widening), 2 for bad usage or a bundle that does not load.
 */
const usage = "usage: policy-impact --candidate BUNDLE --requests FILE [--requests FILE…] [--accept-widening] [--json] [--examples N]";

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        candidate: { type: "string" },
        requests: { type: "string", multiple: true },
        "accept-widening": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        examples: { type: "string", default: "3" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${describeThrown(error)}\n${usage}\n`);
    return 2;
  }
  const examples = Number(values.examples);
  if (!values.candidate || !values.requests?.length || !Number.isInteger(examples) || examples < 0) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL }, pino.destination(2));
  const live = await PolicyEngine.start(config.POLICY_BUNDLE);
  const candidate = await PolicyEngine.start(values.candidate);
  // Readable before the store is opened: a wrong path fails fast.
  await Promise.all(values.requests.map((file) => access(file, constants.R_OK)));
  if (!config.DATABASE_URL && !config.EMBEDDED_DATA_DIR) process.stderr.write("note: no DATABASE_URL: replaying against the embedded demo graph\n");

  const graph: OrgGraph = await createOrgGraph(config, logger);
  try {
    // No decision log and no metrics: a replay is not a decision anyone was answered.
    const decisions = new DecisionService(live, graph, config, new DecisionLog({ enabled: false, write: () => undefined }, []));
    const collector = new ImpactCollector(refOf(live), refOf(candidate), examples);
    for (const file of values.requests) {
      // Line by line: a day of decision log is larger than memory should hold.
      let number = 0;
      for await (const text of createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity })) {
        const line = parseRequestLine(`${file}:${++number}`, text);
        if (!line) continue;
        if (line.kind === "masked") collector.masked(line.where);
        else if (line.kind === "skipped") collector.skipped();
        else if (line.kind === "invalid") collector.invalid(line.where, line.message);
        else {
          const { request } = line;
          let replayed;
          try {
            replayed = await decisions.replay(request.path, request.input, [live, candidate]);
          } catch (thrown) {
            const error = toAuthzError(thrown, "internal", "replay failed");
            if (error.code === "invalid_request") collector.invalid(request.where, error.message);
            else collector.failed(request.where, "facts", error);
            continue;
          }
          const [was, will] = replayed.answers as [(typeof replayed.answers)[number], (typeof replayed.answers)[number]];
          if (was.error || will.error) {
            const side = was.error && will.error ? "both" : was.error ? "live" : "candidate";
            collector.failed(request.where, side, (was.error ?? will.error)!);
            continue;
          }
          const diffs = diffAnswers(replayed.name, replayed.requestInput, was.result, will.result);
          collector.replayed(request, replayed.requestInput, replayed.tree, diffs, was.result, will.result);
        }
      }
    }
    const report = collector.finish();
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatImpact(report, values["accept-widening"]));
    return report.widening > 0 && !values["accept-widening"] ? 1 : 0;
  } finally {
    await graph.close();
  }
}

function refOf(engine: PolicyEngine): BundleRef {
  return { revision: engine.revision, digest: engine.digest, source: engine.info?.source ?? null };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AuthzError) process.stderr.write(`${error.code}: ${error.message}\n`);
    else process.stderr.write(`${describeThrown(error)}\n`);
    process.exit(2);
  },
);
