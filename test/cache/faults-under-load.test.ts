import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sidecar } from "../../src/server.ts";
import { eventually } from "../store/graph-test-support.ts";
import { faultSidecar } from "./fault-sidecar.ts";
import { ask, Load, recovered, Timeline, type Answer, type LoadOptions, type Member, type Target, type Verdict } from "./fault-load.ts";
import { PrivatePostgres, PrivateRedis } from "./private-servers.ts";

/**
 * PostgreSQL stopped and started, Redis killed, frozen and restarted, all under a loop of concurrent decisions on
 * two sidecars (one writes, both answer). Every answer must be 503 `graph_unavailable` or a 200 whose decision the
 * data supported within the staleness bound (with a graphToken: at least as new as the token); once the server is
 * back, every answer is right again without restarting a sidecar, within RECOVERY_MS.
 *
 * The servers are private (a temp PostgreSQL cluster, a redis-server of the test's own): the machine's shared
 * ones are never stopped.
 */

// Below the kernel's ephemeral range (32768-60999), where an outgoing connection could already hold the port.
const PG_PORT = Number(process.env.TEST_PRIVATE_PG_PORT ?? 25433);
const REDIS_PORT = Number(process.env.TEST_PRIVATE_REDIS_PORT ?? 6398) + 1;
const KEY = "fault-key";
const STALENESS_MS = 1_500;
/** The stated recovery time: from the server answering again to every answer right. */
const RECOVERY_MS = 5_000;

const document = {
  orgs: [
    { id: "ACME", name: "Acme", parent: null },
    { id: "EU", name: "Acme EU", parent: "ACME" },
    { id: "DE", name: "Acme DE", parent: "EU" },
    { id: "GLOBEX", name: "Globex", parent: null },
  ],
  users: [{ id: "stays" }, { id: "leaves" }, { id: "joins" }, { id: "outsider" }],
  memberships: [
    { user: "stays", org: "EU", roles: ["buyer"] },
    { user: "leaves", org: "DE", roles: ["buyer"] },
    { user: "outsider", org: "GLOBEX", roles: ["buyer"] },
  ],
};
const members: Member[] = [
  { user: "stays", initially: true },
  { user: "leaves", initially: true },
  { user: "joins", initially: false },
  { user: "outsider", initially: false },
];

