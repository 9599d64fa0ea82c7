/**
 * Peer: the OPA server (`opa run --server`, the project's pinned CLI, installed by scripts/install-policy-tools.sh into
 * tools/bin) evaluating the Rego our Wasm is compiled from (policies/, its revision checked against the bundle's),
 * with the whole org graph loaded as data and a thin wrapper that builds our input slice from that data
 * (policies/README.md, the input contract), so it answers the same decision for the same request body.
 * (The bundle's own .rego files are the optimized build output, which the Go evaluator does not answer from.)
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DatasetIndex } from "../data-generator.ts";
import { BENCH_TMP, ROOT, TOOLS } from "../paths.ts";
import { freePort, rssBytes, startChild, waitUntilReady, type Child } from "../processes.ts";

const OPA = join(TOOLS, "bin/opa");

/** The pinned version (scripts/policy-tool-versions.sh), without the leading v. */
function pinnedVersion(): string {
  const match = /^OPA_VERSION=v?(\S+)$/m.exec(readFileSync(join(ROOT, "scripts/policy-tool-versions.sh"), "utf8"));
  if (!match?.[1]) throw new Error("scripts/policy-tool-versions.sh does not pin OPA_VERSION");
  return match[1];
}

function installedVersion(): string | undefined {
  if (!existsSync(OPA)) return undefined;
  return /^Version: (\S+)$/m.exec(execFileSync(OPA, ["version"], { encoding: "utf8" }))?.[1];
}

/** Installs the pinned OPA CLI when missing (scripts/install-policy-tools.sh: go install, minutes the first time). */
export function ensureOpa(log: (line: string) => void): string {
  const pinned = pinnedVersion();
  if (installedVersion() !== pinned) {
    log(`opa: installing ${pinned} with scripts/install-policy-tools.sh (go install)`);
    try {
      execFileSync("bash", [join(ROOT, "scripts/install-policy-tools.sh")], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    } catch (error) {
      // The script can exit 141 (SIGPIPE under pipefail in its `opa version | head -1`) after a good install.
      if (installedVersion() !== pinned) throw error;
    }
  }
  return `OPA ${installedVersion() ?? "?"}`;
}

/**
 * Builds `graph` from data exactly as the sidecar's slice does: the orgs on the acting org's and the resource
 * org's paths, the subject's memberships on the acting path (root first), custom roles they name, the tree and
 * the user. `settings` are the sidecar's defaults.
 */
const WRAPPER = `package benchwrap

settings := {"maxDepth": 5, "maxOrgs": 500, "buyerOrgStatus": "inactive", "buyerOrgRole": "org_admin"}

resource_org := input.resource.org if {
	input.resource.org
} else := input.org

slice_orgs[id] := data.graph.orgs[id] if {
	some start in {input.org, resource_org}
	some id in data.graph.orgs[start].path
}

default memberships := []

memberships := [m |
	some id in data.graph.orgs[input.org].path
	m := data.graph.members[input.subject.id][id]
]

slice_roles[k] := data.graph.roles[k] if {
	some m in memberships
	some k in m.roles
}

default tree := null

tree := data.graph.trees[data.graph.orgs[input.org].path[0]]

default user := null

user := data.graph.users[input.subject.id]

graph := {"user": user, "tree": tree, "orgs": slice_orgs, "memberships": memberships, "roles": slice_roles}

decision := d if {
	d := data.b2b.check.decision with input as object.union(input, {"settings": settings, "graph": graph})
}
`;

export const OPA_DECISION_PATH = "/v1/data/benchwrap/decision";

/** The org graph as OPA data, keyed for lookups (what our cache holds, in OPA's store). */
function graphData(index: DatasetIndex): unknown {
  const data = index.data;
  const orgs: Record<string, unknown> = {};
  for (const o of data.orgs) {
    orgs[o.id] = { parent: o.parent, status: o.status, inheritRoles: o.inheritRoles, path: index.path.get(o.id) };
  }
  const trees: Record<string, unknown> = {};
  for (const t of data.trees) {
    trees[t.root] = { root: t.root, size: t.orgs.length, overLimit: index.org.get(t.root)?.overLimit ?? "approval" };
  }
  const members: Record<string, Record<string, unknown>> = {};
  for (const m of data.memberships) {
    (members[m.user] ??= {})[m.org] = m.limits
      ? { org: m.org, roles: m.roles, inheritable: m.inheritable, limits: m.limits }
      : { org: m.org, roles: m.roles, inheritable: m.inheritable };
  }
  const users: Record<string, unknown> = {};
  for (const u of data.users) users[u.id] = { id: u.id, status: u.status };
  const roles: Record<string, unknown> = {};
  for (const r of data.roles) roles[r.key] = r;
  return { orgs, trees, members, users, roles };
}

/**
 * The revision `scripts/policy.sh build` gives the bundle: the hash of the policy sources (as `find | sort |
 * xargs sha256sum | sha256sum`), so the run can say whether policies/ is what the sidecar's Wasm was built from.
 */
export function policySourceRevision(): string {
  const dir = join(ROOT, "policies");
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => (f.endsWith(".rego") || f.endsWith(".json")) && !f.endsWith("_test.rego") && statSync(join(dir, f)).isFile())
    .map((f) => `./${f}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = files.map((f) => `${createHash("sha256").update(readFileSync(join(dir, f))).digest("hex")}  ${f}\n`).join("");
  return createHash("sha256").update(`${lines}`).digest("hex").slice(0, 16);
}

/** Writes the wrapper and the graph data into the directory OPA loads beside policies/. */
export function prepareOpaData(index: DatasetIndex): { dir: string; dataBytes: number } {
  const dir = join(BENCH_TMP, "opa");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "graph"), { recursive: true });
  writeFileSync(join(dir, "wrapper.rego"), WRAPPER);
  const text = JSON.stringify(graphData(index));
  writeFileSync(join(dir, "graph", "data.json"), text);
  return { dir, dataBytes: Buffer.byteLength(text) };
}

export interface OpaServer {
  child: Child;
  url: string;
  pid: number;
  /** Seconds from start until it answered /health with the data loaded. */
  startSeconds: number;
  rss(): number;
  stop(): Promise<void>;
}

/** `oneCore`: GOMAXPROCS=1, one process against our one process; otherwise Go's default (every core). */
export async function startOpaServer(dataDir: string, oneCore = false): Promise<OpaServer> {
  const port = await freePort();
  const started = performance.now();
  const child = startChild("opa", OPA, [
    "run",
    "--server",
    `--addr=127.0.0.1:${port}`,
    "--log-level=error",
    "--skip-version-check",
    "--ignore=*_test.rego",
    "--ignore=README.md",
    join(ROOT, "policies"),
    dataDir,
  ], { cwd: ROOT, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...(oneCore ? { GOMAXPROCS: "1" } : {}) } });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, `${url}/health`, 300_000);
  } catch (error) {
    await child.stop();
    throw error;
  }
  return {
    child,
    url,
    pid: child.pid,
    startSeconds: (performance.now() - started) / 1000,
    rss: () => rssBytes(child.pid),
    stop: () => child.stop(),
  };
}
