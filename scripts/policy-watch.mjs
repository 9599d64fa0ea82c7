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
import { watch } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..");
const policies = join(root, "policies");
const policySh = join(root, "scripts/policy.sh");
const DEBOUNCE_MS = 150;
// Written by the build itself (the templates' levels index): a change there is the toolchain's, not an edit.
const generated = new Set(["b2b/templates/levels/data.json"]);
const relevant = /\.(rego|json|ya?ml)$/;

/** Runs one step of scripts/policy.sh, keeping its output (printed only when it fails). */
function step(name, args = [name]) {
  return new Promise((resolve) => {
    const child = spawn("bash", [policySh, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ name, ok: code === 0, output }));
    child.on("error", (error) => resolve({ name, ok: false, output: String(error) }));
  });
}

function node(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    child.on("close", (code) => resolve({ name: "levels", ok: code === 0, output }));
  });
}

const time = () => new Date().toISOString().slice(11, 19);

/** The toolchain once: the levels index first (the tests read it), then check, lint and test side by side, then build. */
async function runOnce(changed) {
  const started = performance.now();
  const seconds = () => ((performance.now() - started) / 1000).toFixed(1);
  const about = changed.length ? ` (${changed.slice(0, 3).join(", ")}${changed.length > 3 ? ", …" : ""})` : "";
  const levels = await node([join(root, "scripts/generate-policy-artifacts.mjs"), "levels"]);
  const checks = levels.ok ? await Promise.all([step("check"), step("lint"), step("test")]) : [levels];
  const coverage = /policy coverage: ([\d.]+)%/.exec(checks.find((c) => c.name === "test")?.output ?? "")?.[1];
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) {
    const build = await step("build");
    if (build.ok) {
      const revision = /built, revision (\S+)/.exec(build.output)?.[1] ?? "?";
      console.log(`${time()} PASS coverage ${coverage ?? "?"}% revision ${revision} in ${seconds()} s${about}`);
      return true;
    }
    failed.push(build);
  }
  console.log(`${time()} FAIL ${failed.map((f) => f.name).join(", ")}${coverage ? ` (coverage ${coverage}%)` : ""} in ${seconds()} s${about}; the bundle was not rebuilt`);
  for (const f of failed) console.log(f.output.trimEnd().split("\n").slice(-25).map((l) => `  ${f.name}| ${l}`).join("\n"));
  return false;
}

if (process.argv.includes("--once")) {
  process.exit((await runOnce([])) ? 0 : 1);
}

let timer;
let running = false;
let pending = new Set();

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
