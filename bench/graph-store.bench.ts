/**
 * Org graph store benchmark (`npm run bench:graph`): cold slice loads from PostgreSQL, warm loads from each cache
 * tier, memory, and write-to-visible latency across two sidecars. Appends a markdown section to BENCHMARKS.md.
 *
 * Needs the machine's PostgreSQL (BENCH_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres) and Redis
 * (BENCH_REDIS_URL, default redis://127.0.0.1:6379/0). Creates and drops its own database `b2b_authz_bench`.
 */
import os from "node:os";
import { Redis } from "ioredis";
import pg from "pg";
import { pino } from "pino";
import { loadConfig } from "../src/config.ts";
import { createOrgGraph, type OrgGraph } from "../src/graph/org-graph.ts";
import { machineLine, markdownTable, writeSection } from "./benchmarks-file.ts";

const PG_URL = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/0";
const DB = "b2b_authz_bench";
const TREES = Number(process.env.BENCH_TREES ?? 200); // x 500 orgs
const MEMBERS_PER_ORG = 10;
const USERS = 200_000;
const logger = pino({ level: "silent" });

const dbUrl = (() => {
  const u = new URL(PG_URL);
  u.pathname = `/${DB}`;
  return u.toString();
})();

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(sql);
  await c.end();
}

/** 500 orgs in 5 levels: 1 root, 4, 16, 80, 399 (BigCommerce's limits, filled). */
const PARENT_OF = `case when i <= 4 then 0 when i <= 20 then 1 + (i - 5) / 4 when i <= 100 then 5 + (i - 21) / 5 else 21 + (i - 101) / 5 end`;

async function generate(trees: number): Promise<{ orgs: number; memberships: number; seconds: number }> {
  const started = performance.now();
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  // Bulk load without per-statement triggers and FK checks (superuser); versions start at 0 for every key.
  await c.query("set session_replication_role = replica");
  await c.query(`insert into users (id, email) select 'u' || n, 'u' || n || '@bench.test' from generate_series(0, ${USERS - 1}) n`);
  await c.query(`insert into roles (key, name, permissions) values ('bench_buyer', 'Bench buyer', '[{"code":"order.place","level":2}]')`);
  await c.query(
    `insert into orgs (id, name, parent)
     select 't' || t || '-' || i, 'Org ' || t || '-' || i, case when i = 0 then null else 't' || t || '-' || (${PARENT_OF}) end
       from generate_series(0, ${trees - 1}) t, generate_series(0, 499) i`,
  );
  await c.query(
    `insert into memberships (org_id, user_id, roles, inheritable)
     select 't' || t || '-' || i, 'u' || (((t * 500 + i) * ${MEMBERS_PER_ORG} + k) % ${USERS}),
            case when k = 0 then array['org_admin'] when k % 3 = 0 then array['bench_buyer'] else array['buyer'] end, k % 2 = 0
       from generate_series(0, ${trees - 1}) t, generate_series(0, 499) i, generate_series(0, ${MEMBERS_PER_ORG - 1}) k`,
  );
  await c.query("reset session_replication_role");
  await c.query("analyze");
  const { rows } = await c.query<{ o: string; m: string }>("select (select count(*) from orgs) o, (select count(*) from memberships) m");
  await c.end();
  return { orgs: Number(rows[0]!.o), memberships: Number(rows[0]!.m), seconds: (performance.now() - started) / 1000 };
}

function config(env: Record<string, string>) {
  return loadConfig({ DATABASE_URL: dbUrl, GRAPH_HEARTBEAT_MS: "200", CACHE_MAX_TREES: "100000", ...env });
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  mean: number;
}
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  return { n: s.length, p50: at(0.5), p99: at(0.99), mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
}
const ms = (x: number) => (x < 1 ? x.toFixed(3) : x.toFixed(2));

