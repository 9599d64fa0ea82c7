import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureDir } from "../importers/importer-test-support.ts";
import { dropDatabase, freshDatabase } from "../store/graph-test-support.ts";

const run = promisify(execFile);
// CI runs the suites against dist (TEST_TARGET=dist): the CLI too.
const cli = process.env.TEST_TARGET === "dist" ? ["dist/cli/graph-cli.js"] : ["--import", "tsx", "src/cli/graph-cli.ts"];

describe("npm run graph:import -- --from <platform>", () => {
  let url: string;
  let dir: string;
  const ct = (file: string) => join(fixtureDir("commercetools"), file);

  const graphCli = async (args: string[], env: Record<string, string> = {}) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [...cli, ...args], {
        env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: "silent", ...env },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
  const query = async <T extends pg.QueryResultRow>(sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  const counts = async () =>
    (await query<{ o: string; m: string; u: string; r: string }>(
      "select (select count(*) from orgs) o, (select count(*) from memberships) m, (select count(*) from users) u, (select count(*) from roles) r",
    ))[0];
  const ctFiles = ["business-units.json", "associate-roles.json", "customers.json"].map(ct);

  beforeAll(async () => {
    url = await freshDatabase("importer_cli");
    dir = mkdtempSync(join(tmpdir(), "importer-cli-"));
    expect((await graphCli(["migrate"])).code).toBe(0);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(url);
  });

  it("--dry-run prints the mapped document, its counts and the notes, and writes nothing", async () => {
    const { code, stdout, stderr } = await graphCli(["import", "--from", "commercetools", "--dry-run", ...ctFiles]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.counts).toEqual({ roles: 2, orgs: 4, users: 4, memberships: 4 });
    expect(out.document.orgs.map((o: { id: string }) => o.id)).toEqual(["acme", "acme-eu", "acme-fr", "acme-eu-closed"]);
    expect(stderr).toContain("business-units.json[0].stores: store assignments have no place in our model");
    expect(await counts()).toEqual({ o: "0", m: "0", u: "0", r: "0" });
  });

  it("refuses a broken export listing every error with file, record and field, and writes nothing", async () => {
    const units = JSON.parse(readFileSync(ct("business-units.json"), "utf8"));
    units.results[3].parentUnit.key = "acme-nowhere";
    delete units.results[1].name;
    const broken = join(dir, "business-units.json");
    writeFileSync(broken, JSON.stringify(units));
    const { code, stderr } = await graphCli(["import", "--from", "commercetools", broken, ct("associate-roles.json")]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${broken}[3].parentUnit.key: unknown business unit "acme-nowhere"`);
    expect(stderr).toContain(`${broken}[1].name: `);
    expect(await counts()).toEqual({ o: "0", m: "0", u: "0", r: "0" });
  });

  it("names the tree and its deepest record when the policy refuses the tree limits, and writes nothing", async () => {
    const { code, stderr } = await graphCli(["import", "--from", "commercetools", ...ctFiles], { MAX_TREE_DEPTH: "2" });
    expect(code).toBe(1);
    expect(stderr).toContain("depth_limit: tree acme would be 3 levels deep (org acme-eu-closed); a tree has at most 2 levels");
    expect(await counts()).toEqual({ o: "0", m: "0", u: "0", r: "0" });
  });

  it("imports in one transaction; a re-import of a changed export updates what changed; --prune removes what it no longer holds", async () => {
    const first = await graphCli(["import", "--from", "commercetools", ...ctFiles]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).counts).toMatchObject({ orgs: 4, memberships: 4 });
    expect(await counts()).toEqual({ o: "4", m: "4", u: "4", r: "2" });

    // Another tree the export never held, which --prune must leave alone.
    const other = join(dir, "other.json");
    writeFileSync(other, JSON.stringify({ orgs: [{ id: "globex", name: "Globex" }], users: [{ id: "g1" }], memberships: [{ user: "g1", org: "globex", roles: ["buyer"] }] }));
    expect((await graphCli(["import", other])).code).toBe(0);

    // The export changes: ACME France is gone, ACME Europe is renamed and Inactive, bob leaves ACME.
    const units = JSON.parse(readFileSync(ct("business-units.json"), "utf8"));
    units.results = units.results.filter((u: { key: string }) => u.key !== "acme-fr");
    units.results[1].name = "ACME Europe GmbH";
    units.results[1].status = "Inactive";
    units.results[0].associates = units.results[0].associates.filter((a: { customer: { id: string } }) => a.customer.id !== "c-bob");
    const changed = join(dir, "business-units.json");
    writeFileSync(changed, JSON.stringify(units));
    const again = [changed, ct("associate-roles.json"), ct("customers.json")];

    expect((await graphCli(["import", "--from", "commercetools", ...again])).code).toBe(0);
    expect(await query("select id, name, status from orgs where id = 'acme-eu'")).toEqual([{ id: "acme-eu", name: "ACME Europe GmbH", status: "inactive" }]);
    // Without --prune an upsert removes nothing.
    expect((await query("select id from orgs where id = 'acme-fr'")).length).toBe(1);
    expect((await query("select user_id from memberships where user_id = 'c-bob'")).length).toBe(1);

    const pruned = await graphCli(["import", "--from", "commercetools", "--prune", ...again]);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(JSON.parse(pruned.stdout).pruned).toEqual({ orgs: 1, memberships: 1 });
    expect(await query("select id from orgs order by id")).toEqual([{ id: "acme" }, { id: "acme-eu" }, { id: "acme-eu-closed" }, { id: "globex" }]);
    expect(await query("select user_id, org_id from memberships order by user_id")).toEqual([
      { user_id: "c-alice", org_id: "acme" },
      { user_id: "c-carol", org_id: "acme-eu" },
      { user_id: "c-dave", org_id: "acme-eu-closed" },
      { user_id: "g1", org_id: "globex" },
    ]);
  });

  it("each importer runs on its fixtures, side by side in one store", async () => {
    const expected = { commercetools: 4, bigcommerce: 5, elasticpath: 4, emporix: 2 };
    for (const [platform, orgs] of Object.entries(expected)) {
      const files = readdirSync(fixtureDir(platform)).map((f) => join(fixtureDir(platform), f));
      const { code, stdout, stderr } = await graphCli(["import", "--from", platform, ...files]);
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ platform, counts: { orgs } });
    }
  });

  it("refuses an unknown platform and a missing file with the usage", async () => {
    const unknown = await graphCli(["import", "--from", "magento", ct("business-units.json")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("--from needs one of commercetools, bigcommerce, elasticpath, emporix (not magento)");
    const none = await graphCli(["import", "--from", "commercetools"]);
    expect(none.code).toBe(2);
  });
});
