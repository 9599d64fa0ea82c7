/** Parent side of bench/stage-costs.ts: runs it in its own process on the run's database and bodies. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Context } from "./context.ts";
import { BENCH_TMP, ROOT } from "./paths.ts";
import { startChild, waitForQuiet } from "./processes.ts";
import type { StageCosts, StageJob } from "./stage-costs.ts";
import { orderQueryBody } from "./workload.ts";

export async function stageCosts(ctx: Context, bodies: string[]): Promise<StageCosts> {
  mkdirSync(BENCH_TMP, { recursive: true });
  const file = join(BENCH_TMP, "stage-job.json");
  const job: StageJob = { databaseUrl: ctx.databaseUrl, bodies, ordersBody: orderQueryBody(ctx.index), millisPerStep: ctx.options.quick ? 300 : 1_500 };
  writeFileSync(file, JSON.stringify(job));
  await waitForQuiet(ctx.log);
  const child = startChild("stage-costs", process.execPath, ["--import", "tsx", join(ROOT, "bench/stage-costs.ts"), file], { cwd: ROOT, pipeStdout: true, expectExit: true });
  let stdout = "";
  child.process.stdout?.on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolve) => child.process.once("close", resolve));
  if (code !== 0) throw new Error(`stage costs failed (${code}): ${child.output().slice(-2000)}`);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as StageCosts;
}
