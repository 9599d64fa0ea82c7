import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { gunzipSync } from "node:zlib";
import { describeThrown } from "../errors.ts";
import { BundleRefused } from "./bundle-refusal.ts";
import { normalizeBundlePath, verifyBundleSignature, type BundleVerification } from "./bundle-signature.ts";

/** What the engine needs from an `opa build -t wasm` bundle. */
export interface PolicyBundle {
  /** The compiled policy module. */
  wasm: Uint8Array;
  /** The bundle's data document (data.json files merged by `opa build`, or by us for a directory). */
  data: Record<string, unknown>;
  /** The manifest's revision, or a hash of the module and data when the manifest has none. */
  revision: string;
  /**
   * sha256 (hex) of every file in the bundle, by path: what tells two bundles apart, since a rebuilt policy may
   * keep its declared revision. The same files as an archive or as a directory digest alike.
   */
  digest: string;
  /** Where it was read from. */
  source: string;
}

/** A bundle to read: a `.tar.gz` file or a directory by path, or a `.tar.gz` already in memory (a download). */
export type BundleInput = string | { archive: Uint8Array; source: string };

export interface ReadOptions {
  /** When given, the bundle must carry a valid `.signatures.json` (bundle-signature.ts), else it is refused. */
  verification?: BundleVerification | undefined;
}

/** Largest bundle, unpacked: far above a policy pack's size, low enough that a hostile archive cannot exhaust memory. */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

interface RawBundle {
  /** Every regular file, for the digest. */
  files: { path: string; content: Uint8Array }[];
  /** Their paths, to refuse one seen twice. */
  paths: Set<string>;
  wasm?: Uint8Array;
  dataFiles: { path: string; content: Uint8Array }[];
  manifest?: Uint8Array;
}

const BLOCK = 512;

/** Reads the entries of an uncompressed tar archive (ustar, as written by OPA), regular files only. */
function* tarEntries(archive: Uint8Array): Generator<{ path: string; content: Uint8Array }> {
  const text = (from: number, length: number) => {
    const bytes = archive.subarray(from, from + length);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end === -1 ? bytes : bytes.subarray(0, end));
  };
  let offset = 0;
  while (offset + BLOCK <= archive.length) {
    const name = text(offset, 100);
    if (name === "") return; // end-of-archive marker
    const size = Number.parseInt(text(offset + 124, 12).trim() || "0", 8);
    const type = text(offset + 156, 1);
    const prefix = text(offset + 345, 155);
    if (!Number.isFinite(size) || size < 0) throw new Error(`corrupt tar header for ${name}`);
    const start = offset + BLOCK;
    if (start + size > archive.length) throw new Error(`truncated tar entry ${name}`);
    if (type === "0" || type === "") {
      yield { path: prefix ? `${prefix}/${name}` : name, content: archive.subarray(start, start + size) };
    }
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
}

function readArchive(archive: Uint8Array): RawBundle {
  const raw: RawBundle = { files: [], paths: new Set(), dataFiles: [] };
  for (const entry of tarEntries(gunzipSync(archive, { maxOutputLength: MAX_BUNDLE_BYTES }))) collect(raw, entry.path, entry.content);
  return raw;
}

async function readDirectory(dir: string): Promise<RawBundle> {
  const raw: RawBundle = { files: [], paths: new Set(), dataFiles: [] };
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    collect(raw, relative(dir, full).split(sep).join("/"), await readFile(full));
  }
  return raw;
}

function collect(raw: RawBundle, entryPath: string, content: Uint8Array): void {
  const path = normalizeBundlePath(entryPath);
  // A path twice would let one copy be checked and the other loaded (or both merged): never a bundle.
  if (raw.paths.has(path)) throw new BundleRefused("bundle_malformed", `the bundle holds ${path} twice`);
  raw.paths.add(path);
  raw.files.push({ path, content });
  if (path === "policy.wasm" || path.endsWith("/policy.wasm")) raw.wasm = content;
  else if (path === ".manifest") raw.manifest = content;
  else if (path === "data.json" || path.endsWith("/data.json")) raw.dataFiles.push({ path, content });
}

function parseJson(content: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(content)) as unknown;
  } catch (cause) {
    throw new BundleRefused("bundle_unreadable", `bundle ${what} is not valid JSON`, { cause });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Places each data.json at the path of its folder (as OPA does), merging objects. */
function mergeData(files: RawBundle["dataFiles"]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const file of files.sort((a, b) => a.path.localeCompare(b.path))) {
    const value = parseJson(file.content, file.path);
    if (!isObject(value)) throw new BundleRefused("bundle_malformed", `bundle ${file.path} must hold a JSON object`);
    let node = root;
    for (const segment of file.path.split("/").slice(0, -1)) {
      const next = node[segment];
      node = isObject(next) ? next : (node[segment] = {});
    }
    Object.assign(node, value);
  }
  return root;
}

/** Path and length frame each file's bytes, so no two different file sets hash the same stream. */
function digestOf(files: RawBundle["files"]): string {
  const hash = createHash("sha256");
  for (const file of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    hash.update(`${file.path}\0${file.content.length}\0`).update(file.content);
  }
  return hash.digest("hex");
}

/**
 * A hash of the bundle file's bytes, or of every file in a bundle directory with its path (as `digest` frames
 * them), for a watcher to see a change without loading the bundle. By content, not size and time: a copy that kept
 * both (cp -p, rsync -a, a restored image) is still a change.
 */
export async function bundleFingerprint(source: string): Promise<string> {
  if ((await stat(source)).isDirectory()) return digestOf((await readDirectory(source)).files);
  return createHash("sha256").update(await readFile(source)).digest("hex");
}

/**
 * Loads a bundle from a `.tar.gz` written by `opa build -t wasm` (a file, or bytes downloaded), or from a directory
 * holding the same files (policy.wasm, data.json files, optional .manifest), and verifies its signature when
 * `options.verification` is given. Any problem is a BundleRefused (`policy_unavailable`) saying why.
 */
export async function readPolicyBundle(input: BundleInput, options: ReadOptions = {}): Promise<PolicyBundle> {
  const source = typeof input === "string" ? input : input.source;
  let raw: RawBundle;
  try {
    if (typeof input !== "string") raw = readArchive(input.archive);
    else raw = (await stat(input)).isDirectory() ? await readDirectory(input) : readArchive(await readFile(input));
  } catch (cause) {
    if (cause instanceof BundleRefused) throw cause;
    throw new BundleRefused("bundle_unreadable", `cannot read policy bundle ${source}: ${describeThrown(cause)}`, { cause });
  }
  if (options.verification) await verifyBundleSignature(raw.files, options.verification);
  if (!raw.wasm) throw new BundleRefused("bundle_malformed", `policy bundle ${source} has no policy.wasm`);
  const data = mergeData(raw.dataFiles);
  const manifest = raw.manifest ? parseJson(raw.manifest, ".manifest") : undefined;
  const declared = isObject(manifest) && typeof manifest.revision === "string" ? manifest.revision : "";
  const revision =
    declared ||
    createHash("sha256").update(raw.wasm).update(JSON.stringify(data)).digest("hex").slice(0, 16);
  return { wasm: raw.wasm, data, revision, digest: digestOf(raw.files), source };
}
