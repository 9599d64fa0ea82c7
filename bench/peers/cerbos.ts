/**
 * Peer: the Cerbos PDP from the npm package `@cerbos/cerbos-linux-x64` (a Go binary), installed by the benchmark
 * into tools/cerbos, serving its HTTP API (`POST /api/check/resources`) with a resource policy equivalent to ours
 * for the benchmark's questions: an org admin at an ancestor of the order's org (or at it) sees its orders, an
 * owner sees (and places) their own orders, a level-2 viewer sees the acting org's orders. Cerbos holds no org
 * graph: the caller sends the subject's roles in the acting org and the order's org path with each request.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BENCH_TMP, ROOT, TOOLS } from "../paths.ts";
import { freePort, rssBytes, startChild, waitUntilReady, type Child } from "../processes.ts";

export const CERBOS_VERSION = "0.55.0";
const PREFIX = join(TOOLS, "cerbos");
const BINARY = join(PREFIX, "node_modules/@cerbos/cerbos-linux-x64/cerbos-linux-x64");

/** Installs the pinned Cerbos package into tools/cerbos when missing; returns its version. */
export function ensureCerbos(log: (line: string) => void): string {
  const installed = existsSync(BINARY) ? execFileSync(BINARY, ["--version"], { encoding: "utf8" }).split("\n")[0]?.trim() : undefined;
  if (installed !== CERBOS_VERSION) {
    log(`cerbos: installing @cerbos/cerbos-linux-x64@${CERBOS_VERSION} into tools/cerbos`);
    mkdirSync(PREFIX, { recursive: true });
    execFileSync(
      "npm",
      ["install", "--prefix", PREFIX, "--no-save", "--no-audit", "--no-fund", "--loglevel=error", `@cerbos/cerbos-linux-x64@${CERBOS_VERSION}`],
      { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] },
    );
  }
  return `Cerbos ${execFileSync(BINARY, ["--version"], { encoding: "utf8" }).split("\n")[0]?.trim() ?? "?"}`;
}

const OWNER_VIEW_ROLES = ["buyer", "bc_junior_buyer", "bc_senior_buyer", "bench_requester", "org_admin"];

export const CERBOS_POLICY = `apiVersion: api.cerbos.dev/v1
resourcePolicy:
  version: "default"
  resource: "order"
  rules:
    - name: ancestor_org_admin
      actions: ["order.view"]
      effect: EFFECT_ALLOW
      roles: ["*"]
      condition:
        match:
          expr: request.resource.attr.path.exists(o, o in request.principal.attr.adminOrgs)
    - name: owner_view
      actions: ["order.view"]
      effect: EFFECT_ALLOW
      roles: [${OWNER_VIEW_ROLES.map((r) => `"${r}"`).join(", ")}]
      condition:
        match:
          expr: request.resource.attr.buyer == request.principal.id
    - name: org_wide_view
      actions: ["order.view"]
      effect: EFFECT_ALLOW
      roles: ["bc_senior_buyer"]
      condition:
        match:
          expr: request.resource.attr.org == request.principal.attr.actingOrg
    - name: owner_place
      actions: ["order.place"]
      effect: EFFECT_ALLOW
      roles: ["buyer", "bc_senior_buyer", "org_admin"]
      condition:
        match:
          all:
            of:
              - expr: request.resource.attr.buyer == request.principal.id
              - expr: request.resource.attr.org == request.principal.attr.actingOrg
`;

export interface CerbosServer {
  child: Child;
  url: string;
  pid: number;
  rss(): number;
  stop(): Promise<void>;
}

/** `oneCore`: GOMAXPROCS=1, one process against our one process; otherwise Go's default (every core). */
export async function startCerbos(oneCore = false): Promise<CerbosServer> {
  const dir = join(BENCH_TMP, "cerbos");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "policies"), { recursive: true });
  writeFileSync(join(dir, "policies", "order.yaml"), CERBOS_POLICY);
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, "config.yaml"),
    [
      "server:",
      `  httpListenAddr: "127.0.0.1:${httpPort}"`,
      `  grpcListenAddr: "127.0.0.1:${grpcPort}"`,
      "storage:",
      '  driver: "disk"',
      "  disk:",
      `    directory: "${join(dir, "policies")}"`,
      "    watchForChanges: false",
      "audit:",
      "  enabled: false",
      "telemetry:",
      "  disabled: true",
      "",
    ].join("\n"),
  );
  const child = startChild("cerbos", BINARY, ["server", `--config=${join(dir, "config.yaml")}`, "--log-level=error"], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", CERBOS_NO_TELEMETRY: "1", ...(oneCore ? { GOMAXPROCS: "1" } : {}) },
  });
  const url = `http://127.0.0.1:${httpPort}`;
  try {
    await waitUntilReady(child, `${url}/_cerbos/health`, 60_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return { child, url, pid: child.pid, rss: () => rssBytes(child.pid), stop: () => child.stop() };
}

/** Whether Cerbos allowed the single action of a check answer. */
export function cerbosAllowed(answer: unknown): boolean | undefined {
  const results = (answer as { results?: { actions?: Record<string, string> }[] }).results;
  const actions = results?.[0]?.actions;
  if (!actions) return undefined;
  return Object.values(actions)[0] === "EFFECT_ALLOW";
}
