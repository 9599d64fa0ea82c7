/**
 * Write-to-visible across two sidecar processes sharing PostgreSQL and Redis: a membership written through one
 * (PUT, then DELETE, alternately), while the runner polls a check on the other *without* a graphToken until its
 * answer flips. Measured from sending the write until the other instance answers the new decision.
 */
import { markdownTable, percentile } from "../benchmarks-file.ts";
import { adminHeaders, checkHeaders, freshPrefix, startOurSidecar, type Context, type RunReport } from "../context.ts";
import { STAFF_ID } from "../data-generator.ts";
import { JsonClient, type Answer } from "../http-client.ts";
import type { SidecarProcess } from "../peers/sidecar.ts";
import { below, fixed } from "../targets.ts";
import { visibilityProbe } from "../workload.ts";

const ROUND_TIMEOUT_MS = 10_000;

interface FeedStatus {
  connected: boolean;
  relay?: boolean;
  mode: string;
}

async function feedOf(client: JsonClient): Promise<FeedStatus> {
  return ((await client.call("GET", "/v1/status")).body as { graph: { feed: FeedStatus } }).graph.feed;
}

const ok = (answer: Answer, what: string) => {
  if (answer.status >= 300) throw new Error(`${what} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
  return answer;
};

export async function writeToVisibleRun(ctx: Context): Promise<RunReport> {
  const prefix = freshPrefix("visible");
  const a: SidecarProcess = await startOurSidecar(ctx, "visible-writer", { redisPrefix: prefix });
  let b: SidecarProcess | undefined;
  try {
    b = await startOurSidecar(ctx, "visible-reader", { redisPrefix: prefix });
    const writer = new JsonClient(a.url, { ...adminHeaders, "x-actor": `staff:${STAFF_ID}` }, 1);
    const reader = new JsonClient(b.url, checkHeaders, 1);
    // Both instances follow the change feed (one relays PostgreSQL's notifications through Redis).
    const deadline = Date.now() + 15_000;
    let feeds: FeedStatus[] = [];
    for (;;) {
      feeds = [await feedOf(writer), await feedOf(reader)];
      if (feeds.every((f) => f.connected) && feeds.some((f) => f.relay)) break;
      if (Date.now() > deadline) throw new Error(`change feeds not ready: ${JSON.stringify(feeds)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const probe = visibilityProbe(ctx.index);
    const path = `/v1/orgs/${encodeURIComponent(probe.org)}/members/${encodeURIComponent(probe.user)}`;
    const allowed = async () => (ok(await reader.post("/v1/check", probe.check), "probe check").body as { allow: boolean }).allow;
    const waitFor = async (want: boolean, started: number) => {
      while ((await allowed()) !== want) {
        if (performance.now() - started > ROUND_TIMEOUT_MS) throw new Error(`write not visible on the other instance after ${ROUND_TIMEOUT_MS} ms`);
      }
      return performance.now() - started;
    };

    await writer.call("DELETE", path); // a leftover from an interrupted run (404 when there is none)
    await waitFor(false, performance.now());
    const visible: number[] = [];
    const acks: number[] = [];
    let present = false;
    ctx.log(`write-to-visible: ${ctx.options.visibilityRounds} writes at ${probe.org} through one instance, polled on the other`);
    for (let i = 0; i < ctx.options.visibilityRounds; i++) {
      const started = performance.now();
      const write = present ? await writer.call("DELETE", path) : await writer.call("PUT", path, { roles: ["buyer"] });
      ok(write, present ? "DELETE membership" : "PUT membership");
      acks.push(write.ms);
      present = !present;
      visible.push(await waitFor(present, started));
    }
    if (present) ok(await writer.call("DELETE", path), "DELETE membership");
    writer.close();
    reader.close();

    const v = [...visible].sort((x, y) => x - y);
    const w = [...acks].sort((x, y) => x - y);
    const row = (label: string, s: number[]) => [label, s.length, `${fixed(percentile(s, 50), 1)} ms`, `${fixed(percentile(s, 90), 1)} ms`, `${fixed(percentile(s, 99), 1)} ms`, `${fixed(s.at(-1) ?? Number.NaN, 1)} ms`];
    const p99 = percentile(v, 99);
    return {
      title: "Write-to-visible across two sidecars",
      body: [
        `Two sidecar processes on the same PostgreSQL and Redis (same key prefix); feeds: ${feeds.map((f) => `${f.mode}${f.relay ? " (relay)" : ""}`).join(", ")}. ` +
          `A membership of a user at ${probe.org} is written through the first (PUT and DELETE alternately, as staff), and a check of that user on the second, without a graphToken, is polled back to back until its answer flips.`,
        "",
        markdownTable(["measure", "writes", "p50", "p90", "p99", "max"], [row("write sent → other instance decides with it", v), row("write acknowledged (one transaction)", w)]),
        "",
        "Path of a change: the write's transaction bumps the tree's version and NOTIFYs; the relay instance relays it through Redis; the other instance drops the tree and its next decision reloads it. A decision that passes the write's graphToken in `consistency.atLeast` sees it at once.",
      ].join("\n"),
      targets: [below("Write-to-visible across instances p99", "< 50 ms", p99, 50, `${fixed(p99, 1)} ms (p50 ${fixed(percentile(v, 50), 1)} ms)`, (x) => `${fixed(x, 1)} ms`)],
    };
  } finally {
    await b?.stop();
    await a.stop();
  }
}
