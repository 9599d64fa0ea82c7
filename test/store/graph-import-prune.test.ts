import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OrgGraph } from "../../src/graph/org-graph.ts";
import { smallDocument, smallGraph, tearDown } from "./graph-test-support.ts";

describe("import with prune", () => {
  let url: string;
  let graph: OrgGraph;

  beforeAll(async () => {
    ({ url, graph } = await smallGraph("import_prune"));
  });
  afterAll(async () => {
    await tearDown({ graphs: [graph], databases: [url] });
  });

  it("leaves a tree alone when the document holds only part of it", async () => {
    const partial = { orgs: [{ id: "FR", name: "Acme FR", parent: "EU", inheritRoles: false }] };
    const result = await graph.importDocument(partial, { prune: true });
    expect(result.pruned).toEqual({ orgs: 0, memberships: 0 });
    expect((await graph.getTree("ACME")).size).toBe(6);
  });

  it("removes, in a tree whose root the document holds, the orgs and memberships it no longer holds; a cached slice sees it", async () => {
    const before = await graph.slice({ subject: { id: "carol" }, org: "DE" });
    expect(before.graph.memberships.map((m) => m.org)).toContain("DE");
    const acme = smallDocument.orgs.filter((o) => !["GLOBEX", "GX-OPS", "BER"].includes(o.id));
    const memberships = smallDocument.memberships.filter((m) => m.org !== "GLOBEX" && !(m.user === "carol" && m.org === "DE"));
    const result = await graph.importDocument({ orgs: acme, memberships }, { prune: true });
    expect(result.pruned).toEqual({ orgs: 1, memberships: 1 });
    expect((await graph.getTree("ACME")).size).toBe(5);
    // GLOBEX is another tree: untouched.
    expect((await graph.getTree("GLOBEX")).size).toBe(2);
    const after = await graph.slice({ subject: { id: "carol" }, org: "DE", atLeast: result.graphToken });
    expect(after.graph.memberships.map((m) => m.org)).not.toContain("DE");
  });
});
