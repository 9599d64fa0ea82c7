import { describe, expect, it } from "vitest";
import { importedFixtures } from "./importer-test-support.ts";

describe("commercetools importer: the Merchant Center's decisions after import (seed 002)", () => {
  const fixtures = importedFixtures("importer_ct", "commercetools");
  const { decide } = fixtures;

  it("imports the units, roles, associates and customers, and reports what has no place", () => {
    expect(fixtures.imported.counts).toMatchObject({ roles: 2, orgs: 4, users: 4, memberships: 4 });
    const paths = (fixtures.imported.notes as { path: string }[]).map((n) => n.path);
    expect(paths).toContain("body.business-units[0].stores");
    expect(paths).toContain("body.associate-roles[0].permissions[3]"); // UpdateParentUnit
    expect(paths).toContain("body.customers[2].customerGroup");
  });

  it("seed 002: a Division with ExplicitAndFromParent inherits an assignment with inheritance Enabled", async () => {
    // alice's Admin assignment at the Company is Enabled; ACME Europe accepts roles from its parent.
    expect(await decide({ subject: "c-alice", org: "acme-eu", action: "user.manage" })).toBe("allow");
    expect(await decide({ subject: "c-alice", org: "acme-eu", action: "order.place" })).toBe("allow");
  });

  it("seed 002: ... and not one whose assignment is Disabled", async () => {
    expect(await decide({ subject: "c-bob", org: "acme", action: "order.place" })).toBe("allow");
    expect(await decide({ subject: "c-bob", org: "acme-eu", action: "order.place" })).toBe("deny");
  });

  it("seed 002: a Division with associateMode Explicit inherits nothing, even an Enabled assignment", async () => {
    expect(await decide({ subject: "c-alice", org: "acme-fr", action: "order.place" })).toBe("deny");
  });

  it("seed 002: \"My\" permissions are level 1 and \"Others\" level 2", async () => {
    const mine = { type: "order", org: "acme", buyer: "c-bob" };
    const others = { type: "order", org: "acme", buyer: "c-alice" };
    expect(await decide({ subject: "c-bob", org: "acme", action: "order.view", resource: mine })).toBe("allow");
    expect(await decide({ subject: "c-bob", org: "acme", action: "order.view", resource: others })).toBe("deny");
    expect(await decide({ subject: "c-alice", org: "acme", action: "order.view", resource: mine })).toBe("allow");
  });

  it("seed 002: an Inactive unit takes no new orders but its associates still read", async () => {
    expect(await decide({ subject: "c-dave", org: "acme-eu-closed", action: "order.place" })).toBe("deny");
    expect(await decide({ subject: "c-dave", org: "acme-eu-closed", action: "catalog.browse" })).toBe("allow");
  });
});
