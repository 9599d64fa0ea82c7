import { describe, expect, it } from "vitest";
import { mergeGraphTokens } from "../../../clients/node/src/graph-token.ts";
import { decodeToken, encodeToken } from "../../../src/model/graph-token.ts";

/** The client's token carrying, read back by the sidecar's own decoder. */
describe("mergeGraphTokens", () => {
  it("keeps every key of both writes at its higher version, in a token the sidecar decodes", () => {
    const revoke = encodeToken("store-a", [["u:bob", 7], ["t:ACME", 3]]);
    const rename = encodeToken("store-a", [["t:ACME", 4], ["roles", 1]]);
    const merged = mergeGraphTokens(revoke, rename);
    expect(decodeToken(merged, "store-a")).toEqual(new Map([["roles", 1], ["t:ACME", 4], ["u:bob", 7]]));
    expect(mergeGraphTokens(rename, revoke)).toBe(merged);
  });

  it("takes the newer token when the two cannot be merged (another store, another format)", () => {
    const a = encodeToken("store-a", [["u:bob", 7]]);
    const b = encodeToken("store-b", [["u:bob", 1]]);
    expect(mergeGraphTokens(a, b)).toBe(b);
    expect(mergeGraphTokens(a, "g1.legacy")).toBe("g1.legacy");
    expect(mergeGraphTokens(undefined, a)).toBe(a);
  });
});
