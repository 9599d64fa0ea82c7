/**
 * Resident memory of the sidecar process with the whole store cached: one check in every tree (so every org and
 * membership is in process), then its RSS from /proc, beside what the cache says it holds. The verdict is taken on a
 * sidecar of its own, so it measures what caching the store costs; the RSS of the sidecar that served the load runs
 * before it (unique batches fill the decision memo, and V8 keeps the heap it grew) is reported beside it.
 */
import { markdownTable } from "../benchmarks-file.ts";
import { checkHeaders, type Context, type RunReport } from "../context.ts";
import { JsonClient, mapConcurrent } from "../http-client.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { peakRssBytes } from "../processes.ts";
import { below, int, mib } from "../targets.ts";
import { treeRequests } from "../workload.ts";

interface CacheStats {
  trees: number;
  orgs: number;
  users: number;
  bytes: number;
}

const GIB = 2 ** 30;

export async function memoryRun(ctx: Context, ours: SidecarProcess, afterLoad?: SidecarProcess): Promise<RunReport> {
  const loadedRss = afterLoad?.rss();
  const loadedPeak = afterLoad ? peakRssBytes(afterLoad.pid) : undefined;
  const { index } = ctx;
  const client = new JsonClient(ours.url, checkHeaders, 8);
  const rssBefore = ours.rss();
  const requests = treeRequests(index, index.data.trees, 23);
  const started = performance.now();
  ctx.log(`memory: warming all ${int(requests.length)} trees`);
  await mapConcurrent(requests, 8, async (r) => {
    const answer = await client.post("/v1/check", r.body);
    if (answer.status !== 200) throw new Error(`warming ${r.tree.root} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  });
  // A cold check is answered from a path snapshot; its whole tree lands just after: wait for the last of them.
  const cacheStats = async () => ((await client.call("GET", "/v1/status")).body as { graph: { cache: CacheStats } }).graph.cache;
  let cache = await cacheStats();
  for (const deadline = Date.now() + 30_000; cache.trees < index.data.trees.length && Date.now() < deadline; cache = await cacheStats()) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const warmSeconds = (performance.now() - started) / 1000;
  client.close();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const rss = ours.rss();
  const peak = peakRssBytes(ours.pid);
  const data = index.data;
  const complete = cache.orgs >= data.orgs.length && cache.trees >= data.trees.length;
  return {
    title: "Resident memory with the whole store cached",
    body: [
      `The sidecar process after one check in each of the store's ${int(data.trees.length)} trees (${int(data.orgs.length)} orgs, ${int(data.memberships.length)} memberships, ${int(data.users.length)} users in PostgreSQL), ` +
        `warmed in ${warmSeconds.toFixed(1)} s with 8 concurrent requests, on a sidecar started for this run (one process, WORKERS=1: each worker of a multi-process sidecar holds its own cache). RSS read from /proc. ` +
        "The last rows are the sidecar that served the cold, batch, order and repeated-bodies runs before it, for comparison (not the verdict).",
      "",
      markdownTable(
        ["measure", "value"],
        [
          ["trees / orgs cached", `${int(cache.trees)} / ${int(cache.orgs)}${complete ? "" : " (**not the whole store**)"}`],
          ["users cached", int(cache.users)],
          ["serialized size of the cached trees", mib(cache.bytes)],
          ["RSS before warming every tree", mib(rssBefore)],
          ["RSS with every tree cached", mib(rss)],
          ["peak RSS of the process", mib(peak)],
          ...(loadedRss !== undefined && loadedPeak !== undefined
            ? [
                ["RSS of the sidecar after the load runs", mib(loadedRss)],
                ["its peak RSS", mib(loadedPeak)],
              ]
            : []),
        ],
      ),
    ].join("\n"),
    targets: [below(`RSS with ${int(data.orgs.length)} orgs and ${int(data.memberships.length)} memberships cached`, "< 512 MiB", rss, GIB / 2, `${mib(rss)}${complete ? "" : " (store not wholly cached)"}`, mib)],
  };
}
