/**
 * Carrying graphTokens from writes into decisions. A token names its store and the versions of the cache keys one
 * write touched, so after two writes the newer token alone may not cover the first write's keys (a revoked
 * membership, then an org rename: a decision carrying only the rename's token could read a stale membership on
 * another replica). Tokens of the current format and of one store are therefore merged key by key, keeping the
 * higher version; anything else (another format, another store) is replaced by the newer token, which the sidecar
 * then judges.
 */
const PREFIX = "g2.";

interface Token {
  s: string;
  v: [string, number][];
}

function decode(token: string): Token | undefined {
  if (!token.startsWith(PREFIX)) return undefined;
  try {
    const raw = JSON.parse(Buffer.from(token.slice(PREFIX.length), "base64url").toString("utf8")) as unknown;
    if (typeof raw !== "object" || raw === null) return undefined;
    const { s, v } = raw as { s?: unknown; v?: unknown };
    if (typeof s !== "string" || !Array.isArray(v)) return undefined;
    const pairs = v.filter((p): p is [string, number] => Array.isArray(p) && typeof p[0] === "string" && typeof p[1] === "number");
    return pairs.length === v.length ? { s, v: pairs } : undefined;
  } catch {
    return undefined;
  }
}

export function mergeGraphTokens(held: string | undefined, next: string): string {
  if (held === undefined || held === next) return next;
  const a = decode(held);
  const b = decode(next);
  if (!a || !b || a.s !== b.s) return next;
  const versions = new Map(a.v);
  for (const [key, version] of b.v) versions.set(key, Math.max(version, versions.get(key) ?? version));
  const pairs = [...versions].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return PREFIX + Buffer.from(JSON.stringify({ s: b.s, v: pairs })).toString("base64url");
}
