import { AuthzError } from "../errors.ts";

/**
 * A graphToken names the store it comes from (its identity, migration 002) and the versions a write produced:
 * {key: version} for each cache key it touched ('t:<root>' a tree, 'u:<id>' a user, 'roles', 'staff'). Versions
 * of one key are ordered by commit (the bump holds the key's row lock), so "data at least as new as the token" is
 * a per-key comparison, and only meaningful within one store. Opaque to callers.
 */
export type GraphVersions = ReadonlyMap<string, number>;

/** Format 2: `g2.` + base64url JSON `{"s": store, "v": [[key, version], ...]}`. Format 1 named no store. */
const PREFIX = "g2.";

export function encodeToken(store: string, versions: Iterable<readonly [string, number]>): string {
  const pairs = [...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return PREFIX + Buffer.from(JSON.stringify({ s: store, v: pairs })).toString("base64url");
}

interface Decoded {
  store: string;
  versions: GraphVersions;
}

/** Decoding is memoized: clients pass the same token to many decisions in a row. */
const decoded = new Map<string, Decoded>();
const DECODED_MAX = 1024;

/** The versions of a token of store `store`; any other token is 400 on `consistency.atLeast`. */
export function decodeToken(token: string, store: string): GraphVersions {
  let hit = decoded.get(token);
  if (!hit) {
    hit = parse(token);
    if (decoded.size >= DECODED_MAX) decoded.clear();
    decoded.set(token, hit);
  }
  if (hit.store !== store) {
    throw new AuthzError("invalid_request", "consistency.atLeast is a graphToken of another store", {
      details: [{ path: "consistency.atLeast", message: "a graphToken of another store" }],
    });
  }
  return hit.versions;
}

function parse(token: string): Decoded {
  const invalid = () =>
    new AuthzError("invalid_request", "consistency.atLeast is not a graphToken from this store", {
      details: [{ path: "consistency.atLeast", message: "not a graphToken" }],
    });
  if (!token.startsWith(PREFIX) || token.length > 64 * 1024) throw invalid();
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  if (typeof raw !== "object" || raw === null) throw invalid();
  const { s, v } = raw as { s?: unknown; v?: unknown };
  if (typeof s !== "string" || !Array.isArray(v)) throw invalid();
  const versions = new Map<string, number>();
  for (const pair of v as unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== "string" || !Number.isSafeInteger(pair[1])) throw invalid();
    versions.set(pair[0], pair[1] as number);
  }
  return { store: s, versions };
}
