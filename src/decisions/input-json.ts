/**
 * The policy input as JSON text, built from pieces: the deep-frozen parts of a graph slice (a tree's orgs, a
 * subject's memberships, shared by every decision on them until the tree changes) are serialized once and reused, so
 * a warm decision does not re-serialize the org graph. The text is exactly JSON.stringify of the same input.
 *
 * Its memo key names those parts by identity instead of by text: a part `deepFreeze` made cannot change at any
 * depth, and a changed tree, user or role set gives new parts, so the key determines the text without writing it
 * (policy-engine.ts, DecisionMemo). Anything else, frozen only at the top or not at all, is keyed by its content.
 */
import { isDeepFrozen, type DeepFrozen } from "../model/deep-frozen.ts";
import type { PolicyInput } from "../policy/policy-engine.ts";

const serialized = new WeakMap<object, string>();
const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/** `#<n>` for a deep-frozen part (never JSON text, which cannot start with "#"). */
function identityOf(value: DeepFrozen<object>): string {
  let id = identities.get(value);
  if (id === undefined) identities.set(value, (id = nextIdentity++));
  return `#${id}`;
}

/** `{...request, "settings": <settings>, "graph": <graph>}` with the graph's deep-frozen members taken from the cache. */
export function policyInputJson(request: Record<string, unknown>, settingsJson: string, graph: unknown): string {
  return policyInput(request, settingsJson, graph).json();
}

/** The same input as a memo key (short, no graph text) and its JSON, written only if the memo misses. */
export function policyInput(request: Record<string, unknown>, settingsJson: string, graph: unknown): PolicyInput {
  return policyInputOfText(JSON.stringify(request), settingsJson, graph);
}

/**
 * The same from the request's JSON text (`head`), which the decision log then reuses instead of writing again. A
 * part of the graph that is not deep-frozen (a record built for this decision) is serialized once, for the key and
 * the text alike.
 */
export function policyInputOfText(head: string, settingsJson: string, graph: unknown): PolicyInput {
  const parts = graphParts(graph);
  return {
    key: `${head}\u0000${settingsJson}\u0000${parts.key}`,
    json: () => `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"settings":${settingsJson},"graph":${parts.json()}}`,
  };
}

function graphParts(graph: unknown): { key: string; json: () => string } {
  if (graph === null || typeof graph !== "object" || Array.isArray(graph)) {
    const text = JSON.stringify(graph) ?? "null";
    return { key: text, json: () => text };
  }
  let key = "";
  const entries: [name: string, value: unknown, text: string | undefined][] = [];
  for (const [name, value] of Object.entries(graph)) {
    if (isDeepFrozen(value)) {
      key += `${name}=${identityOf(value)}\u0000`;
      entries.push([name, value, undefined]);
    } else {
      const text = JSON.stringify(value);
      if (text === undefined) continue;
      key += `${name}=${text}\u0000`;
      entries.push([name, value, text]);
    }
  }
  return {
    key,
    json: () => `{${entries.map(([name, value, text]) => `${JSON.stringify(name)}:${text ?? cachedJson(value as DeepFrozen<object>)}`).join(",")}}`,
  };
}

function cachedJson(value: DeepFrozen<object>): string {
  let text = serialized.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    serialized.set(value, text);
  }
  return text;
}
