import { AuthzError } from "../errors.ts";

/**
 * A graphToken names the versions a write produced: {key: version} for each cache key it touched
 * ('t:<root>' a tree, 'u:<id>' a user, 'roles', 'staff'). Versions of one key are ordered by commit (the bump
 * holds the key's row lock), so "data at least as new as the token" is a per-key comparison. Opaque to callers.
 */
export type GraphVersions = ReadonlyMap<string, number>;

const PREFIX = "g1.";

export function encodeToken(versions: Iterable<readonly [string, number]>): string {
  const pairs = [...versions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return PREFIX + Buffer.from(JSON.stringify(pairs)).toString("base64url");
}

/** Decoding is memoized: clients pass the same token to many decisions in a row. */
const decoded = new Map<string, GraphVersions>();
const DECODED_MAX = 1024;

export function decodeToken(token: string): GraphVersions {
  const hit = decoded.get(token);
  if (hit) return hit;
  const versions = parse(token);
  if (decoded.size >= DECODED_MAX) decoded.clear();
  decoded.set(token, versions);
  return versions;
}

function parse(token: string): GraphVersions {
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
  if (!Array.isArray(raw)) throw invalid();
  const versions = new Map<string, number>();
  for (const pair of raw as unknown[]) {
    if (!Array.isArray(pair) || typeof pair[0] !== "string" || !Number.isSafeInteger(pair[1])) throw invalid();
    versions.set(pair[0], pair[1] as number);
  }
  return versions;
}

/** The token of a read: no bound. */
export const EMPTY_TOKEN = encodeToken([]);
