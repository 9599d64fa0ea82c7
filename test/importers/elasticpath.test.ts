import { describe, expect, it } from "vitest";
import { importedFixtures } from "./importer-test-support.ts";

describe("Elastic Path importer: account management decisions after import (seed 003)", () => {
  const ron = "908f7849-60da-4e4a-a3b1-51d4cbe3b953";
  const leslie = "5e2b1c2d-0000-4000-8000-000000000002";
  const fixtures = importedFixtures("importer_ep", "elasticpath");
  const { decide } = fixtures;

  it("imports the accounts, members and memberships", () => {
    expect(fixtures.imported.counts).toMatchObject({ roles: 0, orgs: 4, users: 2, memberships: 2 });
  });

  it("seed 003: a buyer transacts on the account it is associated to", async () => {
    expect(await decide({ subject: ron, org: "acc-eu", action: "order.place" })).toBe("allow");
  });

  it("seed 003: a buyer sees the purchases of its child accounts but does not transact in them", async () => {
    const childOrder = { type: "order", org: "acc-de", buyer: "someone" };
    expect(await decide({ subject: ron, org: "acc-eu", action: "order.view", resource: childOrder })).toBe("allow");
    expect(await decide({ subject: ron, org: "acc-de", action: "order.place" })).toBe("deny");
    // Never up the tree.
    expect(await decide({ subject: ron, org: "acc-holdings", action: "order.place" })).toBe("deny");
  });

  it("seed 003: a Disabled account refuses acting in it", async () => {
    expect(await decide({ subject: leslie, org: "acc-closed", action: "catalog.browse" })).toBe("deny");
  });
});
