import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/**
 * The tree limits of an import are the policy's (policies/b2b/trees), whichever way the document comes in: POST
 * /v1/import and the operator's command line (`npm run graph:import`) refuse the same document with the same reasons,
 * against the machine's PostgreSQL.
 */
const run = promisify(execFile);
const limits = { MAX_TREE_DEPTH: "4", MAX_TREE_ORGS: "6" };
const staff = "staff:ops-1";
const org = (id: string, parent: string | null) => ({ id, name: id, parent });

let t: TestSidecar;
let dir: string;

beforeAll(async () => {
  t = await startTestSidecar("import_limits", limits);
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  const base = { orgs: [org("T", null), org("T1", "T"), org("T2", "T1"), org("T3", "T2")] };
  expect((await t.call("POST", "/v1/import", { actor: staff, body: base })).status).toBe(200);
  dir = await mkdtemp(join(tmpdir(), "b2b-authz-import-"));
});
afterAll(async () => {
  await t?.sidecar.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The command-line import of `document` into the sidecar's database: its exit code and the details it prints. */
async function cliImport(document: unknown): Promise<{ code: number; details: { path: string; message: string }[] }> {
  const file = join(dir, "document.json");
  await writeFile(file, JSON.stringify(document));
  const args = process.env.TEST_TARGET === "dist" ? ["dist/cli/graph-cli.js"] : ["--import", "tsx", "src/cli/graph-cli.ts"];
  const env = { ...process.env, ...limits, DATABASE_URL: t.databaseUrl, LOG_LEVEL: "silent" };
  const outcome = await run(process.execPath, [...args, "import", file], { env }).then(
    () => ({ code: 0, stderr: "" }),
    (error: { code?: number; stderr?: string }) => ({ code: error.code ?? -1, stderr: error.stderr ?? "" }),
  );
  const details = [...outcome.stderr.matchAll(/^ {2}(\S+): (.*)$/gm)].map((m) => ({ path: m[1]!, message: m[2]! }));
  return { code: outcome.code, details };
}

describe("an import beyond the tree limits", () => {
  const over = { orgs: [org("T4", "T3"), org("T1a", "T1"), org("T1b", "T1"), org("T1c", "T1")] };
  const reasons = [
    { path: "size_limit", message: "tree T would have 8 orgs; a tree has at most 6 orgs" },
    { path: "depth_limit", message: "tree T would be 5 levels deep (org T4); a tree has at most 4 levels" },
  ];

  it("is refused by POST /v1/import with the policy's reasons, and nothing is written", async () => {
    const res = await t.call("POST", "/v1/import", { actor: staff, body: over });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: "unprocessable", details: reasons });
    expect((await t.call("GET", "/v1/orgs/T/tree", { actor: staff })).body.size).toBe(4);
  });

  it("is refused by the command line with the same reasons", async () => {
    const cli = await cliImport(over);
    expect(cli.code).toBe(1);
    expect(cli.details).toEqual(reasons);
    expect((await t.call("GET", "/v1/orgs/T/tree", { actor: staff })).body.size).toBe(4);
  });
});
