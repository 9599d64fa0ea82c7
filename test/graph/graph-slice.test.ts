import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import type { SliceRequest } from "../../src/decisions/graph-port.ts";
import { policyInput } from "../../src/decisions/input-json.ts";
import { eventually, openGraph, smallGraph, tearDown } from "../store/graph-test-support.ts";

describe("decision slices (policies/README.md input contract)", () => {
  let url: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    ({ url, graph } = await smallGraph("slice"));
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url] });
  });

  it("holds the acting path with paths, the subject's memberships on it, and the tree", async () => {
    const { graph: g, graphToken } = await graph.slice({ subject: { id: "carol", kind: "user" }, org: "BER" });
    expect(Object.keys(g.orgs).sort()).toEqual(["ACME", "BER", "DE", "EU"]);
    expect(g.orgs.BER).toEqual({ parent: "DE", status: "active", inheritRoles: true, path: ["ACME", "EU", "DE", "BER"] });
    expect(g.tree).toEqual({ root: "ACME", size: 6, overLimit: "approval" });
    expect(g.user).toEqual({ id: "carol", status: "active" });
    // Memberships on the path only: not US (sideways), not GLOBEX (another tree).
    expect(g.memberships).toEqual([{ org: "DE", roles: ["requester", "buyer"], inheritable: true, limits: { maxOrderTotal: 500 } }]);
    // Only custom roles that the memberships reference; built-in "buyer" comes from the policy bundle.
    expect(Object.keys(g.roles)).toEqual(["requester"]);
    expect(g.roles.requester?.checkout).toBe("approval");
    expect(graphToken).toMatch(/^g2\./);
  });

  describe("memo keys of real slices (src/decisions/input-json.ts)", () => {
    const request = { subject: { id: "carol", kind: "user" }, org: "BER", action: "order.place" };
    const keyOf = (g: unknown) => policyInput(request, "{}", g).key;

    it("keys a repeated decision alike, and a changed tree apart", async () => {
      const first = await graph.slice({ subject: { id: "carol", kind: "user" }, org: "BER" });
      const again = await graph.slice({ subject: { id: "carol", kind: "user" }, org: "BER" });
      expect(keyOf(again.graph)).toBe(keyOf((await graph.slice({ subject: { id: "carol", kind: "user" }, org: "BER" })).graph));
      const { graphToken } = await graph.putMembership("BER", "carol", { roles: ["viewer"] });
      const changed = await graph.slice({ subject: { id: "carol", kind: "user" }, org: "BER", atLeast: graphToken });
      expect(changed.graph.memberships.map((m) => m.org)).toContain("BER");
      expect(keyOf(changed.graph)).not.toBe(keyOf(first.graph));
      expect(keyOf(changed.graph)).not.toBe(keyOf(again.graph));
      await graph.deleteMembership("BER", "carol");
    });

    it("keys a repeated decision about a resource in another tree alike: its orgs are keyed by content", async () => {
      const ask = () => graph.slice({ subject: { id: "carol", kind: "user" }, org: "DE", resourceOrgs: ["GX-OPS"] });
      await ask();
      const [a, b] = [await ask(), await ask()];
      expect(Object.keys(a.graph.orgs)).toContain("GX-OPS");
      expect(keyOf(a.graph)).toBe(keyOf(b.graph));
    });

    it("hands out slices that cannot be changed at any depth, so a key can never name stale content", async () => {
      const { graph: g } = await graph.slice({ subject: { id: "carol", kind: "user" }, org: "BER" });
      const role = g.roles.requester as unknown as { checkout: string; permissions: unknown[] };
      expect(() => {
        role.checkout = "direct";
      }).toThrow(TypeError);
      expect(() => role.permissions.push({ code: "order.place", level: 3 })).toThrow(TypeError);
      const membership = g.memberships[0] as unknown as { limits: { maxOrderTotal: number }; roles: string[] };
      expect(() => {
        membership.limits.maxOrderTotal = 1_000_000;
      }).toThrow(TypeError);
      expect(() => membership.roles.push("org_admin")).toThrow(TypeError);
      expect(() => (g.orgs.BER!.path as string[]).push("X")).toThrow(TypeError);
      expect(() => {
        (g.user as { status: string }).status = "active";
      }).toThrow(TypeError);
      expect(g.roles.requester?.checkout).toBe("approval");
    });
  });

  it("gives a user in two trees only the acting tree's memberships", async () => {
    const { graph: g } = await graph.slice({ subject: { id: "carol" }, org: "GX-OPS" });
    expect(g.tree).toEqual({ root: "GLOBEX", size: 2, overLimit: "deny" });
    expect(g.memberships).toEqual([{ org: "GLOBEX", roles: ["buyer"], inheritable: true }]);
    expect(g.roles).toEqual({});
  });

  it("marks unknown orgs and subjects by leaving them out, not by failing", async () => {
    const unknownOrg = await graph.slice({ subject: { id: "carol" }, org: "NOPE" });
    expect(unknownOrg.graph.tree).toBeNull();
    expect(unknownOrg.graph.orgs).toEqual({});
    expect(unknownOrg.graph.user).toEqual({ id: "carol", status: "active" });
    const unknownUser = await graph.slice({ subject: { id: "mallory" }, org: "DE" });
    expect(unknownUser.graph.user).toBeNull();
    expect(unknownUser.graph.memberships).toEqual([]);
    const disabled = await graph.slice({ subject: { id: "henry" }, org: "DE" });
    expect(disabled.graph.user).toEqual({ id: "henry", status: "disabled" });
  });

  it("adds resource org paths, from another tree too (so the policy can say cross_tree)", async () => {
    const { graph: g } = await graph.slice({ subject: { id: "carol" }, org: "DE", resourceOrgs: ["BER", "GX-OPS", "GHOST"] });
    expect(Object.keys(g.orgs).sort()).toEqual(["ACME", "BER", "DE", "EU", "GLOBEX", "GX-OPS"]);
    expect(g.orgs["GX-OPS"]?.path).toEqual(["GLOBEX", "GX-OPS"]);
    expect(g.memberships.map((m) => m.org)).toEqual(["DE"]);
  });

  it("adds the acting org's subtree for order scopes", async () => {
    const { graph: g } = await graph.slice({ subject: { id: "alice" }, org: "EU", subtree: true });
    expect(Object.keys(g.orgs).sort()).toEqual(["ACME", "BER", "DE", "EU", "FR"]);
    expect(g.orgs.FR?.inheritRoles).toBe(false);
  });

  it("serves staff with their staff record and no memberships", async () => {
    const { graph: g } = await graph.slice({ subject: { id: "ops-1", kind: "staff" }, org: "DE" });
    expect(g.staff).toEqual({ id: "ops-1", roles: ["store_admin"] });
    expect(g.user).toBeUndefined();
    expect(g.memberships).toEqual([]);
    const unknown = await graph.slice({ subject: { id: "ops-x", kind: "staff" }, org: "DE" });
    expect(unknown.graph.staff).toBeNull();
  });

  it("answers warm slices from memory and returns the same shared objects", async () => {
    const first = await graph.slice({ subject: { id: "carol" }, org: "BER" });
    const before = graph.metrics.lookups.postgres.hit;
    const second = await graph.slice({ subject: { id: "carol" }, org: "BER" });
    expect(graph.metrics.lookups.postgres.hit).toBe(before);
    expect(second.graph.orgs).toBe(first.graph.orgs);
    expect(second.graph.memberships).toBe(first.graph.memberships);
  });

  it("refuses a token that is not one", async () => {
    await expect(graph.slice({ subject: { id: "carol" }, org: "DE", atLeast: "garbage" })).rejects.toMatchObject({
      code: "invalid_request",
    });
  });

  describe("admin facts", () => {
    it("org.reparent: subtree shape, the new parent's path and its tree", async () => {
      const { graph: g } = await graph.adminSlice({
        actor: { id: "ops-1", kind: "staff" },
        operation: "org.reparent",
        org: "EU",
        change: { parent: "GX-OPS" },
      });
      expect(g.subtree).toEqual({ height: 3, size: 4 });
      expect(g.targetTree).toEqual({ root: "GLOBEX", size: 2 });
      expect(g.orgs["GX-OPS"]?.path).toEqual(["GLOBEX", "GX-OPS"]);
      expect(g.orgs.EU?.path).toEqual(["ACME", "EU"]);
    });

    it("org.reparent to top level: no target tree", async () => {
      const { graph: g } = await graph.adminSlice({ actor: { id: "ops-1", kind: "staff" }, operation: "org.reparent", org: "DE", change: { parent: null } });
      expect(g.targetTree).toBeNull();
      expect(g.subtree).toEqual({ height: 2, size: 2 });
    });

    it("org.create: the parent's path and tree size", async () => {
      const { graph: g } = await graph.adminSlice({ actor: { id: "alice" }, operation: "org.create", org: "DE", change: { id: "NEW", parent: "DE", name: "New" } });
      expect(g.orgs.DE?.path).toEqual(["ACME", "EU", "DE"]);
      expect(g.tree?.size).toBe(6);
      expect(g.memberships).toEqual([{ org: "ACME", roles: ["org_admin"], inheritable: true }]);
    });

    it("membership.put: the target user and current membership, and the roles of the change", async () => {
      const { graph: g } = await graph.adminSlice({
        actor: { id: "alice" },
        operation: "membership.put",
        org: "DE",
        change: { user: "carol", roles: ["requester"] },
      });
      expect(g.target).toEqual({
        user: { id: "carol", status: "active" },
        membership: { org: "DE", roles: ["requester", "buyer"], inheritable: true, limits: { maxOrderTotal: 500 } },
      });
      expect(Object.keys(g.roles)).toEqual(["requester"]);
      const none = await graph.adminSlice({ actor: { id: "alice" }, operation: "membership.put", org: "FR", change: { user: "ghost", roles: ["buyer"] } });
      expect(none.graph.target).toEqual({ user: null, membership: null });
    });

    it("user.put: every org of the target, store-wide, with paths for the acting tree's only", async () => {
      const { graph: g } = await graph.adminSlice({ actor: { id: "alice" }, operation: "user.put", org: "ACME", change: { id: "carol" } });
      expect(g.target).toEqual({ user: { id: "carol", status: "active" }, orgs: ["DE", "GLOBEX", "US"] });
      expect(g.orgs.DE?.path).toEqual(["ACME", "EU", "DE"]);
      expect(g.orgs.GLOBEX).toBeUndefined();
      const noOrg = await graph.adminSlice({ actor: { id: "alice" }, operation: "user.view", change: { id: "carol" } });
      expect(noOrg.graph.target?.orgs).toEqual(["DE", "GLOBEX", "US"]);
    });

    it("membership.put: the org's whole subtree and its size, for judging the cascade", async () => {
      const { graph: g } = await graph.adminSlice({ actor: { id: "alice" }, operation: "membership.put", org: "EU", change: { user: "bob", roles: ["buyer"] } });
      expect(Object.keys(g.orgs).sort()).toEqual(["ACME", "BER", "DE", "EU", "FR"]);
      expect(g.subtree).toEqual({ height: 3, size: 4 });
    });

    it("org.tree: the subtree of the org", async () => {
      const { graph: g } = await graph.adminSlice({ actor: { id: "alice" }, operation: "org.tree", org: "EU" });
      expect(Object.keys(g.orgs).sort()).toEqual(["ACME", "BER", "DE", "EU", "FR"]);
    });

    it("reads current data even when the cache has not heard of a change yet", async () => {
      await graph.slice({ subject: { id: "bob" }, org: "EU" }); // warm
      const client = new (await import("pg")).default.Client({ connectionString: url });
      await client.connect();
      // A direct write whose notification this process will receive only later.
      await client.query("update memberships set roles = '{viewer}' where user_id = 'bob' and org_id = 'EU'");
      await client.end();
      const { graph: g } = await graph.adminSlice({ actor: { id: "bob" }, operation: "membership.list", org: "EU" });
      expect(g.memberships).toEqual([{ org: "EU", roles: ["viewer"], inheritable: false }]);
    });
  });

  describe("a cold decision answered from a path snapshot while its whole tree loads", () => {
    const cases: [string, SliceRequest][] = [
      ["a user deep in a tree", { subject: { id: "carol", kind: "user" }, org: "BER" }],
      ["a user of two trees, in the second", { subject: { id: "carol", kind: "user" }, org: "GX-OPS" }],
      ["resource orgs in the tree, in another tree, unknown", { subject: { id: "carol", kind: "user" }, org: "DE", resourceOrgs: ["BER", "FR", "GX-OPS", "GHOST"] }],
      ["a user with no membership on the path", { subject: { id: "bob", kind: "user" }, org: "US" }],
      ["an unknown user", { subject: { id: "mallory", kind: "user" }, org: "DE" }],
      ["staff", { subject: { id: "ops-1", kind: "staff" }, org: "BER" }],
    ];

    /** A sidecar of its own, so its cache starts empty. */
    const withColdGraph = async (use: (cold: OrgGraph) => Promise<void>) => {
      const cold = await openGraph({ DATABASE_URL: url });
      try {
        await use(cold);
      } finally {
        await cold.close();
      }
    };

    it.each(cases)("%s: the same slice and token as from the whole tree", async (_name, request) => {
      await withColdGraph(async (cold) => {
        const fromPath = await cold.slice(request);
        expect(cold.metrics.lookups.path.hit).toBe(1);
        const fromWholeTree = await graph.slice(request);
        expect(fromPath).toEqual(fromWholeTree);
        // The whole tree was loading meanwhile: the next decision is warm.
        await eventually(async () => (await cold.status()).cache.trees > 0, "whole tree cached");
        const memoryHits = cold.metrics.lookups.memory.hit;
        expect(await cold.slice(request)).toEqual(fromWholeTree);
        expect(cold.metrics.lookups.memory.hit).toBeGreaterThan(memoryHits);
        expect(cold.metrics.lookups.path.hit).toBe(1);
      });
    });

    it("an unknown org waits for the whole lookup and is remembered as unknown", async () => {
      await withColdGraph(async (cold) => {
        for (let i = 0; i < 2; i++) {
          const slice = await cold.slice({ subject: { id: "carol", kind: "user" }, org: "NOPE" });
          expect(slice.graph.tree).toBeNull();
        }
        expect(cold.metrics.lookups.path.hit).toBe(0);
        expect(cold.metrics.lookups.postgres.miss).toBe(1);
      });
    });

    it("order scopes and admin decisions wait for the whole tree (they read subtrees)", async () => {
      await withColdGraph(async (cold) => {
        const { graph: g } = await cold.slice({ subject: { id: "alice" }, org: "EU", subtree: true });
        expect(Object.keys(g.orgs).sort()).toEqual(["ACME", "BER", "DE", "EU", "FR"]);
        const admin = await cold.adminSlice({ actor: { id: "ops-1", kind: "staff" }, operation: "org.reparent", org: "DE", change: { parent: "FR" } });
        expect(admin.graph.subtree).toEqual({ height: 2, size: 2 });
        expect(cold.metrics.lookups.path.hit).toBe(0);
      });
    });
  });
});
