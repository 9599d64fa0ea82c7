import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecisionLog } from "../../src/decisions/decision-log.ts";
import { DecisionService } from "../../src/decisions/decision-service.ts";
import { TurnQueue } from "../../src/decisions/turn-queue.ts";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { freshDatabase, openGraph, tearDown, testConfig } from "../store/graph-test-support.ts";

/**
 * Order queries over a big tree (README, Performance): each is about a millisecond of Wasm that cannot be split,
 * so they take turns of the event loop (src/decisions/turn-queue.ts) and a check that arrives while many are
 * queued is answered after at most the one in progress, not after all of them. Asserted by the order answers come
 * in, on the real store and the compiled policy, never by a time threshold.
 */
const ORGS = 500;
const ADMINS = 10;

/** One 500-org, 5-level tree (each org has up to 5 children), ten admins at its root and a buyer at a leaf. */
function bigTree() {
  const orgs = Array.from({ length: ORGS }, (_, i) => ({
    id: `BIG-${i}`,
    name: `Big ${i}`,
    parent: i === 0 ? null : `BIG-${Math.floor((i - 1) / 5)}`,
    status: "active" as const,
    inheritRoles: true,
    attributes: {},
  }));
  const admins = Array.from({ length: ADMINS }, (_, i) => `admin-${i}`);
  return {
    orgs,
    users: [...admins, "buyer-1"].map((id) => ({ id, email: `${id}@big.test`, status: "active" as const })),
    memberships: [
      ...admins.map((user) => ({ user, org: "BIG-0", roles: ["org_admin"], inheritable: true })),
      { user: "buyer-1", org: `BIG-${ORGS - 1}`, roles: ["buyer"], inheritable: true },
    ],
  };
}

describe("long evaluations take turns of the event loop", () => {
  let url: string;
  let graph: OrgGraph;
  let service: DecisionService;

  beforeAll(async () => {
    url = await freshDatabase("long_turns");
    graph = await openGraph({ DATABASE_URL: url });
    await graph.importDocument(bigTree());
    const config = testConfig({ DATABASE_URL: url });
    // Memo off: every order query evaluates the 500-org scope in Wasm, as for a different admin each time.
    const engine = await PolicyEngine.start(config.POLICY_BUNDLE, { memoMaxChars: 0 });
    service = new DecisionService(engine, graph, config, new DecisionLog({ enabled: false, write: () => undefined }, []));
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url] });
  });

  const ordersQuery = (admin: number) => ({
    subject: { id: `admin-${admin}`, kind: "user" as const },
    org: "BIG-0",
    columns: { org: "org_id", buyer: "buyer_id" },
  });
  const check = {
    subject: { id: "buyer-1", kind: "user" as const },
    org: `BIG-${ORGS - 1}`,
    action: "order.place",
    resource: { type: "order", id: "o-1", org: `BIG-${ORGS - 1}`, buyer: "buyer-1", attributes: { total: 10 } },
  };

  it("answers a check that arrives behind ten queued 500-org order queries after at most the one in progress", async () => {
    // Warm: the tree and every admin in memory, so nothing below waits for the store.
    for (let i = 0; i < ADMINS; i++) expect((await service.ordersQuery(ordersQuery(i))).kind).toBe("conditional");
    expect((await service.check(check)).allow).toBe(true);

    const answered: string[] = [];
    let checkAnswered: Promise<unknown> | undefined;
    const queries = Array.from({ length: ADMINS }, (_, i) =>
      service.ordersQuery(ordersQuery(i)).then((answer) => {
        answered.push(`orders-${i}`);
        // The check arrives as a request does: in a later turn of the event loop, once the first query answered.
        if (answered.length === 1) {
          checkAnswered = new Promise((resolve) => setImmediate(resolve)).then(() =>
            service.check(check).then((decision) => {
              answered.push("check");
              return decision;
            }),
          );
        }
        return answer;
      }),
    );
    const answers = await Promise.all(queries);
    expect(answers.every((a) => a.kind === "conditional" && a.scope.orgs.length === ORGS)).toBe(true);
    expect(await checkAnswered).toMatchObject({ allow: true });
    // The first query, at most the one whose turn came with the check's arrival, then the check; the rest after it.
    expect(answered.indexOf("check")).toBeLessThanOrEqual(2);
    expect(answered.filter((a) => a !== "check")).toHaveLength(ADMINS);
  });
});

describe("TurnQueue", () => {
  it("gives one turn per iteration of the event loop, in order, and polls in between", async () => {
    const turns = new TurnQueue();
    const events: string[] = [];
    const waiters = [0, 1, 2].map((i) => turns.turn().then(() => events.push(`turn-${i}`)));
    // An immediate queued now runs in the first iteration, with the first turn; one queued by the first turn's
    // holder would run between turns: the loop goes round between two turns, it does not run them back to back.
    setImmediate(() => events.push("other immediate"));
    expect(turns.length).toBe(3);
    await Promise.all(waiters);
    expect(events).toEqual(["turn-0", "other immediate", "turn-1", "turn-2"]);
    expect(turns.length).toBe(0);
  });
});
