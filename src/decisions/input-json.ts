/**
 * The policy input as JSON text, built from pieces: the deep-frozen parts of a graph slice (a tree's orgs, a
 * subject's memberships, shared by every decision on them until the tree changes) are serialized once and reused, so
 * a warm decision does not re-serialize the org graph. The text is exactly JSON.stringify of the same input.
 *
 * Its memo key names those parts by identity instead of by text: a part `deepFreeze` made cannot change at any
 * depth, and a changed tree, user or role set gives new parts, so the key determines the text without writing it
 * (policy-engine.ts, DecisionMemo). Anything else, frozen only at the top or not at all, is keyed by its content.
 */
import { isDeepFrozen } from "../model/deep-frozen.ts";
import type { PolicyInput } from "../policy/policy-engine.ts";

const serialized = new WeakMap<object, string>();
const identities = new WeakMap<object, number>();
let nextIdentity = 1;

function jsonOf(value: unknown): string | undefined {
  if (!isDeepFrozen(value)) return JSON.stringify(value);
  let text = serialized.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    serialized.set(value, text);
  }
  return text;
}

/** `#<n>` for a deep-frozen part (never JSON text, which cannot start with "#"), its JSON otherwise. */
function keyOf(value: unknown): string | undefined {
  if (!isDeepFrozen(value)) return JSON.stringify(value);
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = nextIdentity++));
  return `#${id}`;
}

/** `{...request, "settings": <settings>, "graph": <graph>}` with the graph's deep-frozen members taken from the cache. */
export function policyInputJson(request: Record<string, unknown>, settingsJson: string, graph: unknown): string {
  return joinInput(JSON.stringify(request), settingsJson, graph);
}

/** The same input as a memo key (short, no graph text) and its JSON, written only if the memo misses. */
export function policyInput(request: Record<string, unknown>, settingsJson: string, graph: unknown): PolicyInput {
  return policyInputOfText(JSON.stringify(request), settingsJson, graph);
}

/** The same from the request's JSON text (`head`), which the decision log then reuses instead of writing again. */
export function policyInputOfText(head: string, settingsJson: string, graph: unknown): PolicyInput {
  return { key: `${head}\u0000${settingsJson}\u0000${graphKey(graph)}`, json: () => joinInput(head, settingsJson, graph) };
}

function joinInput(head: string, settingsJson: string, graph: unknown): string {
  return `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"settings":${settingsJson},"graph":${graphJson(graph)}}`;
}

function graphJson(graph: unknown): string {
  if (graph === null || typeof graph !== "object" || Array.isArray(graph)) return JSON.stringify(graph) ?? "null";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(graph)) {
    const text = jsonOf(value);
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${parts.join(",")}}`;
}

function graphKey(graph: unknown): string {
  if (graph === null || typeof graph !== "object" || Array.isArray(graph)) return JSON.stringify(graph) ?? "null";
  let key = "";
  for (const [name, value] of Object.entries(graph)) {
    const part = keyOf(value);
    if (part !== undefined) key += `${name}=${part}\u0000`;
  }
  return key;
}