/** Acting in a level-5 org of tree `t` as one of its members: the full path and five orgs. */
const request = (t: number, i = 101 + (t % 399)) => ({
  subject: { id: `u${((t * 500 + i) * MEMBERS_PER_ORG + 1) % USERS}`, kind: "user" as const },
  org: `t${t}-${i}`,
});

/**
 * One cold slice per tree, the next once the last one's whole tree has landed. `subtree` false: a decision's slice,
 * answered from a path snapshot (the whole tree loads behind it); true: an order scope's, which waits for the whole
 * tree.
 */
async function coldLoads(graph: OrgGraph, trees: number[], subtree = false): Promise<Stats> {
  const samples: number[] = [];
  for (const t of trees) {
    const cached = (await graph.status()).cache.trees;
    const started = performance.now();
    await graph.slice({ ...request(t), ...(subtree ? { subtree: true } : {}) });
    samples.push(performance.now() - started);
    while ((await graph.status()).cache.trees <= cached) await sleep(2);
  }
  return stats(samples);
}

async function warmLoop(graph: OrgGraph, trees: number[], iterations: number): Promise<{ perSecond: number; p50us: number; p99us: number }> {
  const reqs = trees.flatMap((t) => [request(t), request(t, 21 + (t % 80)), request(t, 0)]);
  for (const r of reqs) await graph.slice(r);
  const started = performance.now();
  for (let i = 0; i < iterations; i++) await graph.slice(reqs[i % reqs.length]!);
  const perSecond = iterations / ((performance.now() - started) / 1000);
  const samples: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = performance.now();
    await graph.slice(reqs[i % reqs.length]!);
    samples.push(performance.now() - t0);
  }
  const s = stats(samples);
  return { perSecond, p50us: s.p50 * 1000, p99us: s.p99 * 1000 };
}

interface Visibility {
  committed: Stats;
  heard: Stats;
  visible: Stats;
}

/** A membership write on `writer` until `reader` (warm, no token) hears of it, and until its slice shows it. */
async function writeToVisible(writer: OrgGraph, reader: OrgGraph, rounds: number): Promise<Visibility> {
  const committed: number[] = [];
  const heard: number[] = [];
  const visible: number[] = [];
  const org = request(0).org;
  const user = "u199999";
  let heardAt = 0;
  reader.metrics.on("invalidation", () => {
    heardAt ||= performance.now();
  });
  await writer.putMembership(org, user, { roles: ["buyer"] }).catch(() => undefined);
  for (let i = 0; i < rounds; i++) {
    const present = (await reader.slice({ subject: { id: user }, org })).graph.memberships.some((m) => m.org === org);
    await sleep(5); // let earlier notifications settle
    heardAt = 0;
    const started = performance.now();
    if (present) await writer.deleteMembership(org, user);
    else await writer.putMembership(org, user, { roles: ["buyer"] });
    committed.push(performance.now() - started);
    // The reader polls its warm path (no token) until the change shows: invalidation, then the tree's reload.
    for (;;) {
      const now = (await reader.slice({ subject: { id: user }, org })).graph.memberships.some((m) => m.org === org);
      if (now !== present) break;
      if (performance.now() - started > 10_000) throw new Error("change never became visible");
      await new Promise((resolve) => setImmediate(resolve));
    }
    visible.push(performance.now() - started);
    if (heardAt) heard.push(heardAt - started);
  }
  return { committed: stats(committed), heard: stats(heard), visible: stats(visible) };
}

const heapMb = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

