import { describe, expect, it } from "vitest";
import { importedFixtures } from "./importer-test-support.ts";

describe("BigCommerce B2B Edition importer: the Buyer Portal's decisions after import (seed 004)", () => {
  // The hierarchy file repeats the company list's tree; importing both must agree on it.
  const fixtures = importedFixtures("importer_bc", "bigcommerce");
  const { decide } = fixtures;

  it("imports companies, users and the custom role; the sales rep and an unknown permission are reported", () => {
    expect(fixtures.imported.counts).toMatchObject({ roles: 1, orgs: 5, users: 5, memberships: 5 });
    const notes = (fixtures.imported.notes as { path: string; message: string }[]).map((n) => n.path);
    expect(notes).toContain("body.users[5].role");
    expect(notes).toContain("body.roles[1].permissions[5].code");
  });

  it("seed 004: a company that is Pending refuses everything, even to its admin", async () => {
    for (const action of ["catalog.browse", "order.view", "order.place", "user.manage"]) {
      expect(await decide({ subject: "4", org: "201", action }), action).toBe("deny");
    }
  });

  it("seed 004: the predefined roles: a Senior Buyer purchases, a Junior Buyer does not", async () => {
    expect(await decide({ subject: "2", org: "102", action: "order.place" })).toBe("allow");
    expect(await decide({ subject: "3", org: "102", action: "order.place" })).toBe("deny");
    expect(await decide({ subject: "3", org: "102", action: "list.submit", resource: { type: "list", org: "102", buyer: "3" } })).toBe("allow");
  });

  it("seed 004: a custom role's get_orders at level 3 sees the orders of the subsidiaries, through the aliases", async () => {
    const deep = { type: "order", org: "104", buyer: "someone" };
    expect(await decide({ subject: "5", org: "101", action: "order.view", resource: deep })).toBe("allow");
    // The Admin role holds get_orders at company level (2) only.
    expect(await decide({ subject: "1", org: "101", action: "order.view", resource: deep })).toBe("deny");
    // purchase_enable, granted at level 1, is a company-level code: the role may purchase in its company.
    expect(await decide({ subject: "5", org: "101", action: "order.place" })).toBe("allow");
  });
});
