/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and says where the time goes: each sample is put in the first
 * category (below) that its stack matches, walking from the running function towards the root, and the hottest
 * functions by self time are listed with their file and line.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface CategoryShare {
  category: string;
  ms: number;
  /** Share of the busy time (idle excluded). */
  share: number;
}

export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  share: number;
}

/** A run of samples with no idle one between them: the main thread busy without a pause (a stall when long). */
export interface BusyStretch {
  ms: number;
  /** Its categories, longest first. */
  categories: { category: string; ms: number }[];
}

export interface ProfileSummary {
  busyMs: number;
  wallMs: number;
  categories: CategoryShare[];
  functions: HotFunction[];
  /** Busy stretches over 10 ms, longest first (under paced load the thread should be idle between requests). */
  stretches: BusyStretch[];
}

/** A busy stretch is listed from this length. */
const STRETCH_MS = 10;

type Frames = readonly CallFrame[]; // running function first

const SOCKET_WRITES = new Set(["writev", "writeUtf8String", "writeLatin1String", "writeBuffer", "writeString", "writeAsciiString"]);

const has = (frames: Frames, test: (f: CallFrame) => boolean) => frames.some(test);
/** A file of ours by its source name, run from src/ (tsx) or from the build (dist/, the same name in .js). */
const inFile = (part: string) => {
  const built = part.replace(/\.ts$/, ".js");
  return (f: CallFrame) => f.url.includes(part) || f.url.includes(built);
};
const named = (name: string) => (f: CallFrame) => f.functionName === name;

/** The first frame (from the running one) that belongs to our own source, else undefined. */
const nearestOwn = (frames: Frames) => frames.find((f) => !f.url.includes("/node_modules/") && (f.url.includes("/src/") || f.url.includes("/dist/")));

/**
 * Categories in precedence order. JSON and zod work is attributed to whoever asked for it (request parsing,
 * the Wasm SDK's input/output, the response), so the table says which step costs, not only which builtin.
 */
const CATEGORIES: { name: string; test: (frames: Frames) => boolean }[] = [
  { name: "idle", test: (s) => s[0]?.functionName === "(idle)" },
  { name: "garbage collection", test: (s) => s[0]?.functionName === "(garbage collector)" },
  { name: "Wasm: parsing the input JSON", test: (s) => s[0]?.url.startsWith("wasm://") === true && has(s, (f) => /^opa_json_(parse|lex)/.test(f.functionName)) },
  { name: "Wasm: writing the result JSON", test: (s) => s[0]?.url.startsWith("wasm://") === true && has(s, (f) => /^opa_json_(dump|writer)/.test(f.functionName)) },
  { name: "Wasm: policy evaluation (compiled Rego)", test: (s) => s[0]?.url.startsWith("wasm://") === true },
  {
    name: "opa-wasm SDK: input JSON.stringify + copy into Wasm memory",
    test: (s) => has(s, inFile("@open-policy-agent/opa-wasm")) && s.slice(0, 4).some((f) => ["stringify", "_dumpJSON", "_loadJSON", "loadJSON", "encode", "encodeInto", "set"].includes(f.functionName)) && !has(s.slice(0, 3), named("parse")),
  },
  { name: "opa-wasm SDK: result JSON.parse", test: (s) => has(s, inFile("@open-policy-agent/opa-wasm")) && has(s.slice(0, 4), (f) => ["parse", "_dumpJSONRaw", "dumpJSON", "decode"].includes(f.functionName)) },
  { name: "opa-wasm SDK: other JS", test: (s) => has(s, inFile("@open-policy-agent/opa-wasm")) },
  { name: "zod: policy result schema check", test: (s) => has(s, inFile("node_modules/zod")) && has(s, inFile("policy-engine.ts")) },
  { name: "zod: request validation", test: (s) => has(s, inFile("node_modules/zod")) },
  {
    name: "decision log (line, hand-over to the writer thread, the writer)",
    test: (s) => ["decision-log.ts", "decision-sink.ts", "node_modules/pino", "node_modules/thread-stream", "sonic-boom"].some((f) => has(s, inFile(f))),
  },
  { name: "metrics (prom-client)", test: (s) => has(s, inFile("prom-client")) },
  { name: "socket writes (writev syscall)", test: (s) => s[0]?.url === "" && SOCKET_WRITES.has(s[0].functionName) },
  { name: "request body JSON.parse", test: (s) => nearestOwn(s)?.functionName === "parseJson" },
  { name: "response JSON.stringify + write", test: (s) => nearestOwn(s)?.functionName === "send" && inFile("decision-fast-path.ts")(nearestOwn(s) ?? { functionName: "", url: "", lineNumber: 0 }) },
  { name: "graph slice (cache lookup, assembly)", test: (s) => ["slice-builder.ts", "graph-cache.ts", "tree-snapshot.ts", "clock-cache.ts", "graph-token.ts", "org-graph.ts"].some((f) => { const own = nearestOwn(s); return own !== undefined && inFile(f)(own); }) },
  { name: "API key check (sha256, timingSafeEqual)", test: (s) => has(s, inFile("api-keys.ts")) },
  { name: "decision id (randomUUID)", test: (s) => has(s.slice(0, 4), named("randomUUID")) },
  { name: "express (non-decision routes)", test: (s) => has(s, inFile("node_modules/express")) || has(s, inFile("node_modules/router")) },
  { name: "decision service and fast path (own code)", test: (s) => nearestOwn(s) !== undefined },
  { name: "node:http parser, sockets, streams", test: (s) => has(s, (f) => /^node:(_http|net|stream|internal\/(streams|stream_base|http|net))/.test(f.url)) },
  { name: "V8 / native (program)", test: (s) => s[0]?.functionName === "(program)" },
  { name: "other", test: () => true },
];