async function freshSchema(): Promise<void> {
  await admin(`drop database if exists ${DB} with (force)`);
  await admin(`create database ${DB}`);
  await (await createOrgGraph(config({}), logger)).close(); // migrations through the store itself
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const prefix = `bench-${Date.now()}:`;
  const redis = new Redis(REDIS_URL);
  const rows: string[][] = [];
  try {
    // --- a store holding one 500-org tree: cold = a fresh sidecar's first decision ---
    await freshSchema();
    const small = await generate(1);
    const coldSmall: number[] = [];
    const wholeSmall: number[] = [];
    for (let i = 0; i < 30; i++) {
      for (const [subtree, samples] of [[false, coldSmall], [true, wholeSmall]] as const) {
        const g = await createOrgGraph(config({}), logger);
        const s = performance.now();
        await g.slice({ ...request(0), ...(subtree ? { subtree: true } : {}) });
        samples.push(performance.now() - s);
        await g.close();
      }
    }
    const g = await createOrgGraph(config({}), logger);
    const warmSmall = await warmLoop(g, [0], 300_000);
    await g.close();

    // --- the large store: 100,000 orgs, 1,000,000 memberships ---
    await freshSchema();
    const large = await generate(TREES);
    process.stderr.write(`large store: ${large.orgs} orgs, ${large.memberships} memberships generated in ${large.seconds.toFixed(1)} s\n`);
    const trees = Array.from({ length: TREES }, (_, t) => t);

    const heapBefore = heapMb();
    const a = await createOrgGraph(config({ REDIS_URL, REDIS_KEY_PREFIX: prefix }), logger);
    const coldLarge = await coldLoads(a, trees); // each whole-tree load behind it also publishes the tree to Redis
    const heapAfter = heapMb();
    const wholeLoader = await createOrgGraph(config({}), logger);
    const wholeLarge = await coldLoads(wholeLoader, trees, true);
    await wholeLoader.close();
    const cacheBytes = (await a.status()).cache.bytes;
    const warmLarge = await warmLoop(a, trees, 300_000);

    // Redis tier: another sidecar finds the trees in Redis (its user and roles warmed first: trees only).
    const c = await createOrgGraph(config({ REDIS_URL, REDIS_KEY_PREFIX: prefix }), logger);
    await sleep(600); // Redis hits are trusted once the change feed has confirmed freshness
    await c.slice({ subject: { id: "u0" }, org: "t0-0" });
    const redisSamples: number[] = [];
    for (const t of trees.slice(1)) {
      const s = performance.now();
      await c.slice({ subject: { id: "u0" }, org: `t${t}-${101 + (t % 399)}`, subtree: true });
      redisSamples.push(performance.now() - s);
    }
    const redisTier = stats(redisSamples);
    const redisHits = c.metrics.lookups.redis.hit;
    await c.close();
    // Keys name the store and the version's stamp too: find the tree's value rather than spell its key.
    const [valueKey] = await redis.keys(`${prefix}*val:t:t1-0:*`).catch(() => [] as string[]);
    const valueBytes = valueKey ? Number((await redis.call("MEMORY", "USAGE", valueKey)) ?? 0) : 0;

    // Write-to-visible across two sidecars: through the Redis relay, and each listening to PostgreSQL itself.
    const reader = await createOrgGraph(config({ REDIS_URL, REDIS_KEY_PREFIX: prefix }), logger);
    await sleep(600);
    const visibleRedis = await writeToVisible(a, reader, 200);
    await reader.close();
    await a.close();
    const w = await createOrgGraph(config({}), logger);
    const r = await createOrgGraph(config({}), logger);
    const visiblePg = await writeToVisible(w, r, 200);
    await w.close();
    await r.close();

    const smallStore = `1 tree (${small.orgs} orgs, ${small.memberships.toLocaleString("en")} memberships)`;
    const largeStore = `${large.orgs.toLocaleString("en")} orgs, ${large.memberships.toLocaleString("en")} memberships`;
    const cs = stats(coldSmall);
    const ws = stats(wholeSmall);
    const heap = heapAfter - heapBefore;
    rows.push(
      ["cold slice: path snapshot from PostgreSQL", smallStore, `${ms(cs.p50)} ms`, `${ms(cs.p99)} ms`, `${cs.n} fresh sidecars`],
      ["cold slice: path snapshot from PostgreSQL", largeStore, `${ms(coldLarge.p50)} ms`, `${ms(coldLarge.p99)} ms`, `${coldLarge.n} trees, one sidecar`],
      ["cold subtree slice: whole tree from PostgreSQL", smallStore, `${ms(ws.p50)} ms`, `${ms(ws.p99)} ms`, `${ws.n} fresh sidecars`],
      ["cold subtree slice: whole tree from PostgreSQL", largeStore, `${ms(wholeLarge.p50)} ms`, `${ms(wholeLarge.p99)} ms`, `${wholeLarge.n} trees, one sidecar`],
      ["warm subtree slice: whole tree from Redis", largeStore, `${ms(redisTier.p50)} ms`, `${ms(redisTier.p99)} ms`, `${redisHits} Redis hits; ${(valueBytes / 1024).toFixed(0)} KiB per tree in Redis`],
      ["warm slice: in process", smallStore, `${warmSmall.p50us.toFixed(2)} µs`, `${warmSmall.p99us.toFixed(2)} µs`, `${Math.round(warmSmall.perSecond).toLocaleString("en")} slices/s on one core`],
      ["warm slice: in process", `${largeStore}, ${TREES} trees cached`, `${warmLarge.p50us.toFixed(2)} µs`, `${warmLarge.p99us.toFixed(2)} µs`, `${Math.round(warmLarge.perSecond).toLocaleString("en")} slices/s on one core`],
      ["memory: in-process cache", `${TREES} trees cached`, "", "", `${heap.toFixed(0)} MiB heap, ${((heap / TREES) * 1024).toFixed(0)} KiB per tree (${(cacheBytes / TREES / 1024).toFixed(0)} KiB serialized)`],
      ...([
        ["Redis relay", visibleRedis],
        ["own LISTEN", visiblePg],
      ] as const).flatMap(([how, v]) => [
        [`write committed (membership put/delete)`, largeStore, `${ms(v.committed.p50)} ms`, `${ms(v.committed.p99)} ms`, `${v.committed.n} writes (${how} run)`],
        [`change heard by another sidecar: ${how}`, largeStore, `${ms(v.heard.p50)} ms`, `${ms(v.heard.p99)} ms`, "from the write's start; the tree is dropped"],
        [`write-to-visible on another sidecar: ${how}`, largeStore, `${ms(v.visible.p50)} ms`, `${ms(v.visible.p99)} ms`, "from the write's start to the next decision without a token showing it (includes reloading the tree)"],
      ]),
    );
  } finally {
    for (const key of await redis.keys(`${prefix}*`).catch(() => [])) await redis.del(key);
    redis.disconnect();
    await admin(`drop database if exists ${DB} with (force)`).catch(() => undefined);
  }
  const body = [
    `Command: \`npm run bench:graph\` (whole run ${((performance.now() - t0) / 1000).toFixed(0)} s). Machine: ${machineLine()}; PostgreSQL and Redis on the same machine.`,
    `Trees are 500 orgs in 5 levels (1/4/16/80/399) with ${MEMBERS_PER_ORG} memberships per org; a slice acts in a level-5 org as one of its members. ` +
      `All sidecars run in the benchmark's one Node process (one event loop); load average at the end of the run: ${os.loadavg()[0]!.toFixed(1)}.`,
    "",
    markdownTable(["measurement", "store", "p50", "p99", "notes"], rows),
    "",
    "Cold: the first decision in a tree is answered from a path snapshot (the orgs on its paths, the subject's memberships there and the user, one statement), and the whole tree then loads behind it in one SQL statement (recursive CTE, JSON built by PostgreSQL); " +
      "a subtree slice (order scope, administration) waits for that whole tree. Each cold sample is taken once the previous one's whole tree has landed. " +
      "Warm in process: no I/O, the slice is assembled from frozen parts shared between decisions. " +
      "Write-to-visible: from a membership write on one sidecar until the other sidecar's next decision *without* a token sees it " +
      "(a decision carrying the write's graphToken sees it at once).",
  ].join("\n");
  process.stdout.write(`${body}\n`);
  writeSection("Org graph store", body);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

await main();
process.exit(0);
