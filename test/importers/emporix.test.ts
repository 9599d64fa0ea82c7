import { describe, expect, it } from "vitest";
import { importedFixtures } from "./importer-test-support.ts";

describe("Emporix importer: legal entity decisions after import (seed 001)", () => {
  const fixtures = importedFixtures("importer_emp", "emporix");
  const { decide } = fixtures;

  it("imports legal entities and contacts; the account limit and customer groups are reported, not dropped", () => {
    expect(fixtures.imported.counts).toMatchObject({ roles: 0, orgs: 2, users: 4, memberships: 4 });
    const notes = (fixtures.imported.notes as { path: string; message: string }[]).map((n) => `${n.path}: ${n.message}`);
    expect(notes.some((n) => n.startsWith("body.legal-entities[0].accountLimit: ") && n.includes("1000.99 EUR"))).toBe(true);
    expect(notes.some((n) => n.startsWith("body.legal-entities[0].customerGroups: "))).toBe(true);
    expect(notes.some((n) => n.startsWith("body.contact-assignments[4]: "))).toBe(true);
  });

  it("seed 001: a Requester always needs approval", async () => {
    const order = { type: "order", org: "le-abc", buyer: "cust-rita", attributes: { total: 1 } };
    expect(await decide({ subject: "cust-rita", org: "le-abc", action: "order.place", resource: order })).toBe("approval_required");
  });

  it("seed 001: a Buyer orders directly and sees its own orders, the Admin sees the company's", async () => {
    const adams = { type: "order", org: "le-abc", buyer: "cust-adam", attributes: { total: 1 } };
    expect(await decide({ subject: "cust-adam", org: "le-abc", action: "order.place", resource: adams })).toBe("allow");
    const ritas = { type: "order", org: "le-abc", buyer: "cust-rita" };
    expect(await decide({ subject: "cust-adam", org: "le-abc", action: "order.view", resource: ritas })).toBe("deny");
    expect(await decide({ subject: "cust-john", org: "le-abc", action: "order.view", resource: ritas })).toBe("allow");
  });

  it("seed 001: a user in several legal entities acts in each with what that entity grants", async () => {
    expect(await decide({ subject: "cust-adam", org: "le-abc-sub", action: "order.place" })).toBe("allow");
    // The admin of the parent company holds nothing in the subsidiary.
    expect(await decide({ subject: "cust-john", org: "le-abc-sub", action: "user.manage" })).toBe("deny");
  });
});
