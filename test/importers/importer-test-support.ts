import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "vitest";
import { startTestSidecar, type TestSidecar } from "../http/sidecar-test-support.ts";

/** The fixtures of a platform: its documented example payloads, one file per resource type. */
export const fixtureDir = (platform: string) => fileURLToPath(new URL(`../fixtures/importers/${platform}/`, import.meta.url));

export function fixtureFiles(platform: string): { name: string; content: unknown }[] {
  const dir = fixtureDir(platform);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ name: f, content: JSON.parse(readFileSync(join(dir, f), "utf8")) as unknown }));
}

/** The fixtures as one body: every list under its file's name, as `POST /v1/import?from=` takes it. */
export function fixtureBody(platform: string, skip: string[] = []): Record<string, unknown> {
  return Object.fromEntries(fixtureFiles(platform).filter((f) => !skip.includes(f.name)).map((f) => [f.name.replace(/\.json$/, ""), f.content]));
}

export const STAFF = "staff:ops-1";

/** A sidecar with one staff member, the platform's fixtures imported over HTTP (`?from=`). */
export async function sidecarWithImport(suite: string, platform: string, skip: string[] = []): Promise<{ t: TestSidecar; imported: any }> {
  const t = await startTestSidecar(suite);
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  const imported = await t.call("POST", `/v1/import?from=${platform}`, { actor: STAFF, body: fixtureBody(platform, skip) });
  expect(imported.status, JSON.stringify(imported.body)).toBe(200);
  return { t, imported: imported.body };
}

interface CheckRequest {
  subject: string;
  org: string;
  action: string;
  resource?: Record<string, unknown>;
}

/** The decision of one check, read at the import's graph token. */
async function decideAt(
  t: TestSidecar,
  token: string,
  request: CheckRequest,
): Promise<string> {
  const res = await t.call("POST", "/v1/check", {
    body: {
      subject: { id: request.subject },
      org: request.org,
      action: request.action,
      ...(request.resource ? { resource: request.resource } : {}),
      consistency: { atLeast: token },
    },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.decision as string;
}

/**
 * Inside a describe: a sidecar with the platform's fixtures imported before its tests (`sidecarWithImport`) and
 * closed after them. `imported` is the import's answer; `decide` asks at its graph token.
 */
export function importedFixtures(
  suite: string,
  platform: string,
  skip: string[] = [],
): { readonly imported: any; readonly decide: (request: CheckRequest) => Promise<string> } {
  let t: TestSidecar | undefined;
  let imported: any;
  beforeAll(async () => {
    ({ t, imported } = await sidecarWithImport(suite, platform, skip));
  });
  afterAll(async () => {
    await t?.sidecar.close();
  });
  return {
    get imported() {
      return imported;
    },
    decide: (request) => {
      if (!t) throw new Error(`the ${platform} fixtures were not imported`);
      return decideAt(t, imported.graphToken as string, request);
    },
  };
}
