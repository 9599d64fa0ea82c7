import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStorefront, type Storefront } from "../../examples/storefront/src/storefront.ts";

/**
 * The storefront example as its README runs it: the repository's built sidecar started on its embedded default
 * (a child process, in-process PostgreSQL, the demo graph), the shop's own in-process orders database, and the
 * order API on a free port, all over real HTTP.
 */
let shop: Storefront;

beforeAll(async () => {
  shop = await startStorefront({ port: 0 });
}, 120_000);
afterAll(async () => {
  await shop?.close();
});

const list = async (user: string, org: string) => {
  const res = await fetch(`${shop.url}/orgs/${org}/orders`, { headers: { "x-user": user } });
  return { status: res.status, body: (await res.json()) as { orders: { id: string; org_id: string; buyer_id: string }[] } };
};
const place = (user: string, org: string, body: unknown) =>
  fetch(`${shop.url}/orgs/${org}/orders`, { method: "POST", headers: { "x-user": user, "content-type": "application/json" }, body: JSON.stringify(body) });

describe("storefront example", () => {
  it("lists only the orders the buyer may see, through the Kysely adapter", async () => {
    const alice = await list("alice", "ACME");
    expect(alice.status).toBe(200);
    // alice is org_admin at ACME, inherited down the tree but not into ACME-FR (inheritRoles false) or other trees.
    expect(alice.body.orders.map((o) => o.id)).toEqual(expect.arrayContaining(["o1", "o2", "o3", "o5", "o8"]));
    expect(alice.body.orders.map((o) => o.org_id)).not.toContain("GLOBEX");
    const ivan = await list("ivan", "INITECH");
    expect(ivan.body.orders).toEqual([]);
  });

  it("places an allowed order, refuses one over the buyer's limit with the policy's reasons", async () => {
    const placed = await place("carol", "ACME-DE", { total: 300 });
    expect(placed.status).toBe(201);
    const { order } = (await placed.json()) as { order: { id: string } };
    expect((await list("carol", "ACME-DE")).body.orders.map((o) => o.id)).toContain(order.id);

    const over = await place("carol", "ACME-DE", { total: 800 });
    expect(over.status).toBe(403);
    const refused = (await over.json()) as { reasons: { code: string }[] };
    expect(refused.reasons.length).toBeGreaterThan(0);

    expect((await place("carol", "ACME-DE", {})).status).toBe(400);
  });
});
