import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { DecisionLog } from "../../src/decisions/decision-log.ts";
import { ShadowEvaluation, type ShadowJob } from "../../src/decisions/shadow-evaluation.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { captureLogLines, startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";
import { policyWorkspace, withTemplateLevel, type PolicyWorkspace } from "../policy/policy-workspace.ts";
import { dropDatabase, eventually, importInto } from "../store/graph-test-support.ts";

// The candidate: the `buyer` template grants order.view at organization level (2) instead of own orders (1).
const othersOrder = { subject: { id: "bob" }, org: "ACME-EU", action: "order.view", resource: { type: "order", id: "o-zoe", org: "ACME-EU", buyer: "zoe" } };
const ownOrder = { subject: { id: "bob" }, org: "ACME-EU", action: "order.view", resource: { type: "order", id: "o-bob", org: "ACME-EU", buyer: "bob" } };
const unaffected = { subject: { id: "carol" }, org: "ACME-DE", action: "order.place", resource: { type: "order", org: "ACME-DE", buyer: "carol", attributes: { total: 300 } } };

describe("shadow evaluation (POLICY_SHADOW_BUNDLE)", () => {
  let workspace: PolicyWorkspace;
  let candidateBundle: string;
  let t: TestSidecar;
  const { lines, destination } = captureLogLines();

  beforeAll(async () => {
    workspace = await policyWorkspace();
    await workspace.edit("b2b/templates/data.json", withTemplateLevel("buyer", "order.view", 2));
    candidateBundle = await workspace.buildBundle();
    t = await startTestSidecar(
      "shadow_eval",
      { POLICY_SHADOW_BUNDLE: candidateBundle, POLICY_SHADOW_SAMPLE: "1", DECISION_LOG: "stdout", LOG_LEVEL: "warn", DECISION_LOG_MASK: "resource.id" },
      destination,
    );
    await importInto(t.databaseUrl, demoDocument);
  }, 120_000);

  afterAll(async () => {
    await t?.sidecar.close();
    if (t) await dropDatabase(t.databaseUrl);
    await workspace?.remove();
  });

  it("answers with the live bundle, and counts, exposes and logs where the candidate disagrees", async () => {
    const live = t.sidecar.engine.revision;
    const status0 = await t.call("GET", "/v1/status");
    expect(status0.body.shadow).toMatchObject({ source: candidateBundle, sample: 1, evaluated: 0 });
    expect(status0.body.shadow.revision).not.toBe(live);

    const answers = [];
    for (const request of [othersOrder, ownOrder, unaffected]) answers.push(await t.call("POST", "/v1/check", { body: request }));
    // The live bundle's answers: bob may not see another buyer's order, whatever the candidate says.
    expect(answers.map((a) => [a.status, a.body.decision, a.body.policyRevision])).toEqual([
      [200, "deny", live],
      [200, "allow", live],
      [200, "allow", live],
    ]);
    expect(answers[0]!.body.reasons.map((r: { code: string }) => r.code)).toEqual(["level_too_low"]);

    await eventually(async () => (await t.call("GET", "/v1/status")).body.shadow.evaluated === 3, "three decisions shadowed");
    const { shadow } = (await t.call("GET", "/v1/status")).body;
    expect(shadow).toMatchObject({
      evaluated: 3,
      agreed: 1,
      disagreed: 2,
      errors: 0,
      dropped: 0,
      pending: 0,
      disagreements: { "order.view": { deny_to_allow: 1, reasons_changed: 1 } },
    });

    const metrics = (await t.call("GET", "/metrics")).body as string;
    expect(metrics).toContain('b2b_authz_shadow_disagreements_total{action="order.view",kind="deny_to_allow"} 1');
    expect(metrics).toContain('b2b_authz_shadow_disagreements_total{action="order.view",kind="reasons_changed"} 1');
    expect(metrics).toContain('b2b_authz_shadow_evaluations_total{outcome="agreed"} 1');
    expect(metrics).toContain('b2b_authz_shadow_evaluations_total{outcome="disagreed"} 2');

    const shadowLines = lines.filter((l) => l.log === "shadow");
    expect(shadowLines).toHaveLength(2);
    const widened = shadowLines.find((l) => (l.differences as { kind: string }[])[0]?.kind === "deny_to_allow")!;
    expect(widened).toMatchObject({
      path: "b2b/check/decision",
      decision_id: answers[0]!.body.decisionId,
      result: { decision: "deny" },
      candidate_result: { decision: "allow" },
      differences: [{ action: "order.view", kind: "deny_to_allow", widening: true, change: "deny→allow" }],
      bundles: { b2b: { revision: live }, candidate: { revision: shadow.revision } },
    });
    // Masked as the decision log masks: the order id is gone from the input and from both answers.
    expect((widened.input as { resource: { id: string } }).resource.id).toBe("***");
    expect(JSON.stringify(widened)).not.toContain("o-zoe");
    // The decision events are the live answers, as without a shadow.
    const decisions = lines.filter((l) => l.log === "decision");
    expect(decisions.map((l) => (l.result as { decision: string }).decision)).toEqual(["deny", "allow", "allow"]);
  });
});

describe("ShadowEvaluation queue", () => {
  it("samples, evaluates only after the current turn, and drops and counts what exceeds its bound", async () => {
    const candidate = await PolicyEngine.start(defaultPolicyBundle);
    const written: string[] = [];
    const log = new DecisionLog({ enabled: true, write: (line) => written.push(line) }, []);
    const input = { subject: { id: "nobody" }, org: "nowhere", action: "order.view" };
    const graph = { user: null, orgs: {}, memberships: [], roles: {}, tree: null };
    const inputJson = JSON.stringify({ ...input, graph });
    const live = candidate.evaluateJson("check", inputJson);
    const job = (): ShadowJob => ({
      name: "check",
      decisionId: "d",
      path: "b2b/check/decision",
      requestInput: input,
      input: { key: inputJson, json: () => inputJson },
      live,
      liveRevision: candidate.revision,
    });
    const shadow = new ShadowEvaluation({ candidate, sample: 1, maxPending: 2, log });
    for (let i = 0; i < 5; i++) shadow.offer(job);
    expect(shadow.status).toMatchObject({ evaluated: 0, pending: 2, dropped: 3 });
    await eventually(() => shadow.status.pending === 0, "queue worked");
    expect(shadow.status).toMatchObject({ evaluated: 2, agreed: 2, disagreed: 0, dropped: 3 });
    expect(written).toEqual([]);

    const draws = [0.1, 0.9, 0.2];
    const sampled = new ShadowEvaluation({ candidate, sample: 0.5, maxPending: 10, log, random: () => draws.shift() ?? 1 });
    for (let i = 0; i < 3; i++) sampled.offer(job);
    expect(sampled.status.pending).toBe(2);
    const off = new ShadowEvaluation({ candidate, sample: 0, maxPending: 10, log });
    off.offer(job);
    expect(off.status.pending).toBe(0);
  });
});
