import { isDeepStrictEqual } from "node:util";
import type { EntrypointName } from "../policy/entrypoints.ts";

/**
 * How a candidate bundle's answer differs from the live one's, for the same input (impact analysis and shadow
 * evaluation compare alike). Decisions change as `allow_to_deny` / `deny_to_allow`; any change to or from
 * `approval_required`, or of its approvers, is `approval_changed`; the same decision with other reasons is
 * `reasons_changed`. Order scopes and effective permissions change as `scope_changed` / `permissions_changed`;
 * anything else that differs is `result_changed`.
 */
export const diffKinds = [
  "allow_to_deny",
  "deny_to_allow",
  "approval_changed",
  "reasons_changed",
  "scope_changed",
  "permissions_changed",
  "result_changed",
] as const;
export type DiffKind = (typeof diffKinds)[number];

export interface DecisionDiff {
  /** The action code (a batch's item's), `admin.<operation>`, `orders.scope` or `permissions`. */
  action: string;
  kind: DiffKind;
  /** The candidate allows something the live bundle did not (more access): what rollout gates on. */
  widening: boolean;
  /** `deny→allow`, `conditional→always_allowed`: the outcomes side by side. */
  change: string;
  /** A batch's item index. */
  index?: number;
}

interface DecisionLike {
  decision?: unknown;
  allow?: unknown;
  reasons?: unknown;
  approvers?: unknown;
}

const APPROVAL = "approval_required";

/** Every difference between `live` and `candidate`, the answers of entrypoint `name` to `input`; [] when equal. */
export function diffAnswers(name: EntrypointName, input: Record<string, unknown>, live: unknown, candidate: unknown): DecisionDiff[] {
  if (isDeepStrictEqual(live, candidate)) return [];
  switch (name) {
    case "check":
      return oneOf(diffDecision(String(input.action), live as DecisionLike, candidate as DecisionLike));
    case "admin":
      return oneOf(diffDecision(`admin.${String(input.operation)}`, live as DecisionLike, candidate as DecisionLike));
    case "batch": {
      const checks = Array.isArray(input.checks) ? (input.checks as { action?: unknown }[]) : [];
      const a = Array.isArray(live) ? (live as DecisionLike[]) : [];
      const b = Array.isArray(candidate) ? (candidate as DecisionLike[]) : [];
      const diffs: DecisionDiff[] = [];
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        const diff = diffDecision(String(checks[i]?.action), a[i] ?? {}, b[i] ?? {});
        if (diff) diffs.push({ ...diff, index: i });
      }
      return diffs;
    }
    case "orderScope":
      return [diffScope(live as ScopeLike, candidate as ScopeLike)];
    case "permissions":
      return [diffPermissions(live as PermissionsLike, candidate as PermissionsLike)];
    default:
      return [{ action: name, kind: "result_changed", widening: false, change: "result" }];
  }
}

function oneOf(diff: DecisionDiff | null): DecisionDiff[] {
  return diff ? [diff] : [];
}

function diffDecision(action: string, live: DecisionLike, candidate: DecisionLike): DecisionDiff | null {
  if (isDeepStrictEqual(live, candidate)) return null;
  const from = String(live.decision);
  const to = String(candidate.decision);
  const change = `${from}→${to}`;
  const widening = candidate.allow === true && live.allow !== true;
  if (from !== to) {
    if (from === APPROVAL || to === APPROVAL) return { action, kind: "approval_changed", widening, change };
    return { action, kind: live.allow === true ? "allow_to_deny" : "deny_to_allow", widening, change };
  }
  if (from === APPROVAL && !isDeepStrictEqual(live.approvers, candidate.approvers)) {
    return { action, kind: "approval_changed", widening, change };
  }
  if (!isDeepStrictEqual(live.reasons, candidate.reasons)) return { action, kind: "reasons_changed", widening, change };
  return { action, kind: "result_changed", widening, change };
}

interface ScopeLike {
  kind?: unknown;
  scope?: { orgs?: readonly string[]; ownOrgs?: readonly string[] };
  reasons?: unknown;
}

/** Wider when the candidate sees every order where the live one did not, or an org (or own-orders org) more. */
function diffScope(live: ScopeLike, candidate: ScopeLike): DecisionDiff {
  const action = "orders.scope";
  const moved = (name: "orgs" | "ownOrgs") => {
    const was = new Set(live.scope?.[name] ?? []);
    const will = new Set(candidate.scope?.[name] ?? []);
    return [...[...will].filter((o) => !was.has(o)).map((o) => `+${o}`), ...[...was].filter((o) => !will.has(o)).map((o) => `-${o}`)];
  };
  const orgs = moved("orgs");
  const own = moved("ownOrgs");
  const detail = [...(orgs.length ? [`orgs ${orgs.join(" ")}`] : []), ...(own.length ? [`own orders ${own.join(" ")}`] : [])];
  const change = `${String(live.kind)}→${String(candidate.kind)}${detail.length ? ` (${detail.join("; ")})` : ""}`;
  const more = (pick: (s: ScopeLike) => readonly string[] | undefined) => {
    const seen = new Set(pick(live) ?? []);
    return (pick(candidate) ?? []).some((org) => !seen.has(org));
  };
  const widening =
    live.kind !== "always_allowed" &&
    (candidate.kind === "always_allowed" || more((s) => s.scope?.orgs) || more((s) => s.scope?.ownOrgs));
  if (live.kind !== candidate.kind || !isDeepStrictEqual(live.scope, candidate.scope)) {
    return { action, kind: "scope_changed", widening, change };
  }
  const kind = isDeepStrictEqual(live.reasons, candidate.reasons) ? "result_changed" : "reasons_changed";
  return { action, kind, widening, change };
}

interface PermissionsLike {
  permissions?: readonly { code: string; level: number }[];
  reasons?: unknown;
}

/** Wider when the candidate grants a permission the live one did not, or at a higher level. */
function diffPermissions(live: PermissionsLike, candidate: PermissionsLike): DecisionDiff {
  const action = "permissions";
  const levels = new Map((live.permissions ?? []).map((p) => [p.code, p.level]));
  const widened = (candidate.permissions ?? []).filter((p) => (levels.get(p.code) ?? 0) < p.level);
  const widening = widened.length > 0;
  const change = widening ? `wider: ${widened.map((p) => `${p.code}@${p.level}`).join(", ")}` : "permissions";
  if (!isDeepStrictEqual(live.permissions, candidate.permissions)) return { action, kind: "permissions_changed", widening, change };
  const kind = isDeepStrictEqual(live.reasons, candidate.reasons) ? "result_changed" : "reasons_changed";
  return { action, kind, widening, change };
}
