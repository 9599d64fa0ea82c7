/**
 * Cold decisions: a fresh sidecar (empty process cache, a Redis prefix nobody wrote to), one check in each of
 * many distinct trees, one at a time, so every decision loads its tree and user (a Redis miss, then PostgreSQL).
 * One request in another tree first opens the pool's connections and loads the store-wide role set.
 */
import pg from "pg";
import { markdownTable, percentile } from "../benchmarks-file.ts";
import { checkHeaders, type Context, type RunReport } from "../context.ts";
import { JsonClient } from "../http-client.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { below, fixed, int } from "../targets.ts";
import { sampleTrees, treeRequests, type TreeRequest } from "../workload.ts";

interface Lookups {
  postgres: { hit: number; miss: number };
  redis: { hit: number; miss: number };
  path: { hit: number; miss: number };
}

/**
 * Reads the store's tables and indexes into the OS page cache (pg_prewarm, mode 'read'), as on a database server
 * that holds its working set in memory: a freshly imported store otherwise makes each index probe a disk read, and
 * this run measures our cold path (empty process cache, Redis miss), not the disk.
 */
async function prewarm(databaseUrl: string): Promise<number> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    await db.query("create extension if not exists pg_prewarm");
    const { rows } = await db.query<{ blocks: string }>(
      `select coalesce(sum(pg_prewarm(c.oid, 'read')), 0) as blocks
         from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'i')`,
    );
    return Number(rows[0]?.blocks ?? 0);
  } finally {
    await db.end();
  }
}

