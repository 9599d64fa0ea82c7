import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { startTestSidecar } from "../http/sidecar-test-support.ts";
import { policyWorkspace, repoRoot, withTemplateLevel, type PolicyWorkspace } from "../policy/policy-workspace.ts";
import { dropDatabase, importInto } from "../store/graph-test-support.ts";

const run = promisify(execFile);
// CI runs the suites against dist (TEST_TARGET=dist): the CLI too.
const cli = process.env.TEST_TARGET === "dist" ? ["dist/cli/policy-impact.js"] : ["--import", "tsx", "src/cli/policy-impact.ts"];

const order = (id: string, org: string, buyer: string) => ({ type: "order", id, org, buyer });
const bob = { subject: { id: "bob" }, org: "ACME-EU" };
const frank = { subject: { id: "frank" }, org: "ACME-US" };

describe("npm run policy:impact", () => {
  let workspace: PolicyWorkspace;
  let candidate: string;
  let databaseUrl: string;
  let decisionLog: string;

  const impact = async (args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [...cli, ...args], {
        cwd: repoRoot,
        env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: "", POLICY_BUNDLE: "", LOG_LEVEL: "silent" },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  beforeAll(async () => {
    // A real rule change: the `buyer` template grants order.view at organization level (2), not own orders (1).
    workspace = await policyWorkspace();
    await workspace.edit("b2b/templates/data.json", withTemplateLevel("buyer", "order.view", 2));
    candidate = await workspace.buildBundle();

    // Real traffic: a sidecar on the demo graph writes its decision log, with order totals masked.
    decisionLog = join(workspace.root, "decisions.log");
    const destination = pino.destination({ dest: decisionLog, sync: true });
    const t = await startTestSidecar("policy_impact", { DECISION_LOG: "stdout", LOG_LEVEL: "warn", DECISION_LOG_MASK: "resource.attributes.total" }, destination);
    databaseUrl = t.databaseUrl;
    await importInto(databaseUrl, demoDocument);
    const calls: [string, unknown][] = [
      ["/v1/check", { ...bob, action: "order.view", resource: order("o-zoe", "ACME-EU", "zoe") }],
      ["/v1/check", { ...bob, action: "order.view", resource: order("o-bob", "ACME-EU", "bob") }],
      ["/v1/check", { subject: { id: "carol" }, org: "ACME-DE", action: "order.place", resource: { ...order("o-c", "ACME-DE", "carol"), attributes: { total: 300 } } }],
      ["/v1/check", { subject: { id: "carol" }, org: "ACME-DE", action: "order.view", resource: order("o-e", "ACME-BER", "dave") }],
      ["/v1/orders/query", bob],
      ["/v1/permissions", bob],
      ["/v1/check/batch", { ...frank, checks: [{ action: "order.view", resource: order("o-x", "ACME-US", "xavier") }, { action: "order.place" }] }],
      ["/v1/check", { subject: { id: "frank" }, org: "GLOBEX", action: "order.view", resource: order("o-g", "GLOBEX", "zoe") }],
    ];
    for (const [path, body] of calls) expect((await t.call("POST", path, { body })).status).toBe(200);
    // An administration decision: logged at b2b/admin/decision with the actor as subject, replayed the same way.
    expect((await t.call("PUT", "/v1/orgs/ACME-DE/members/gina", { body: { roles: ["buyer"] }, actor: "user:alice" })).status).toBe(201);
    await t.sidecar.close();
  }, 180_000);

  afterAll(async () => {
    if (databaseUrl) await dropDatabase(databaseUrl);
    await workspace?.remove();
  });

  it("replays a decision log on today's graph and reports the exact flips; widening exits 1", async () => {
    const { code, stdout, stderr } = await impact(["--candidate", candidate, "--requests", decisionLog, "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.requests).toEqual({ read: 9, replayed: 8, unchanged: 3, changed: 5, masked: 1, skipped: 0, invalid: 0, failed: 0 });
    expect(report.masked).toHaveLength(1);
    expect(report.differences).toBe(5);
    expect(report.widening).toBe(4);
    expect(report.byAction).toEqual({ "order.view": 3, "orders.scope": 1, permissions: 1 });
    expect(report.byTree).toEqual({ ACME: 5 });
    const flips = report.groups.flatMap((g: { action: string; tree: string; examples: { subject: string; org: string; kind: string; change: string; widening: boolean; index?: number }[] }) =>
      g.examples.map((e) => ({ action: g.action, tree: g.tree, who: `${e.subject}@${e.org}`, kind: e.kind, change: e.change, widening: e.widening, ...(e.index !== undefined ? { index: e.index } : {}) })),
    );
    expect(flips).toEqual([
      { action: "order.view", tree: "ACME", who: "bob@ACME-EU", kind: "deny_to_allow", change: "deny→allow", widening: true },
      { action: "order.view", tree: "ACME", who: "bob@ACME-EU", kind: "reasons_changed", change: "allow→allow", widening: false },
      { action: "order.view", tree: "ACME", who: "frank@ACME-US", kind: "deny_to_allow", change: "deny→allow", widening: true, index: 0 },
      { action: "orders.scope", tree: "ACME", who: "bob@ACME-EU", kind: "scope_changed", change: "conditional→conditional (orgs +ACME-EU; own orders -ACME-EU)", widening: true },
      { action: "permissions", tree: "ACME", who: "bob@ACME-EU", kind: "permissions_changed", change: "wider: order.view@2", widening: true },
    ]);
    const text = await impact(["--candidate", candidate, "--requests", decisionLog]);
    expect(text.stdout).toContain("WIDENING: the candidate allows 4 decision(s) the live bundle did not");
    expect(text.stdout).toContain("order.view in tree ACME: 3 (deny_to_allow 2, reasons_changed 1; widening 2)");
    if (process.env.TEST_PRINT_IMPACT) process.stdout.write(text.stdout);
  }, 120_000);

  it("--accept-widening exits 0; a JSON-lines file of requests replays too, and bad lines are named", async () => {
    const requests = join(workspace.root, "requests.jsonl");
    await writeFile(
      requests,
      [
        JSON.stringify({ ...bob, action: "order.view", resource: order("o-zoe", "ACME-EU", "zoe") }),
        JSON.stringify({ subject: { id: "gina" }, org: "ACME-FR", action: "catalog.browse" }),
        "not json",
        JSON.stringify({ subject: { id: "bob" }, action: "order.view" }),
        JSON.stringify({ level: 30, time: 1, service: "b2b-authz", msg: "b2b-authz listening" }),
      ].join("\n"),
    );
    const { code, stdout } = await impact(["--candidate", candidate, "--requests", requests, "--json", "--accept-widening"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.requests).toMatchObject({ read: 5, replayed: 2, changed: 1, unchanged: 1, invalid: 2, skipped: 1 });
    expect(report.invalid.map((i: { where: string }) => i.where)).toEqual([`${requests}:3`, `${requests}:4`]);
    expect(report.widening).toBe(1);
  }, 120_000);

  it("a candidate equal to the live bundle changes nothing and exits 0; usage errors exit 2", async () => {
    const same = await impact(["--candidate", join(repoRoot, "bundle/bundle.tar.gz"), "--requests", decisionLog, "--json"]);
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ differences: 0, widening: 0, groups: [] });
    expect((await impact(["--requests", decisionLog])).code).toBe(2);
    const broken = await impact(["--candidate", join(repoRoot, "test/fixtures/bundles/permissive.tar.gz"), "--requests", decisionLog]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("policy_unavailable");
    expect(await readFile(decisionLog, "utf8")).toContain('"log":"decision"');
  }, 120_000);
});
