import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { policyTreeLimits } from "../../src/decisions/tree-limits.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { dropDatabase, freshDatabase, openGraph, smallDocument, tearDown, testConfig } from "./graph-test-support.ts";

describe("import and export", () => {
  let url: string;
  let copyUrl: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    url = await freshDatabase("import");
    copyUrl = await freshDatabase("import_copy");
    graph = await openGraph({ DATABASE_URL: url, MAX_TREE_DEPTH: "4", MAX_TREE_ORGS: "7" });
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url, copyUrl] });
  });

  const rowCounts = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<Record<string, string>>(
        `select (select count(*) from orgs) o, (select count(*) from users) u, (select count(*) from memberships) m,
                (select count(*) from roles) r, (select count(*) from staff) s`,
      );
      return rows[0];
    } finally {
      await client.end();
    }
  };

  it("imports with the API defaults and answers counts and a token", async () => {
    const result = await graph.importDocument(smallDocument);
    expect(result.counts).toEqual({ roles: 1, orgs: 8, users: 4, memberships: 5, staff: 1 });
    const { graph: g } = await graph.slice({ subject: { id: "alice" }, org: "FR", atLeast: result.graphToken });
    expect(g.orgs.FR).toMatchObject({ status: "active", inheritRoles: false });
    expect(g.orgs.EU).toMatchObject({ status: "active", inheritRoles: true });
    expect(g.memberships).toEqual([{ org: "ACME", roles: ["org_admin"], inheritable: true }]);
    expect(g.tree?.overLimit).toBe("approval");
    const role = (await graph.listRoles())[0];
    expect(role).toMatchObject({ checkout: "approval", assignableByBuyers: false });
  });

  it("lists every shape error with its path and writes nothing", async () => {
    const before = await rowCounts();
    const error = await graph
      .importDocument({
        orgs: [{ id: "N1", name: "" }, { id: "N2", name: "n", status: "gone" }],
        users: [{ id: "u1", email: "not-an-email" }],
        memberships: [{ user: "u1", org: "N1", roles: [] }],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "invalid_request" });
    const paths = (error as { details: { path: string }[] }).details.map((d) => d.path).sort();
    expect(paths).toEqual(["memberships.0.roles", "orgs.0.name", "orgs.1.status", "users.0.email"]);
    expect(await rowCounts()).toEqual(before);
  });

  it("lists every reference, duplicate, cycle and limit error with its path and writes nothing", async () => {
    const before = await rowCounts();
    const error = await graph
      .importDocument({
        users: [{ id: "new-user" }],
        orgs: [
          { id: "K1", name: "k1", parent: "MISSING" },
          { id: "C1", name: "c1", parent: "C2" },
          { id: "C2", name: "c2", parent: "C1" },
          { id: "ACME", name: "Acme moved under Berlin", parent: "BER" },
          { id: "K1", name: "again", parent: null },
        ],
        memberships: [
          { user: "ghost", org: "DE", roles: ["buyer"] },
          { user: "new-user", org: "NOWHERE", roles: ["buyer"] },
        ],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "unprocessable" });
    const details = (error as { details: { path: string; message: string }[] }).details;
    expect(details.map((d) => d.path).sort()).toEqual([
      "memberships.0.user",
      "memberships.1.org",
      "orgs.0.parent",
      "orgs.1.parent",
      "orgs.2.parent",
      "orgs.3.parent",
      "orgs.4.id",
    ]);
    expect(details.find((d) => d.path === "orgs.4.id")?.message).toBe("duplicate of orgs.0");
    expect(details.find((d) => d.path === "orgs.3.parent")?.message).toMatch(/cycle/);
    expect(await rowCounts()).toEqual(before);
  });
  const overLimits = {
    orgs: [
      { id: "DEEP", name: "level 5", parent: "BER" },
      { id: "US-1", name: "u1", parent: "US" },
      { id: "US-2", name: "u2", parent: "US" },
    ],
  };
  // The policy's reasons (policies/b2b/trees): the codes are the detail paths, as for org.create and org.reparent.
  const overLimitDetails = [
    { path: "size_limit", message: "tree ACME would have 9 orgs; a tree has at most 7 orgs" },
    { path: "depth_limit", message: "tree ACME would be 5 levels deep (org DEEP); a tree has at most 4 levels" },
  ];

  it("checks depth and size on the result, rolls back, and lists each", async () => {
    const before = await rowCounts();
    const error = await graph.importDocument(overLimits).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "unprocessable" });
    expect((error as { details: unknown }).details).toEqual(overLimitDetails);
    expect(await rowCounts()).toEqual(before);
  });

  it("lets the policy judge the trees the document leaves, with the same reasons as the store's own re-check", async () => {
    const before = await rowCounts();
    const engine = await PolicyEngine.start(testConfig({}).POLICY_BUNDLE);
    const judged: unknown[] = [];
    const policy = policyTreeLimits(engine, { MAX_TREE_DEPTH: 4, MAX_TREE_ORGS: 7 });
    const error = await graph
      .importDocument(overLimits, {
        judge: (trees) => {
          judged.push(...trees);
          return policy(trees);
        },
      })
      .catch((e: unknown) => e);
    expect(judged).toEqual([{ root: "ACME", size: 9, height: 5, deepest: "DEEP" }]);
    expect(error).toMatchObject({ code: "unprocessable" });
    expect((error as { details: unknown }).details).toEqual(overLimitDetails);
    expect(await rowCounts()).toEqual(before);
  });

  it("exports a tree in the import shape and round-trips through another store", async () => {
    const exported = await graph.exportTree("DE"); // any org of the tree
    expect(exported.orgs.map((o) => o.id)).toEqual(["ACME", "EU", "US", "DE", "FR", "BER"]);
    expect(exported.orgs[0]).toEqual({ id: "ACME", name: "Acme", parent: null, status: "active", inheritRoles: true, attributes: {}, overLimit: "approval" });
    expect(exported.users.map((u) => u.id)).toEqual(["alice", "bob", "carol"]);
    expect(exported.memberships.map((m) => `${m.user}@${m.org}`)).toEqual(["alice@ACME", "carol@DE", "bob@EU", "carol@US"]);
    expect(exported.roles.map((r) => r.key)).toEqual(["requester"]);

    const copy = await openGraph({ DATABASE_URL: copyUrl });
    try {
      await copy.importDocument(exported);
      expect(await copy.exportTree("ACME")).toEqual(exported);
      // Importing the same document again changes nothing.
      await copy.importDocument(exported);
      expect(await copy.exportTree("ACME")).toEqual(exported);
      await expect(copy.exportTree("GLOBEX")).rejects.toMatchObject({ code: "not_found" });
    } finally {
      await copy.close();
    }
  });

  it("round-trips the demo graph through export of the whole store", async () => {
    const demoUrl = await freshDatabase("import_demo");
    const demo = await openGraph({ DATABASE_URL: demoUrl });
    try {
      await demo.importDocument(demoDocument);
      const all = await demo.exportAll();
      expect(all.orgs).toHaveLength(demoDocument.orgs.length);
      expect(all.staff).toEqual(demoDocument.staff);
      expect(new Set(all.memberships.map((m) => JSON.stringify(m)))).toEqual(new Set(demoDocument.memberships.map((m) => JSON.stringify({ ...m }))));
      await demo.importDocument(all);
      expect(await demo.exportAll()).toEqual(all);
    } finally {
      await demo.close();
      await dropDatabase(demoUrl);
    }
  });
});