function where(frame: CallFrame, root: string): string {
  const url = frame.url.replace(/^file:\/\//, "").replace(root, "");
  return url ? `${url}:${frame.lineNumber + 1}` : "(native)";
}

/** Summarizes `file`; with `window` (µs on the monotonic clock), only the samples taken inside it. */
export function summarizeProfile(file: string, root: string, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackCache = new Map<number, Frames>();
  const stackOf = (id: number): Frames => {
    let s = stackCache.get(id);
    if (!s) {
      const frames: CallFrame[] = [];
      for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) frames.push(byId.get(cur)!.callFrame);
      stackCache.set(id, (s = frames));
    }
    return s;
  };
  const categoryOf = new Map<number, string>();
  const categoryMs = new Map<string, number>();
  const selfMs = new Map<number, number>();
  let totalMs = 0;
  const stretches: BusyStretch[] = [];
  let stretch: { ms: number; categories: Map<string, number> } = { ms: 0, categories: new Map() };
  const closeStretch = () => {
    if (stretch.ms >= STRETCH_MS) {
      stretches.push({ ms: stretch.ms, categories: [...stretch.categories].map(([category, ms]) => ({ category, ms })).sort((a, b) => b.ms - a.ms) });
    }
    stretch = { ms: 0, categories: new Map() };
  };
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) return;
    const dt = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    totalMs += dt;
    let category = categoryOf.get(id);
    if (category === undefined) {
      const frames = stackOf(id);
      category = CATEGORIES.find((c) => c.test(frames))!.name;
      categoryOf.set(id, category);
    }
    categoryMs.set(category, (categoryMs.get(category) ?? 0) + dt);
    selfMs.set(id, (selfMs.get(id) ?? 0) + dt);
    if (category === "idle") closeStretch();
    else {
      stretch.ms += dt;
      stretch.categories.set(category, (stretch.categories.get(category) ?? 0) + dt);
    }
  });
  closeStretch();
  const idle = categoryMs.get("idle") ?? 0;
  const busy = totalMs - idle;
  const categories = [...categoryMs]
    .filter(([name]) => name !== "idle")
    .map(([category, ms]) => ({ category, ms, share: ms / busy }))
    .sort((a, b) => b.ms - a.ms);
  const byFunction = new Map<string, HotFunction>();
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === "(idle)") continue;
    const name = frame.functionName || "(anonymous)";
    const key = `${name}@${where(frame, root)}`;
    const entry = byFunction.get(key) ?? { name, where: where(frame, root), selfMs: 0, share: 0 };
    entry.selfMs += ms;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()]
    .map((f) => ({ ...f, share: f.selfMs / busy }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, 25);
  return { busyMs: busy, wallMs: totalMs, categories, functions, stretches: stretches.sort((a, b) => b.ms - a.ms) };
}
