import type { Effective, Reason } from "./api.ts";

/**
 * Wording for what the API answered (no decision is made here): how a role is held, which permissions come only
 * from a level-3 reach, and a reason's extra fields.
 */

export function howHeld(role: { via: string; from: string }, org: string): string {
  if (role.via === "direct") return "direct";
  if (role.via === "inherited") return `inherited from ${role.from}`;
  if (role.via === "staff") return "staff role";
  return role.from === org ? role.via : `${role.via} from ${role.from}`;
}

/**
 * The grants of a permission that are no role held here: a role of an org above, not inheritable, whose level-3
 * permissions reach this org (b2b/permissions: rule 3 adds permissions, not roles).
 */
export function reachedAtLevel3(answer: Effective): { code: string; level: number; from: string[] }[] {
  const held = new Set(answer.roles.map((r) => (r.from === "staff" ? `${r.key}@staff` : `${r.key}@${r.from}`)));
  return answer.permissions
    .map((p) => ({ code: p.code, level: p.level, from: p.from.filter((f) => !held.has(f)) }))
    .filter((p) => p.from.length > 0);
}

/** The policy names why nothing is effective here, or why the org refuses acting: no reason and some permission means it may act. */
export function mayAct(answer: Effective): boolean {
  return answer.reasons.length === 0 && answer.permissions.length > 0;
}

/** A reason's fields besides code and message, as `name=value` text. */
export function reasonFields(reason: Reason): string {
  return Object.entries(reason)
    .filter(([name]) => name !== "code" && name !== "message")
    .map(([name, value]) => `${name}=${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(" ");
}

/** Any attribute value as text (never markup). */
export function asText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}
