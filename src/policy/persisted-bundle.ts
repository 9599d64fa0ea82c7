import { createHash, randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

/**
 * The last good bundle of a remote source, kept on disk so a sidecar restarted while the bundle server is down
 * starts serving it. Only a bundle the engine activated (signature verified, self-check passed) is written, and
 * it is verified again when read back: the disk is not trusted more than the network.
 */
const ARCHIVE = "last-good-bundle.tar.gz";
const META = "last-good-bundle.json";

/** The source is kept as its hash: a URL may carry credentials, and only equality matters. */
const metaSchema = z.object({ sourceSha256: z.string(), etag: z.string().nullable(), sha256: z.string(), savedAt: z.string() });

export interface PersistedBundle {
  archive: Uint8Array;
  /** The ETag it was served with, when the metadata is the archive's own (else null: the next poll downloads). */
  etag: string | null;
  savedAt: string | null;
}

const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** Temp file, fsync, rename: a reader sees the old file or the new one, never a half-written one. */
async function writeAtomically(path: string, content: Uint8Array | string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const handle = await open(temp, "w", 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function persistBundle(dir: string, bundle: { archive: Uint8Array; etag: string | null; source: string }): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // The archive first: metadata naming another archive's hash only costs a download, never a wrong ETag.
  await writeAtomically(join(dir, ARCHIVE), bundle.archive);
  const meta = { sourceSha256: sha256(bundle.source), etag: bundle.etag, sha256: sha256(bundle.archive), savedAt: new Date().toISOString() };
  await writeAtomically(join(dir, META), `${JSON.stringify(meta)}\n`);
}

/**
 * The bundle persisted for `source`, or null when there is none, or it was persisted for another source (a
 * bundle server moved to another URL is not trusted to serve the old one's bundle).
 */
export async function readPersistedBundle(dir: string, source: string): Promise<PersistedBundle | null> {
  let archive: Uint8Array;
  let metaText: string;
  try {
    [archive, metaText] = await Promise.all([readFile(join(dir, ARCHIVE)), readFile(join(dir, META), "utf8")]);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  let meta: z.infer<typeof metaSchema> | undefined;
  try {
    meta = metaSchema.parse(JSON.parse(metaText));
  } catch {
    // Written atomically, so only a hand-edited file gets here.
  }
  // Without readable metadata the archive's source is unknown: not served.
  if (!meta || meta.sourceSha256 !== sha256(source)) return null;
  const own = meta.sha256 === sha256(archive);
  return { archive, etag: own ? meta.etag : null, savedAt: own ? meta.savedAt : null };
}
