import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { readPolicyBundle } from "../../src/policy/bundle-reader.ts";
import { watchPolicyBundle } from "../../src/policy/bundle-watcher.ts";
import { entrypoints } from "../../src/policy/entrypoints.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";
import { eventually } from "../store/graph-test-support.ts";

/**
 * A bundle is told apart from the serving one by its content (a digest of its files), not by the revision its
 * manifest declares: a rebuilt policy that kept the revision is activated all the same, and both are reported.
 */
const root = new URL("../../", import.meta.url).pathname;
const opa = process.env.OPA_BIN ?? join(root, "tools/bin/opa");
let dir: string;
let changed: string;
let revision: string;

/** The committed policies with one reason message reworded, compiled as scripts/policy.sh does, same revision. */
async function buildReworded(out: string, declaredRevision: string): Promise<void> {
  const sources = join(dir, "policies");
  await cp(join(root, "policies"), sources, { recursive: true });
  const status = join(sources, "b2b/status/status.rego");
  const rego = await readFile(status, "utf8");
  const reworded = rego.replaceAll('" is not known"', '" is unknown to this store"');
  expect(reworded).not.toBe(rego);
  await writeFile(status, reworded);
  const args = ["build", "-t", "wasm", "-b", "--capabilities", join(root, "policies.capabilities.json"), "--revision", declaredRevision];
  for (const e of Object.values(entrypoints)) args.push("-e", e.path);
  args.push("--ignore", "*_test.rego", "--ignore", "README.md", "-o", out, sources);
  await promisify(execFile)(opa, args, { cwd: dir });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "b2b-authz-digest-"));
  revision = (await readPolicyBundle(defaultPolicyBundle)).revision;
  changed = join(dir, "changed.tar.gz");
  await buildReworded(changed, revision);
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("bundle content digest", () => {
  it("reads the same revision but a different digest from the rebuilt bundle", async () => {
    const committed = await readPolicyBundle(defaultPolicyBundle);
    const rebuilt = await readPolicyBundle(changed);
    expect(rebuilt.revision).toBe(committed.revision);
    expect(rebuilt.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(rebuilt.digest).not.toBe(committed.digest);
    // The digest is the content's: a copy elsewhere, or the same files as a directory, digest alike.
    await cp(defaultPolicyBundle, join(dir, "copy.tar.gz"));
    expect((await readPolicyBundle(join(dir, "copy.tar.gz"))).digest).toBe(committed.digest);
  });

  it("a sidecar's watcher activates a changed bundle that kept its manifest revision, and reports both", async () => {
    const serving = join(dir, "serving.tar.gz");
    await cp(defaultPolicyBundle, serving);
    const lines: string[] = [];
    const t: TestSidecar = await startTestSidecar(
      "bundle_digest",
      { POLICY_BUNDLE: serving, POLICY_WATCH_INTERVAL_MS: "50", LOG_LEVEL: "info" },
      { write: (line: string) => void lines.push(line) },
    );
    try {
      const before = await t.call("GET", "/v1/status");
      expect(before.body.policy.revision).toBe(revision);
      const digestBefore = before.body.policy.digest as string;
      expect(digestBefore).toMatch(/^[0-9a-f]{64}$/);

      const ask = () =>
        t.call("POST", "/v1/check", { key: CHECK_KEY, body: { subject: { id: "nobody" }, org: "NO-SUCH-ORG", action: "order.view" } });
      expect(JSON.stringify((await ask()).body.reasons)).toContain("is not known");

      await cp(changed, `${serving}.new`);
      await rename(`${serving}.new`, serving);
      await eventually(async () => JSON.stringify((await ask()).body.reasons).includes("is unknown to this store"), "the rebuilt bundle serving");

      const after = await t.call("GET", "/v1/status");
      expect(after.body.policy.revision).toBe(revision);
      expect(after.body.policy.digest).not.toBe(digestBefore);
      const answer = await ask();
      expect(answer.body.policyRevision).toBe(revision);
      const events = lines.filter((l) => l.includes('"log":"decision"')).map((l) => JSON.parse(l) as { decision_id: string; bundles: unknown });
      const event = events.find((e) => e.decision_id === answer.body.decisionId);
      expect(event?.bundles).toEqual({ b2b: { revision, digest: after.body.policy.digest } });

      // The watcher's status: a file, read, polled again soon; then a broken file refused, the bundle still serving.
      expect(after.body.bundle).toMatchObject({ source: serving, kind: "file", signed: false, etag: null, servedFrom: "source", lastError: null });
      expect(Date.parse(after.body.bundle.nextPollAt as string)).toBeGreaterThan(Date.parse(after.body.bundle.lastSuccessAt as string));
      await writeFile(`${serving}.new`, "not a bundle");
      await rename(`${serving}.new`, serving);
      await eventually(async () => (await t.call("GET", "/v1/status")).body.bundle.lastError?.reason === "bundle_unreadable", "the broken file refused");
      expect((await ask()).body.policyRevision).toBe(revision);
    } finally {
      await t.sidecar.close();
    }
  });

  it("the watcher sees a directory bundle whose data changed in place, with the same size, time and revision", async () => {
    const bundleDir = join(dir, "dir-bundle");
    const committed = await readPolicyBundle(defaultPolicyBundle);
    await mkdir(bundleDir);
    await writeFile(join(bundleDir, "policy.wasm"), committed.wasm);
    const dataText = JSON.stringify(committed.data);
    await writeFile(join(bundleDir, "data.json"), dataText);
    await writeFile(join(bundleDir, ".manifest"), JSON.stringify({ revision: "same-rev", roots: ["b2b"] }));
    const engine = await PolicyEngine.start(bundleDir);
    let looked!: () => void;
    const firstLook = new Promise<void>((resolve) => (looked = resolve));
    const watcher = watchPolicyBundle(engine, bundleDir, 50, undefined, () => looked());
    try {
      // The watcher has read the bundle as served before it changes: what follows is a change it must notice.
      await firstLook;
      const digestBefore = engine.info?.digest;
      const templates = () => engine.bundleData("b2b.templates.roles") as Record<string, { name: string }>;
      const name = templates().buyer!.name;
      const renamed = name.replace(/.$/, (c) => (c === "X" ? "Y" : "X"));
      const file = join(bundleDir, "data.json");
      const { mtime, atime, size } = await stat(file);
      await writeFile(file, dataText.replace(JSON.stringify(name), JSON.stringify(renamed)));
      await utimes(file, atime, mtime);
      expect((await stat(file)).size).toBe(size);
      await eventually(() => templates().buyer!.name === renamed, "the changed data serving");
      expect(engine.revision).toBe("same-rev");
      expect(engine.info?.digest).not.toBe(digestBefore);
    } finally {
      watcher.stop();
    }
  });
});
