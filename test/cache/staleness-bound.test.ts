import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sidecar } from "../../src/server.ts";
import { eventually } from "../store/graph-test-support.ts";
import { ask, Load, recovered, Timeline, type LoadOptions, type Member } from "./fault-load.ts";
import { LISTENER_APPLICATION_NAME } from "../../src/store/change-listener.ts";
import { faultSidecar } from "./fault-sidecar.ts";
import { backendPids, PrivatePostgres, PrivateRedis } from "./private-servers.ts";

/**
 * The staleness bound (docs/graph-store.md, "Faults and staleness"): after a membership is removed, a sidecar
 * that cannot hear the change stops allowing within GRAPH_MAX_STALENESS_MS of the commit. Checked per answer
 * under load: no allow to a request that started later than that.
 */

// Below the kernel's ephemeral range (32768-60999), where an outgoing connection could already hold the port.
const PG_PORT = Number(process.env.TEST_PRIVATE_PG_PORT ?? 25433);
const REDIS_PORT = Number(process.env.TEST_PRIVATE_REDIS_PORT ?? 6398) + 1;
const KEY = "staleness-key";
const STALENESS_MS = 1_000;

const document = {
  orgs: [
    { id: "ACME", name: "Acme", parent: null },
    { id: "DE", name: "Acme DE", parent: "ACME" },
  ],
  users: [{ id: "stays" }, { id: "leaves" }],
  memberships: [
    { user: "stays", org: "ACME", roles: ["buyer"] },
    { user: "leaves", org: "DE", roles: ["buyer"] },
  ],
};
const members: Member[] = [
  { user: "stays", initially: true },
  { user: "leaves", initially: true },
];

const sidecarOn = (env: Record<string, string>): Promise<Sidecar> =>
  faultSidecar({ key: KEY, stalenessMs: STALENESS_MS, logFile: process.env.FAULT_LOG }, env);

