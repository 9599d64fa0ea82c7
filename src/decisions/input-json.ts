/**
 * The policy input as JSON text, built from pieces: the frozen parts of a graph slice (a tree's orgs, a subject's
 * memberships, shared by every decision on them until the tree changes) are serialized once and reused, so a warm
 * decision does not re-serialize the org graph. The text is exactly JSON.stringify of the same input.
 */
const serialized = new WeakMap<object, string>();

function jsonOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || !Object.isFrozen(value)) return JSON.stringify(value);
  let text = serialized.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    serialized.set(value, text);
  }
  return text;
}

/** `{...request, "settings": <settings>, "graph": <graph>}` with the graph's frozen members taken from the cache. */
export function policyInputJson(request: Record<string, unknown>, settingsJson: string, graph: unknown): string {
  const head = JSON.stringify(request);
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
