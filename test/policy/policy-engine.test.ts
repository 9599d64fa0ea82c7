import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { AuthzError } from "../../src/errors.ts";
import { readPolicyBundle } from "../../src/policy/bundle-reader.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";

const fixtures = new URL("../fixtures/bundles/", import.meta.url).pathname;
const permissive = join(fixtures, "permissive.tar.gz");
const incomplete = join(fixtures, "incomplete.tar.gz");
const misshapen = join(fixtures, "misshapen.tar.gz");

/** Writes the committed bundle out as a directory bundle (policy.wasm, data.json, .manifest) with a new revision. */
async function directoryBundle(dir: string, revision: string): Promise<void> {
  const bundle = await readPolicyBundle(defaultPolicyBundle);
  await writeFile(join(dir, "policy.wasm"), bundle.wasm);
  await writeFile(join(dir, "data.json"), JSON.stringify(bundle.data));
  await writeFile(join(dir, ".manifest"), JSON.stringify({ revision, roots: ["b2b"] }));
}

const unknownUserCheck = {
  subject: { id: "nobody" },
  org: "nowhere",
  action: "order.view",
  graph: { user: null, orgs: {}, memberships: [], roles: {}, tree: null },
};

describe("readPolicyBundle", () => {
  it("reads the committed opa build bundle: module, data and revision", async () => {
    const bundle = await readPolicyBundle(defaultPolicyBundle);
    expect(new TextDecoder().decode(bundle.wasm.subarray(1, 4))).toBe("asm");
    expect(bundle.data).toHaveProperty("b2b.catalog");
    expect(bundle.revision).toMatch(/^[0-9a-f]{16}$/);
  });

  it("fails with policy_unavailable for a missing file", async () => {
    await expect(readPolicyBundle("/nonexistent/bundle.tar.gz")).rejects.toMatchObject({
      code: "policy_unavailable",
    });
  });

  it("fails with policy_unavailable for a file that is not a bundle", async () => {
    const dir = await mkdtemp(join(tmpdir(), "b2b-authz-bundle-"));
    try {
      await writeFile(join(dir, "junk.tar.gz"), "not gzip at all");
      const error = await readPolicyBundle(join(dir, "junk.tar.gz")).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthzError);
      expect((error as AuthzError).code).toBe("policy_unavailable");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fails when the archive holds no policy.wasm", async () => {
    const dir = await mkdtemp(join(tmpdir(), "b2b-authz-bundle-"));
    try {
      await writeFile(join(dir, "data.json"), "{}");
      await expect(readPolicyBundle(dir)).rejects.toThrow(/has no policy.wasm/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("reads a directory bundle the same as the archive it came from", async () => {
    const dir = await mkdtemp(join(tmpdir(), "b2b-authz-bundle-"));
    try {
      await directoryBundle(dir, "dir-rev");
      const fromDir = await readPolicyBundle(dir);
      const fromArchive = await readPolicyBundle(defaultPolicyBundle);
      expect(fromDir.revision).toBe("dir-rev");
      expect(fromDir.data).toEqual(fromArchive.data);
      expect(Buffer.from(fromDir.wasm).equals(Buffer.from(fromArchive.wasm))).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("the archive is gzip-compressed tar as written by opa build", async () => {
    const { readFile } = await import("node:fs/promises");
    const tar = gunzipSync(await readFile(defaultPolicyBundle));
    expect(tar.length % 512).toBe(0);
  });
});

describe("PolicyEngine", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "b2b-authz-engine-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("starts on the committed bundle and reports its revision and entrypoints", async () => {
    const engine = await PolicyEngine.start(defaultPolicyBundle);
    const info = engine.info;
    expect(info?.revision).toBe((await readPolicyBundle(defaultPolicyBundle)).revision);
    expect(info?.entrypoints).toEqual([
      "b2b/check/decision",
      "b2b/batch/results",
      "b2b/orders/scope",
      "b2b/permissions/effective",
      "b2b/admin/decision",
      "b2b/roles/validation",
      "b2b/trees/limits",
    ]);
  });

  it("denies an unknown subject in an unknown org, with a reason", async () => {
    const engine = await PolicyEngine.start(defaultPolicyBundle);
    const decision = engine.evaluate("check", unknownUserCheck);
    expect(decision.decision).toBe("deny");
    expect(decision.allow).toBe(false);
    expect(decision.reasons.length).toBeGreaterThan(0);
  });

  it("turns an evaluation on a never-loaded engine into policy_unavailable", () => {
    const engine = new PolicyEngine();
    expect(() => engine.evaluate("check", unknownUserCheck)).toThrow(
      expect.objectContaining({ code: "policy_unavailable" }) as Error,
    );
    expect(engine.info).toBeNull();
  });

  it("refuses to start on a bundle that allows an unknown subject (self-check)", async () => {
    await expect(PolicyEngine.start(permissive)).rejects.toMatchObject({
      code: "policy_unavailable",
      message: expect.stringMatching(/self-check: b2b\/check\/decision allowed an unknown subject/) as string,
    });
  });

  it("refuses to start on a bundle that lacks entrypoints", async () => {
    await expect(PolicyEngine.start(incomplete)).rejects.toMatchObject({
      code: "policy_unavailable",
      message: expect.stringMatching(/lacks entrypoints: b2b\/batch\/results/) as string,
    });
  });

  it("reloads a changed bundle without a restart, and keeps serving the old one when the new one is rejected", async () => {
    await directoryBundle(dir, "rev-1");
    const engine = await PolicyEngine.start(dir);
    expect(engine.revision).toBe("rev-1");

    expect(await engine.reload()).toMatchObject({ status: "unchanged", revision: "rev-1" });

    await writeFile(join(dir, ".manifest"), JSON.stringify({ revision: "rev-2" }));
    expect(await engine.reload()).toMatchObject({ status: "activated", revision: "rev-2", previousRevision: "rev-1" });

    await cp(permissive, join(dir, "..", "permissive-copy.tar.gz"));
    const rejected = await engine.reload(join(dir, "..", "permissive-copy.tar.gz"));
    expect(rejected).toMatchObject({ status: "rejected", servingRevision: "rev-2" });
    expect(engine.revision).toBe("rev-2");
    expect(engine.evaluate("check", unknownUserCheck).allow).toBe(false);

    await writeFile(join(dir, "policy.wasm"), "truncated");
    await writeFile(join(dir, ".manifest"), JSON.stringify({ revision: "rev-3" }));
    expect(await engine.reload()).toMatchObject({ status: "rejected", servingRevision: "rev-2" });
    expect(engine.info?.source).toBe(dir);
    await rm(join(dir, "..", "permissive-copy.tar.gz"), { force: true });
  });

  it("refuses a bundle whose answers contradict themselves (deny with allow: true)", async () => {
    await expect(PolicyEngine.start(misshapen)).rejects.toMatchObject({
      code: "policy_unavailable",
      message: expect.stringMatching(/b2b\/check\/decision answered an unexpected shape/) as string,
    });
  });
});