/** The removal as a host application's own SQL: no graphToken, heard only through the change feed. */
async function removeAsHost(postgres: PrivatePostgres, databaseUrl: string): Promise<void> {
  await postgres.query("delete from memberships where org_id = 'DE' and user_id = 'leaves'", [], databaseUrl);
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The longest a removed membership still answered allow, from the end of its write to the start of the request. */
function longestStaleAllow(load: Load, user: string, removedAt: number): number {
  return Math.max(0, ...load.since(removedAt).filter((a) => a.user === user && a.decision === "allow" && !a.token).map((a) => a.startedAt - removedAt));
}

describe("the staleness bound: a sidecar that cannot hear a removal stops allowing within GRAPH_MAX_STALENESS_MS", () => {
  const postgres = new PrivatePostgres(PG_PORT);
  const redis = new PrivateRedis(REDIS_PORT);
  const figures: Record<string, number> = {};
  const sidecars: Sidecar[] = [];

  beforeAll(async () => {
    await postgres.init();
    await redis.start();
  }, 60_000);

  afterAll(async () => {
    for (const s of sidecars) await s.close(100);
    await redis.kill();
    await postgres.destroy();
    console.info(`longest allow after a removal the sidecar could not hear (ms, bound ${STALENESS_MS}): ${JSON.stringify(figures)}`);
  });

  async function store(name: string): Promise<string> {
    await postgres.query(`create database ${name}`);
    return postgres.url.replace(/\/postgres$/, `/${name}`);
  }

  /** A sidecar on `env`, closed after the suite. */
  async function started(env: Record<string, string>): Promise<Sidecar> {
    const sidecar = await sidecarOn(env);
    sidecars.push(sidecar);
    return sidecar;
  }

  /** `writer` imports the document; load on `target` (its feed up) until every answer is right. */
  async function loadOn(writer: Sidecar, target: { name: string; sidecar: Sidecar }, feedUp: string): Promise<{ timeline: Timeline; load: LoadOptions }> {
    await writer.graph.importDocument(document);
    const timeline = new Timeline(members);
    const load: LoadOptions = { targets: [{ name: target.name, url: target.sidecar.url, key: KEY }], timeline, users: ["leaves", "stays"], org: "DE", concurrency: 4 };
    await eventually(async () => (await target.sidecar.graph.status()).feed.freshAsOf > 0, feedUp);
    await recovered(load, 5_000);
    return { timeline, load };
  }

  /** Records the figure of `name`, then judges every answer of the loop: none wrong within the bound. */
  function judged(name: string, loop: Load, timeline: Timeline, removedAt: number): void {
    figures[name] = longestStaleAllow(loop, "leaves", removedAt);
    const verdict = timeline.judge(loop.answers, STALENESS_MS);
    expect(verdict.wrong.slice(0, 5), `wrong answers (${verdict.wrong.length} of ${verdict.answers})`).toEqual([]);
  }

  it("Redis frozen (SIGSTOP): the relay goes quiet, the removal is never relayed while it lasts", async () => {
    const databaseUrl = await store("frozen_redis");
    // A lease longer than the bound: no new relay, and no fallback to PostgreSQL, before the bound has passed.
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: "stale:", REDIS_RELAY_LEASE_MS: "3000" };
    const writer = await started(env);
    const reader = await started(env);
    const { timeline, load } = await loadOn(writer, { name: "reader", sidecar: reader }, "reader's feed up");

    const loop = new Load(load);
    loop.start();
    let removed: { endedAt: number };
    try {
      await pause(300);
      redis.freeze();
      try {
        await eventually(async () => !(await writer.graph.status()).feed.relay && !(await reader.graph.status()).feed.relay, "relay stood down");
        removed = await timeline.record("leaves", false, () => writer.graph.deleteMembership("DE", "leaves"));
        await pause(300);
      } finally {
        redis.thaw();
      }
      await pause(STALENESS_MS + 2_000);
    } finally {
      await loop.stop();
    }
    judged("redis frozen", loop, timeline, removed.endedAt);
    await recovered(load, 8_000);
  });

  it("the relay fails to publish one change: later heartbeats do not cover up the lost message", async () => {
    const databaseUrl = await store("lost_publish");
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: "lost:" };
    const writer = await started(env);
    const reader = await started(env);
    const { timeline, load } = await loadOn(writer, { name: "reader", sidecar: reader }, "reader's feed up");
    const admin = new Redis(redis.url);

    const loop = new Load(load);
    loop.start();
    let removed: { endedAt: number };
    try {
      await pause(300);
      // Redis answers the relay's script for this tree with an error (as it would a connection cut at that moment,
      // or a refused write), so that one change message is never published; the lease, the heartbeats and every
      // connection stay healthy.
      await admin.set("lost:cur:t:ACME", "not-a-version");
      removed = await timeline.record("leaves", false, () =>
        removeAsHost(postgres, databaseUrl),
      );
      await pause(STALENESS_MS + 2_000);
    } finally {
      await loop.stop();
      admin.disconnect();
    }
    judged("lost publish", loop, timeline, removed.endedAt);
  });

  it("a change made while no sidecar listened: sidecars started after it never take Redis's older tree for current", async () => {
    const databaseUrl = await store("unheard_change");
    const env = { DATABASE_URL: databaseUrl, REDIS_URL: redis.url, REDIS_KEY_PREFIX: "unheard:" };
    const first = await sidecarOn(env);
    await first.graph.importDocument(document);
    const asked = (s: Sidecar) => ask({ name: "sidecar", url: s.url, key: KEY }, "leaves", "DE");
    // The tree is in Redis (value and current-version pointer) once the first sidecar has loaded it.
    await eventually(async () => (await asked(first)).decision === "allow" && first.graph.metrics.lookups.postgres.hit > 0, "tree loaded");
    await pause(200);
    await first.close(100);

    // A host application's write while no sidecar is running: nobody hears it, nobody raises the pointer.
    await removeAsHost(postgres, databaseUrl);
    await pause(STALENESS_MS);
    const second = await started(env);
    await eventually(async () => (await second.graph.status()).feed.freshAsOf > 0, "feed up");
    // The first decision reads its path from PostgreSQL; the whole tree, loaded behind it, answers the next ones.
    const answers = [];
    for (let i = 0; i < 5; i++) {
      const a = await asked(second);
      answers.push({ status: a.status, decision: a.decision });
      await pause(100);
    }
    expect(answers).toEqual(Array(5).fill({ status: 200, decision: "deny" }));
  });

  it("the LISTEN connection blocked (its backend frozen), without Redis: a host's own SQL is not heard", async () => {
    const databaseUrl = await store("blocked_listen");
    const sidecar = await started({ DATABASE_URL: databaseUrl });
    const { timeline, load } = await loadOn(sidecar, { name: "sidecar", sidecar }, "feed up");
    const database = databaseUrl.slice(databaseUrl.lastIndexOf("/") + 1);
    const listeners = await backendPids(postgres, `datname = '${database}' and application_name = '${LISTENER_APPLICATION_NAME}'`);
    expect(listeners).toHaveLength(1);
    const listener = listeners[0]!;

    const loop = new Load(load);
    loop.start();
    let removed: { endedAt: number };
    try {
      await pause(300);
      process.kill(listener, "SIGSTOP");
      try {
        await pause(300);
        removed = await timeline.record("leaves", false, () =>
          removeAsHost(postgres, databaseUrl),
        );
        await pause(STALENESS_MS + 1_500);
      } finally {
        process.kill(listener, "SIGCONT");
      }
    } finally {
      await loop.stop();
    }
    judged("listen blocked", loop, timeline, removed.endedAt);
    await recovered(load, 12_000);
  });
});
