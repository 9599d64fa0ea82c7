import type { Config } from "../config.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import type { TreeLimitJudge } from "../model/tree-limits.ts";

/**
 * The policy's judgement of tree shapes (b2b/trees/limits) with the store's configured limits, for the store to call
 * under its tree locks: the HTTP import and the command-line import are judged by the same rules and report the same
 * reasons. A policy that cannot answer throws policy_unavailable, and the import is rolled back (fails closed).
 */
export function policyTreeLimits(engine: PolicyEngine, settings: Pick<Config, "MAX_TREE_DEPTH" | "MAX_TREE_ORGS">): TreeLimitJudge {
  const limits = { maxDepth: settings.MAX_TREE_DEPTH, maxOrgs: settings.MAX_TREE_ORGS };
  return (trees) => engine.evaluate("treeLimits", { settings: limits, trees }).reasons;
}
