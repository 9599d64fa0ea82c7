import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clearRedisPrefix, dropDatabase, eventually, openGraph, smallDocument, uniquePrefix } from "../store/graph-test-support.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

/** Two sidecars on two stores with the same org ids, behind one Redis and one REDIS_KEY_PREFIX, over HTTP. */
describe("decisions of two stores sharing a Redis prefix", () => {
  const prefix = uniquePrefix("isolation");
  let a: TestSidecar;
  let b: TestSidecar;

  const place = (t: TestSidecar, atLeast?: string) =>
    t.call("POST", "/v1/check", {
      key: CHECK_KEY,
      body: {
        subject: { id: "carol" },
        org: "BER",
        action: "order.place",
        resource: { type: "order", org: "BER", attributes: { total: 10 } },
        ...(atLeast ? { consistency: { atLeast } } : {}),
      },
    });

  beforeAll(async () => {
    a = await startTestSidecar("isolation_a", { REDIS_KEY_PREFIX: prefix });
    b = await startTestSidecar("isolation_b", { REDIS_KEY_PREFIX: prefix });
    // Same org ids; in B carol holds no membership in DE.
    const importA = await openGraph({ DATABASE_URL: a.databaseUrl });
    await importA.importDocument(smallDocument);
    await importA.close();
    const importB = await openGraph({ DATABASE_URL: b.databaseUrl });
    await importB.importDocument({ ...smallDocument, memberships: smallDocument.memberships.filter((m) => m.org !== "DE") });
    await importB.close();
    await eventually(async () => (await place(a)).body.allow === true, "A sees its import");
  });
  afterAll(async () => {
    await a?.sidecar.close();
    await b?.sidecar.close();
    if (a) await dropDatabase(a.databaseUrl);
    if (b) await dropDatabase(b.databaseUrl);
    await clearRedisPrefix(prefix);
  });

  it("denies in B what only A allows, however warm A's tree is in Redis", async () => {
    for (let i = 0; i < 5; i++) {
      expect((await place(a)).body.allow).toBe(true);
      const answer = await place(b);
      expect(answer.status).toBe(200);
      expect(answer.body.allow).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it("answers 400 on consistency.atLeast for a token of the other store, and honours its own", async () => {
    const fromA = (await place(a)).body.graphToken as string;
    const refused = await place(b, fromA);
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({ code: "invalid_request", details: [expect.objectContaining({ path: "consistency.atLeast" })] });
    const fromB = (await place(b)).body.graphToken as string;
    const own = await place(b, fromB);
    expect(own.status).toBe(200);
    expect(own.body.allow).toBe(false);
    expect((await place(a, fromA)).body.allow).toBe(true);
  });
});
