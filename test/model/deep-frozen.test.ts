import { describe, expect, it } from "vitest";
import { deepFreeze, freezeUnmarked, isDeepFrozen } from "../../src/model/deep-frozen.ts";

describe("freezeUnmarked", () => {
  it("freezes every depth without marking, and a deepFreeze of a record holding it still marks only that record", () => {
    const membership = freezeUnmarked({ org: "A", roles: ["buyer"], limits: { periodBudget: { amount: 5 } } });
    expect(Object.isFrozen(membership.roles)).toBe(true);
    expect(Object.isFrozen(membership.limits.periodBudget)).toBe(true);
    expect(isDeepFrozen(membership)).toBe(false);
    const slice = deepFreeze({ memberships: [membership] });
    expect(isDeepFrozen(slice)).toBe(true);
    expect(isDeepFrozen(slice.memberships)).toBe(true);
    expect(isDeepFrozen(membership)).toBe(false);
  });

  it("leaves an object deepFreeze marked as it is", () => {
    const shared = deepFreeze(["buyer"]);
    freezeUnmarked({ roles: shared });
    expect(isDeepFrozen(shared)).toBe(true);
  });
});
