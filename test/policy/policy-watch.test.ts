import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";
import { dropDatabase, eventually } from "../store/graph-test-support.ts";
import { policyWorkspace, type PolicyWorkspace } from "./policy-workspace.ts";

/**
 * The real edit loop: `npm run policy:watch` (scripts/policy-watch.mjs) on a copy of policies/, and a sidecar whose
 * POLICY_BUNDLE is that copy's bundle. No timing threshold: the edit-to-live time is printed, not asserted.
 */
describe("npm run policy:watch", () => {
  let workspace: PolicyWorkspace;
  let t: TestSidecar;
  let watcher: ChildProcess;
  const output: string[] = [];
  const lines = () => output.join("").split("\n");
  const revision = async () => ((await t.call("GET", "/v1/status")).body as { policy: { revision: string } }).policy.revision;

  beforeAll(async () => {
    workspace = await policyWorkspace();
    t = await startTestSidecar("policy_watch", { POLICY_BUNDLE: workspace.bundle, POLICY_WATCH_INTERVAL_MS: "200" });
    watcher = spawn(process.execPath, [join(workspace.root, "scripts/policy-watch.mjs")], { cwd: workspace.root, stdio: ["ignore", "pipe", "pipe"] });
    watcher.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    watcher.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")));
    // The first run, on start, checks the copy as it is.
    await eventually(() => lines().some((l) => / PASS /.test(l)), "the watch's first run", 170_000);
  }, 180_000);

  afterAll(async () => {
    watcher?.kill();
    await t?.sidecar.close();
    if (t) await dropDatabase(t.databaseUrl);
    await workspace?.remove();
  });

  it("a save rebuilds the bundle and the sidecar serves its new revision; a broken save keeps the old one", async () => {
    const before = await revision();
    const passes = lines().filter((l) => / PASS /.test(l)).length;
    const saved = performance.now();
    await workspace.edit("b2b/templates/data.json", (text) => text.replace('"Only views products and prices."', '"Views products and prices only."'));
    await eventually(async () => (await revision()) !== before, "the sidecar serves the rebuilt bundle", 170_000);
    const editToLive = (performance.now() - saved) / 1000;
    process.stdout.write(`policy:watch edit to live: ${editToLive.toFixed(1)} s\n`);
    const after = await revision();
    await eventually(() => lines().filter((l) => / PASS /.test(l)).length > passes, "the PASS line", 60_000);
    const pass = lines().filter((l) => / PASS /.test(l)).at(-1)!;
    expect(pass).toMatch(/PASS coverage \d+\.\d+% revision [0-9a-f]{16} in \d+\.\d s \(b2b\/templates\/data\.json\)/);
    expect(pass).toContain(`revision ${after}`);

    const fails = lines().filter((l) => / FAIL /.test(l)).length;
    await workspace.edit("b2b/check/check.rego", (text) => `${text}\nbroken rule :=\n`);
    await eventually(() => lines().filter((l) => / FAIL /.test(l)).length > fails, "the FAIL line", 170_000);
    expect(lines().find((l) => / FAIL /.test(l))).toMatch(/FAIL .*check.*the bundle was not rebuilt/);
    expect(await revision()).toBe(after);
  }, 360_000);
});
