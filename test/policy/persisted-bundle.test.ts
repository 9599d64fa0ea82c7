import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultPolicyBundle } from "../../src/config.ts";
import { persistBundle, readPersistedBundle } from "../../src/policy/persisted-bundle.ts";

/** The last good remote bundle on disk (persisted-bundle.ts): atomic, per source, its ETag only when it is its own. */
let dir: string;
let archive: Buffer;
const source = "https://bundles.example/b2b.tar.gz?sig=secret";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "b2b-authz-persist-"));
  archive = await readFile(defaultPolicyBundle);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the persisted last good bundle", () => {
  it("reads back what was written, with its ETag, and leaves no temp file", async () => {
    const at = join(dir, "a");
    await persistBundle(at, { archive, etag: '"v1"', source });
    expect(await readPersistedBundle(at, source)).toMatchObject({ archive, etag: '"v1"' });
    expect((await readdir(at)).sort()).toEqual(["last-good-bundle.json", "last-good-bundle.tar.gz"]);
    // The source is kept as a hash: a URL's credentials never reach the disk.
    expect(await readFile(join(at, "last-good-bundle.json"), "utf8")).not.toContain("secret");
  });

  it("is not served for another source", async () => {
    const at = join(dir, "b");
    await persistBundle(at, { archive, etag: '"v1"', source });
    expect(await readPersistedBundle(at, "https://elsewhere.example/b2b.tar.gz")).toBeNull();
    expect(await readPersistedBundle(join(dir, "none"), source)).toBeNull();
  });

  it("forgets the ETag when the archive is not the one its metadata describes (a crash between the two writes)", async () => {
    const at = join(dir, "c");
    await persistBundle(at, { archive, etag: '"v1"', source });
    await writeFile(join(at, "last-good-bundle.tar.gz"), Buffer.concat([archive, Buffer.from([0])]));
    expect(await readPersistedBundle(at, source)).toMatchObject({ etag: null });
  });
});
