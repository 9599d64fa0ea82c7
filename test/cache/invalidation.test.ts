import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { clearRedisPrefix, dropDatabase, eventually, freshDatabase, openGraph, REDIS_URL, smallDocument, uniquePrefix } from "../store/graph-test-support.ts";

const membershipsOf = async (graph: OrgGraph, user: string, org: string, atLeast?: string) =>
  (await graph.slice({ subject: { id: user }, org, ...(atLeast ? { atLeast } : {}) })).graph.memberships.map((m) => m.org);

for (const withRedis of [true, false]) {
  describe(`invalidation across two sidecars sharing PostgreSQL${withRedis ? " and Redis" : ""}`, () => {
    let url: string;
    let a: OrgGraph;
    let b: OrgGraph;
    let sql: pg.Client;
    const prefix = uniquePrefix("invalidation");

    beforeAll(async () => {
      url = await freshDatabase(`invalidation_${withRedis ? "redis" : "pg"}`);
      const env = { DATABASE_URL: url, ...(withRedis ? { REDIS_URL, REDIS_KEY_PREFIX: prefix } : {}) };
      a = await openGraph(env);
      b = await openGraph(env);
      await a.importDocument(smallDocument);
      sql = new pg.Client({ connectionString: url });
      await sql.connect();
      if (withRedis) await eventually(async () => (await a.status()).feed.freshAsOf > 0 && (await b.status()).feed.freshAsOf > 0, "feeds up");
    });
    afterAll(async () => {
      await sql?.end();
      await a?.close();
      await b?.close();
      await dropDatabase(url);
      if (withRedis) await clearRedisPrefix(prefix);
    });

    it("a membership removed through one is gone in the other's next slice carrying the token", async () => {
      expect(await membershipsOf(b, "carol", "BER")).toEqual(["DE"]); // b caches the tree
      const { graphToken } = await a.deleteMembership("DE", "carol");
      expect(await membershipsOf(b, "carol", "BER", graphToken)).toEqual([]);
      const { graphToken: again } = await a.putMembership("DE", "carol", { roles: ["buyer"] });
      expect(await membershipsOf(b, "carol", "BER", again)).toEqual(["DE"]);
    });

    it("without a token the other sidecar drops its copy when the change is heard", async () => {
      expect(await membershipsOf(b, "bob", "EU")).toEqual(["EU"]);
      await a.deleteMembership("EU", "bob");
      await eventually(async () => (await membershipsOf(b, "bob", "EU")).length === 0, "b hears of the removal");
    });

    it("writes made directly in the tables by a host invalidate too", async () => {
      expect((await b.slice({ subject: { id: "alice" }, org: "US" })).graph.orgs.US?.status).toBe("active");
      await sql.query("update orgs set status = 'suspended' where id = 'US'");
      await eventually(async () => (await b.slice({ subject: { id: "alice" }, org: "US" })).graph.orgs.US?.status === "suspended", "org status");
      await sql.query("update users set status = 'disabled' where id = 'alice'");
      await eventually(async () => (await a.slice({ subject: { id: "alice" }, org: "US" })).graph.user?.status === "disabled", "user status");
      const { graphToken } = await a.putMembership("DE", "carol", { roles: ["requester"] });
      expect((await b.slice({ subject: { id: "carol" }, org: "DE", atLeast: graphToken })).graph.roles.requester?.name).toBe("Requester");
      await sql.query("update roles set name = 'Req' where key = 'requester'");
      await eventually(async () => (await b.slice({ subject: { id: "carol" }, org: "DE" })).graph.roles.requester?.name === "Req", "role");
      await sql.query("insert into staff (id, roles) values ('ops-9', '{store_admin}')");
      await eventually(async () => (await b.slice({ subject: { id: "ops-9", kind: "staff" }, org: "DE" })).graph.staff !== null, "staff");
    });

    it("a re-parenting invalidates both trees", async () => {
      expect((await b.slice({ subject: { id: "carol" }, org: "FR" })).graph.tree?.root).toBe("ACME");
      expect((await b.slice({ subject: { id: "carol" }, org: "GX-OPS" })).graph.tree?.size).toBe(2);
      await sql.query("update orgs set parent = 'GX-OPS' where id = 'FR'");
      await eventually(async () => (await b.slice({ subject: { id: "carol" }, org: "FR" })).graph.tree?.root === "GLOBEX", "FR moved");
      expect((await b.slice({ subject: { id: "carol" }, org: "GX-OPS" })).graph.tree?.size).toBe(3);
      expect((await b.slice({ subject: { id: "carol" }, org: "DE" })).graph.tree?.size).toBe(5);
    });

    it("an org created elsewhere stops being unknown", async () => {
      expect((await b.slice({ subject: { id: "carol" }, org: "NEWCO" })).graph.tree).toBeNull();
      const { graphToken } = await a.createOrg({ id: "NEWCO", name: "New Co" });
      expect((await b.slice({ subject: { id: "carol" }, org: "NEWCO", atLeast: graphToken })).graph.tree?.root).toBe("NEWCO");
      await sql.query("insert into orgs (id, name) values ('NEWCO2', 'direct')");
      await eventually(async () => (await b.slice({ subject: { id: "carol" }, org: "NEWCO2" })).graph.tree !== null, "NEWCO2 known");
    });

    if (withRedis) {
      it("a third sidecar loads trees from the Redis tier, not PostgreSQL", async () => {
        await a.slice({ subject: { id: "carol" }, org: "BER" }); // a has it: puts it in Redis when it loads
        const c = await openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix });
        try {
          await eventually(async () => (await c.status()).feed.freshAsOf > 0, "c fresh");
          await b.slice({ subject: { id: "carol" }, org: "GX-OPS" });
          await eventually(async () => {
            const before = c.metrics.lookups.redis.hit;
            await c.slice({ subject: { id: "carol" }, org: "GX-OPS" });
            return c.metrics.lookups.redis.hit > before || (await c.status()).cache.trees > 0;
          }, "redis hit");
          expect(c.metrics.lookups.redis.hit).toBeGreaterThan(0);
          expect(c.metrics.lookups.postgres.hit).toBe(0);
          const status = await c.status();
          expect(status.redis).toEqual({ configured: true, state: "ready" });
          expect(status.feed.mode).toBe("redis");
        } finally {
          await c.close();
        }
      });

      it("after a change, one sidecar loads the new version from PostgreSQL and the others take it from Redis", async () => {
        const extra = await Promise.all([1, 2].map(() => openGraph({ DATABASE_URL: url, REDIS_URL, REDIS_KEY_PREFIX: prefix })));
        const fleet = [a, b, ...extra];
        try {
          await eventually(async () => (await Promise.all(fleet.map((g) => g.status()))).every((st) => st.feed.freshAsOf > 0), "fleet fresh");
          await Promise.all(fleet.map((g) => g.slice({ subject: { id: "carol" }, org: "BER" })));
          const cachedOrgs = async () => Promise.all(fleet.map(async (g) => (await g.status()).cache.orgs));
          // A cold decision is answered from a path snapshot; the whole tree lands in each cache just after.
          await eventually(async () => (await cachedOrgs()).every((n) => n > 0), "all cached the tree");
          const warm = await cachedOrgs();
          const loads = () => fleet.reduce((n, g) => n + g.metrics.lookups.postgres.hit, 0);
          const before = loads();
          await sql.query("update orgs set name = 'Berlin!' where id = 'BER'");
          // Every sidecar hears of the change and drops the tree ...
          await eventually(async () => (await cachedOrgs()).every((n, i) => n < warm[i]!), "all dropped the tree");
          // ... then all need it at once: each answers from a path snapshot, and of the whole-tree loads behind
          // them one reads PostgreSQL, the rest wait for its value in Redis.
          const slices = await Promise.all(fleet.map((g) => g.slice({ subject: { id: "carol" }, org: "BER" })));
          expect(new Set(slices.map((x) => x.graphToken)).size).toBe(1);
          await eventually(async () => (await cachedOrgs()).every((n, i) => n === warm[i]), "all cached the new version");
          expect(loads() - before).toBe(1);
        } finally {
          await Promise.all(extra.map((g) => g.close()));
        }
      });

      it("one sidecar relays PostgreSQL changes for all", async () => {
        const relays = [(await a.status()).feed.relay, (await b.status()).feed.relay];
        expect(relays.filter(Boolean)).toHaveLength(1);
      });
    }
  });
}
