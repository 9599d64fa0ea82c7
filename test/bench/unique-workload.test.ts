// The benchmark's workload generators (nothing timed): the unique pools hold no two requests alike, the mixed
// workload has the proportions it says, the skewed draw is skewed, and the pool file round-trips.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DatasetIndex, generateDataset, prng, SIZES } from "../../bench/data-generator.ts";
import { removePools, writePool } from "../../bench/request-pool.ts";
import { MIX, mixedRequests, orderQueryPairs, skewedSampler, uniqueBatchBodies, uniqueCheckCases, warmBodies } from "../../bench/unique-workload.ts";

const index = new DatasetIndex(generateDataset(SIZES.small, 42));

describe("unique workload", () => {
  const { cases, stats } = uniqueCheckCases(index, 5000);

  it("draws single checks no two alike, from the store", () => {
    expect(cases).toHaveLength(5000);
    expect(new Set(cases.map((c) => JSON.stringify(c.body))).size).toBe(5000);
    for (const { body } of cases.slice(0, 500)) {
      const order = index.data.orders.find((o) => o.id === body.resource!.id)!;
      expect(body.resource).toEqual({ type: "order", id: order.id, org: order.org, buyer: order.buyer, attributes: { total: order.total } });
      expect(index.user.get(body.subject.id)?.status).toBe("active");
    }
    expect(stats.requests).toBe(5000);
    expect(stats.users).toBeGreaterThan(500);
  });

  it("skews the draw towards a few items", () => {
    const rnd = prng(1);
    const draw = skewedSampler(Array.from({ length: 1000 }, (_, i) => i), rnd);
    const counts = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      const x = draw();
      counts.set(x, (counts.get(x) ?? 0) + 1);
    }
    const sorted = [...counts.values()].sort((a, b) => b - a);
    // Zipf with exponent 1 over 1000 items: the first takes about 1/H(1000) ≈ 13%.
    expect(sorted[0]! / 20_000).toBeGreaterThan(0.08);
    expect(counts.size).toBeGreaterThan(300);
  });

  it("warms each (subject, org) once, without a resource", () => {
    const warm = warmBodies(cases);
    expect(new Set(warm.map((b) => `${b.subject.id}/${b.org}`)).size).toBe(warm.length);
    expect(warm.every((b) => b.resource === undefined)).toBe(true);
  });

  it("builds a mixed workload of about 70/10/10/10, no two requests alike", () => {
    const mixed = mixedRequests(index, cases, 4000);
    expect(mixed.length).toBeGreaterThan(3500);
    expect(new Set(mixed.map((r) => `${r.path} ${JSON.stringify(r.body)}`)).size).toBe(mixed.length);
    const share = (path: string) => mixed.filter((r) => r.path === path).length / mixed.length;
    expect(share("/v1/check")).toBeCloseTo(MIX.check, 1);
    expect(share("/v1/check/batch")).toBeCloseTo(MIX.batch, 1);
    expect(share("/v1/permissions")).toBeCloseTo(MIX.permissions, 1);
    expect(share("/v1/orders/query")).toBeCloseTo(MIX.ordersQuery, 1);
  });

  it("builds batches whose items are never asked twice", () => {
    const batches = uniqueBatchBodies(index, 20, 50);
    expect(batches.length).toBeGreaterThan(0);
    const items = batches.flatMap((b) => b.checks.map((c) => `${b.subject.id}/${b.org}/${c.action}/${c.resource.id}`));
    expect(new Set(items).size).toBe(items.length);
  });

  it("gives order queries by distinct (admin, org) pairs of the 500-org tree", () => {
    const pairs = orderQueryPairs(index);
    expect(pairs.length).toBeGreaterThan(1);
    expect(new Set(pairs.map((p) => `${p.subject.id}/${p.org}`)).size).toBe(pairs.length);
  });

  it("writes a pool file of one request per line", () => {
    const pool = writePool("test", cases.slice(0, 10).map((c) => ({ path: "/v1/check", body: c.body })));
    const lines = readFileSync(pool.file, "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l.slice(l.indexOf("\t") + 1)) as unknown)).toEqual(cases.slice(0, 10).map((c) => c.body));
    removePools();
  });
});
