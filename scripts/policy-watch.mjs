// `npm run policy:watch`: on every save under policies/, the whole policy toolchain of scripts/policy.sh (check,
// lint, test with coverage, then build), and one line saying how it went: pass or fail, coverage, the new revision.
// A sidecar whose POLICY_BUNDLE is bundle/bundle.tar.gz picks the new bundle up on its next poll.
//
// node's recursive fs.watch (inotify on Linux, FSEvents on macOS; new folders included since Node 20) rather than
// a watcher library: it sees editors' atomic saves (write and rename) as changes to the file, which is all this
// needs, and adds no dependency. Saves come in bursts (an editor's temp file, a formatter), so a run starts once
// the tree has been quiet for DEBOUNCE_MS, and saves during a run start one more run after it.
//
// Options: --once runs the toolchain once and exits with its status (0 pass, 1 fail).
import { spawn } from "node:child_process";
import { setTimeout, clearTimeout } from "node:timers";
import { performance } from "node:perf_hooks";
import { renameSync, rmSync, watch } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const policies = join(root, "policies");
const policySh = join(root, "scripts/policy.sh");
const bundle = join(root, "bundle/bundle.tar.gz");
const staged = join(root, "bundle/.staged.tar.gz");
const DEBOUNCE_MS = 150;
// Written by the build itself (the templates' levels index): a change there is the toolchain's, not an edit.
const generated = new Set(["b2b/templates/levels/data.json"]);
const relevant = /\.(rego|json|ya?ml)$/;

/** Runs one step of scripts/policy.sh (or a node script), keeping its output (printed only when it fails). */
function step(name, args = [name], env = {}, command = "bash") {
  return new Promise((resolve) => {
    const argv = command === "bash" ? [policySh, ...args] : args;
    const child = spawn(command, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ name, ok: code === 0, output }));
    child.on("error", (error) => resolve({ name, ok: false, output: String(error) }));
  });
}

/** Files saved since the current run started (or since the last one, while none runs). */
let pending = new Set();

const time = () => new Date().toISOString().slice(11, 19);

/**
 * The toolchain once: the levels index first (the tests read it); then check, lint and test side by side, with the
 * bundle built beside them into a staging file; only when all pass does the staged bundle replace
 * bundle/bundle.tar.gz (a rename, so a polling sidecar never reads half a file), and `policy.sh generated` then
 * writes the files derived from it, as `policy:build` does.
 */
async function runOnce(changed) {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const about = changed.length ? ` (${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", …" : ""})` : "";
  const levels = await step("levels", [join(root, "scripts/generate-policy-artifacts.mjs"), "levels"], {}, process.execPath);
  const checks = levels.ok
    ? await Promise.all([step("check"), step("lint"), step("test"), step("bundle", ["bundle"], { POLICY_BUNDLE_OUT: staged })])
    : [levels];
  const coverage = /policy coverage: ([\d.]+)%/.exec(checks.find((c) => c.name === "test")?.output ?? "")?.[1];
  const failed = checks.filter((c) => !c.ok);
  if (pending.size > 0) {
    // Saved again while this ran: the staged bundle may hold sources the checks did not see. The next run decides.
    rmSync(staged, { force: true });
    console.log(`${time()} superseded by a newer save after ${seconds()} s${about}`);
    return false;
  }
  if (failed.length === 0) {
    renameSync(staged, bundle);
    const revision = /built, revision (\S+)/.exec(checks.find((c) => c.name === "bundle").output)?.[1] ?? "?";
    console.log(`${time()} PASS coverage ${coverage ?? "?"}% revision ${revision} in ${seconds()} s${about}`);
    // Not `build`: that would bundle the sources again, and they may have changed since the checks read them.
    const build = await step("generated");
    if (build.ok) return true;
    console.log(`${time()} FAIL generated files: the bundle is live, the files derived from it were not written`);
    console.log(build.output.trimEnd().split("\n").slice(-25).map((l) => `  build| ${l}`).join("\n"));
    return false;
  }
  rmSync(staged, { force: true });
  console.log(`${time()} FAIL ${failed.map((f) => f.name).join(", ")}${coverage ? ` (coverage ${coverage}%)` : ""} in ${seconds()} s${about}; the bundle was not rebuilt`);
  // A parse error fails every step alike: the first failed step says it all, the others by their first line.
  failed.forEach((f, i) => {
    const lines = f.output.trimEnd().split("\n");
    console.log((i === 0 ? lines.slice(-25) : lines.slice(0, 1)).map((l) => `  ${f.name}| ${l}`).join("\n"));
  });
  return false;
}

if (process.argv.includes("--once")) {
  process.exit((await runOnce([])) ? 0 : 1);
}

let timer;
let running = false;

function schedule() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    if (running) return;
    running = true;
    const changed = [...pending];
    pending = new Set();
    try {
      await runOnce(changed);
    } finally {
      running = false;
      if (pending.size > 0) schedule();
    }
  }, DEBOUNCE_MS);
}

watch(policies, { recursive: true }, (_event, file) => {
  if (!file) return;
  const path = relative(policies, join(policies, String(file))).split(sep).join("/");
  if (generated.has(path) || !relevant.test(path)) return;
  pending.add(path);
  if (!running) schedule();
});
console.log(`${time()} watching ${relative(process.cwd(), policies) || policies}: every save runs check, lint, test and build`);
schedule();