const sidecarOn = (databaseUrl: string, redisUrl: string): Promise<Sidecar> =>
  faultSidecar({ key: KEY, stalenessMs: STALENESS_MS }, { DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: "faults:" });

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("faults under load: correct or 503, never a wrong allow, and recovery without a restart", () => {
  const postgres = new PrivatePostgres(PG_PORT);
  const redis = new PrivateRedis(REDIS_PORT);
  let writer: Sidecar;
  let reader: Sidecar;
  let timeline: Timeline;
  let load: LoadOptions;
  const figures: Record<string, { answers: number; unavailable: number; recoveryMs: number }> = {};

  /**
   * Runs the load through `fault` (which returns once the server answers again), waits for every answer to be
   * right and both change feeds to confirm freshness again, then judges every answer.
   */
  async function underLoad(name: string, fault: () => Promise<void>): Promise<{ verdict: Verdict; answers: Answer[] }> {
    const loop = new Load(load);
    loop.start();
    let recoveryMs: number;
    try {
      await fault();
      const back = Date.now();
      recoveryMs = await recovered(load, RECOVERY_MS);
      await eventually(async () => {
        const feeds = await Promise.all([writer, reader].map(async (s) => (await s.graph.status()).feed));
        return feeds.every((f) => f.connected && f.freshAsOf > back);
      }, `${name}: change feeds confirm freshness again`, RECOVERY_MS);
    } finally {
      await loop.stop();
    }
    const verdict = timeline.judge(loop.answers, STALENESS_MS);
    expect(verdict.wrong.slice(0, 5), `${name}: wrong answers (${verdict.wrong.length} of ${verdict.answers})`).toEqual([]);
    figures[name] = { answers: verdict.answers, unavailable: verdict.unavailable, recoveryMs };
    return { verdict, answers: loop.answers };
  }

  beforeAll(async () => {
    await postgres.init();
    await redis.start();
    writer = await sidecarOn(postgres.url, redis.url);
    reader = await sidecarOn(postgres.url, redis.url);
    await writer.graph.importDocument(document);
    timeline = new Timeline(members);
    const targets: Target[] = [
      { name: "writer", url: writer.url, key: KEY },
      { name: "reader", url: reader.url, key: KEY },
    ];
    load = { targets, timeline, users: members.map((m) => m.user), org: "DE", concurrency: 6 };
    await eventually(async () => (await reader.graph.status()).feed.freshAsOf > 0, "reader's feed up");
    await recovered(load, RECOVERY_MS);
  }, 90_000);

  afterAll(async () => {
    await writer?.close(100);
    await reader?.close(100);
    await redis.kill();
    await postgres.destroy();
    console.info(`fault figures: ${JSON.stringify(figures)}`);
  });

  it("PostgreSQL stopped under load: cached answers within the bound, then 503; right again once it is back", async () => {
    let stopping = 0;
    let stoppedAt = 0;
    let restartAt = 0;
    const { verdict, answers } = await underLoad("postgres stopped", async () => {
      await pause(300);
      await timeline.record("leaves", false, () => writer.graph.deleteMembership("DE", "leaves"));
      // The stop comes once the reader has the new tree in memory, so that it has something to serve from.
      await eventually(async () => (await ask(load.targets[1]!, "leaves", "DE")).decision === "deny", "reader saw the removal");
      await pause(200);
      stopping = Date.now();
      await postgres.stop("fast");
      stoppedAt = Date.now();
      await pause(STALENESS_MS + 1_500);
      restartAt = Date.now();
      await postgres.start();
    });
    // Within the bound (counted from before the stop: the last confirmation came before it), memory answered.
    expect(stoppedAt - stopping, "pg_ctl stop took too long to tell").toBeLessThan(STALENESS_MS - 500);
    expect(answers.filter((a) => a.startedAt > stoppedAt && a.endedAt < stopping + STALENESS_MS - 300 && a.status === 200).length).toBeGreaterThan(0);
    // Nothing confirms a cached entry after the stop: from the bound on, until the restart, every answer is a 503.
    const pastBound = answers.filter((a) => a.startedAt > stoppedAt + STALENESS_MS && a.endedAt < restartAt);
    expect(pastBound.length).toBeGreaterThan(0);
    expect(pastBound.filter((a) => a.status !== 503)).toEqual([]);
    expect(verdict.unavailable).toBeGreaterThanOrEqual(pastBound.length);
    await timeline.record("joins", true, () => writer.graph.putMembership("DE", "joins", { roles: ["buyer"] }));
    await recovered(load, RECOVERY_MS);
  });

  it("PostgreSQL crashed (immediate stop) under load and restarted", async () => {
    await underLoad("postgres crashed", async () => {
      await pause(300);
      await timeline.record("leaves", true, () => writer.graph.putMembership("DE", "leaves", { roles: ["buyer"] }));
      await postgres.stop("immediate");
      await pause(1_000);
      await postgres.start();
      // A host's own write as soon as PostgreSQL is back, before the change feeds have reconnected to hear it.
      await timeline.record("joins", false, () => postgres.query("delete from memberships where org_id = 'DE' and user_id = 'joins'"));
    });
  });

  it("Redis killed under load, memberships changed while it is away, then restarted", async () => {
    await underLoad("redis killed", async () => {
      await pause(300);
      await redis.kill();
      await timeline.record("joins", true, () => writer.graph.putMembership("DE", "joins", { roles: ["buyer"] }));
      await pause(1_000);
      await timeline.record("leaves", false, () => writer.graph.deleteMembership("DE", "leaves"));
      await pause(1_000);
      await redis.start();
    });
  });

  it("Redis frozen (SIGSTOP) under load, memberships changed while it is frozen, then thawed", async () => {
    await timeline.record("leaves", true, () => writer.graph.putMembership("DE", "leaves", { roles: ["buyer"] }));
    await recovered(load, RECOVERY_MS);
    await underLoad("redis frozen", async () => {
      await pause(300);
      redis.freeze();
      try {
        // The change feed is stuck in the frozen Redis: the reader must stop allowing within the bound anyway.
        await pause(200);
        await timeline.record("leaves", false, () => writer.graph.deleteMembership("DE", "leaves"));
        await timeline.record("joins", false, () => writer.graph.deleteMembership("DE", "joins"));
        await pause(STALENESS_MS + 1_000);
      } finally {
        redis.thaw();
      }
    });
  });
});
