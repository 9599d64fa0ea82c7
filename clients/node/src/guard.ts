import type { AuthzClient, CheckRequest, Decision } from "./client.ts";

/** What a route asks: who acts, in which org, on what (the action is the route's). */
export type PermissionInput = Omit<CheckRequest, "action">;

/** How a framework adapter answers: the decision to pass on, or the status and body to refuse with. */
export type GuardOutcome =
  | { allowed: true; decision: Decision }
  | { allowed: false; status: 403; body: GuardRefusal }
  | { allowed: false; status: 503; body: GuardRefusal; cause: unknown };

export interface GuardRefusal {
  error: { code: string; message: string; details: { path: string; message: string }[] };
  decision?: Decision["decision"];
  reasons?: Decision["reasons"];
  approvers?: Decision["approvers"];
  decisionId?: string;
}

/**
 * The one decision both middlewares make. Only `allow` passes; a deny or approval_required is 403 with the policy's
 * reasons, and anything that kept the sidecar from deciding (including the host's own bad input, or its input
 * function throwing, which the caller cannot fix) is 503: never a pass.
 */
export async function guard(client: AuthzClient, action: string, inputOf: () => PermissionInput | Promise<PermissionInput>): Promise<GuardOutcome> {
  let decision: Decision;
  try {
    decision = await client.check({ ...(await inputOf()), action });
  } catch (thrown) {
    return { allowed: false, status: 503, body: unavailable(), cause: thrown };
  }
  if (decision.allow && decision.decision === "allow") return { allowed: true, decision };
  return {
    allowed: false,
    status: 403,
    body: {
      error: { code: "forbidden", message: `${action} is not allowed`, details: [] },
      decision: decision.decision,
      reasons: decision.reasons,
      ...(decision.approvers ? { approvers: decision.approvers } : {}),
      decisionId: decision.decisionId,
    },
  };
}

/** The refusal when no decision could be had; the cause (the client error's code, status, details) stays with the host's log. */
export function unavailable(): GuardRefusal {
  return { error: { code: "authorization_unavailable", message: "authorization could not be decided", details: [] } };
}