async function lookups(client: JsonClient): Promise<Lookups> {
  const answer = await client.call("GET", "/v1/status");
  return (answer.body as { graph: { cache: { lookups: Lookups } } }).graph.cache.lookups;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const msText = (x: number) => (Number.isFinite(x) ? `${fixed(x, 2)} ms` : "n/a");

export async function coldRun(ctx: Context, fresh: SidecarProcess): Promise<RunReport> {
  const { index, options } = ctx;
  const client = new JsonClient(fresh.url, checkHeaders, 1);
  const trees = index.data.trees;
  const warmup = treeRequests(index, [trees[trees.length - 1]!])[0]!;
  const excluded = new Set([warmup.tree.root, trees[0]!.root]);
  const any = sampleTrees(index, options.coldTrees, excluded);
  for (const t of any) excluded.add(t.root);
  const big = sampleTrees(index, options.coldBigTrees, excluded, "five-level", 19);
  for (const t of big) excluded.add(t.root);
  const burst = sampleTrees(index, options.coldTrees, excluded, undefined, 23);
  for (const t of burst) excluded.add(t.root);
  // Cold decisions in trees of their own before the measured ones, so the samples time a cold read in a running
  // process, not the JIT compiling the cold path on its first passes.
  const jitWarmup = sampleTrees(index, options.quick ? 10 : 50, excluded, undefined, 29);

  const blocks = await prewarm(ctx.databaseUrl);
  ctx.log(`cold: ${int(blocks)} blocks of the store read into the page cache`);
  const first = await client.post("/v1/check", warmup.body);
  if (first.status !== 200) throw new Error(`cold warm-up answered ${first.status}`);
  // Whole-tree loads finished, read from /metrics: /v1/status would also count the store's rows every 10 s.
  const loadsDone = async () => {
    const text = String((await client.call("GET", "/metrics")).body);
    let n = 0;
    for (const m of text.matchAll(/^b2b_authz_graph_cache_lookups_total\{tier="(postgres|redis)",outcome="(hit|miss)"\} (\d+)$/gm)) {
      if (m[1] === "postgres" || m[2] === "hit") n += Number(m[3]);
    }
    return n;
  };
  // isolated: the next request only once the last one's whole tree has landed (the sidecar idle again), so each
  // sample is one cold decision alone; back to back: the next at once, competing with that load.
  const timed = async (requests: TreeRequest[], isolated: boolean) => {
    const out: { ms: number; kind: string; size: number }[] = [];
    for (const r of requests) {
      const loaded = isolated ? await loadsDone() : 0;
      const answer = await client.post("/v1/check", r.body);
      if (answer.status !== 200) throw new Error(`cold check answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      out.push({ ms: answer.ms, kind: r.tree.kind, size: r.tree.orgs.length });
      const deadline = Date.now() + 2_000;
      while (isolated && (await loadsDone()) <= loaded && Date.now() < deadline) await sleep(5);
    }
    return out;
  };
  ctx.log(`cold: ${any.length} trees of any shape and ${big.length} more 5-level trees one at a time, ${burst.length} trees back to back`);
  await timed(treeRequests(index, jitWarmup), true);
  const before = await lookups(client);
  const anySamples = await timed(treeRequests(index, any), true);
  const bigSamples = await timed(treeRequests(index, big), true);
  const burstSamples = await timed(treeRequests(index, burst), false);
  const after = await lookups(client);
  client.close();

  const row = (label: string, samples: { ms: number; size: number }[]) => {
    const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
    const sizes = samples.map((s) => s.size);
    return [
      label,
      samples.length,
      sizes.length > 0 ? `${Math.min(...sizes)}–${Math.max(...sizes)}` : "",
      msText(percentile(sorted, 50)),
      msText(percentile(sorted, 90)),
      msText(percentile(sorted, 99)),
      msText(sorted.at(-1) ?? Number.NaN),
    ];
  };
  const kinds = ["flat", "two-level", "three-level", "five-level"] as const;
  const rows = [
    row("any tree (uniform over trees)", anySamples),
    ...kinds.map((k) => row(`  of which ${k}`, anySamples.filter((s) => s.kind === k))).filter((r) => Number(r[1]) > 0),
    ...(bigSamples.length > 0 ? [row("5-level trees (100–500 orgs) only", bigSamples)] : []),
    row("any tree, back to back", burstSamples),
  ];
  const anySorted = anySamples.map((s) => s.ms).sort((a, b) => a - b);
  const p99 = percentile(anySorted, 99);
  const pgLoads = after.postgres.hit - before.postgres.hit;
  const redisHits = after.redis.hit - before.redis.hit;
  const pathReads = after.path.hit - before.path.hit;
  return {
    title: "Cold decisions",
    body: [
      "A fresh sidecar instance; each request is a check in a tree no earlier request touched (its admin viewing an order), timed by the client over keep-alive HTTP. " +
        `First ${jitWarmup.length} cold checks in other trees, not counted, warm the process (JIT). ` +
        "The first rows send one request at a time, the next once the sidecar has finished loading the last one's whole tree (a cold decision alone, as cold misses come on a running storefront); the last row sends them back to back, each competing with the whole-tree load its predecessor left running. " +
        `Each one reads its tree and its user from PostgreSQL after a Redis miss: ${pgLoads} whole-tree loads, ${pathReads} decisions answered from a path snapshot and ${redisHits} Redis hits were counted for ${anySamples.length + bigSamples.length + burstSamples.length} measured requests. ` +
        `Before the run the store's tables and indexes were read into the OS page cache (pg_prewarm 'read', ${int(blocks)} blocks): a database server holding its working set in memory.`,
      "",
      markdownTable(["trees", "requests", "orgs per tree", "p50", "p90", "p99", "max"], rows),
      "",
      "The target is judged on the trees drawn uniformly (the store's mix of shapes), one at a time; 5-level trees alone are the worst case.",
    ].join("\n"),
    targets: [
      below("Cold decision p99", "< 10 ms", p99, 10, `${msText(p99)} (p50 ${msText(percentile(anySorted, 50))}; 5-level trees p99 ${msText(percentile(bigSamples.map((s) => s.ms).sort((a, b) => a - b), 99))}; back to back p99 ${msText(percentile(burstSamples.map((s) => s.ms).sort((a, b) => a - b), 99))})`, msText),
    ],
  };
}
