import { describe, expect, it } from "vitest";
import { TreeSnapshot } from "../../src/cache/tree-snapshot.ts";
import { isDeepFrozen } from "../../src/model/deep-frozen.ts";

describe("TreeSnapshot records", () => {
  const tree = new TreeSnapshot(
    {
      r: "A",
      v: 1,
      i: "store",
      x: null,
      o: [
        ["A", null, "A", "active", true, {}, "approval"],
        ["B", "A", "B", "active", true, {}, "approval"],
      ],
      m: [
        ["u1", "A", ["buyer"], true, { maxOrderTotal: 10 }],
        ["u1", "B", ["viewer"], false, null],
        ["u2", "B", ["buyer"], true, null],
        ["u3", "A", ["admin"], true, null],
        ["u3", "B", ["viewer"], true, null],
        ["u3", "B", ["buyer"], true, null],
      ],
    },
    0,
  );

  it("gives one user's memberships on the path whether they hold one or several", () => {
    expect(tree.pathSlice("u2", "B").memberships).toEqual([{ org: "B", roles: ["buyer"], inheritable: true }]);
    expect(tree.pathSlice("u1", "B").memberships.map((m) => m.org)).toEqual(["A", "B"]);
    expect(tree.pathSlice("u3", "B").memberships).toHaveLength(3);
    expect(tree.orgsOf("u3")).toEqual(["A", "B", "B"]);
    expect(tree.membership("u1", "A")).toEqual({ org: "A", roles: ["buyer"], inheritable: true, limits: { maxOrderTotal: 10 } });
    expect(tree.pathSlice("nobody", "B").memberships).toEqual([]);
  });

  it("hands out slices no reader can change, at any depth", () => {
    const slice = tree.pathSlice("u1", "B");
    const [first] = slice.memberships;
    expect(isDeepFrozen(slice.memberships)).toBe(true);
    expect(() => {
      (first!.limits as { maxOrderTotal: number }).maxOrderTotal = 1e9;
    }).toThrow(TypeError);
    expect(() => {
      (slice.orgs.B!.path as string[]).push("X");
    }).toThrow(TypeError);
    expect(() => {
      (tree.membership("u2", "B")!.roles as string[]).push("admin");
    }).toThrow(TypeError);
  });
});
