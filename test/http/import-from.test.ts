import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixtureBody, STAFF } from "../importers/importer-test-support.ts";
import { startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";

describe("POST /v1/import?from=<platform>", () => {
  let t: TestSidecar;

  beforeAll(async () => {
    t = await startTestSidecar("import_from");
    await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  });
  afterAll(async () => {
    await t?.sidecar.close();
  });

  it("an unknown platform is 400 naming query.from", async () => {
    const res = await t.call("POST", "/v1/import?from=magento", { actor: STAFF, body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: "query.from", message: expect.stringContaining("commercetools") }]);
  });

  it("a broken export is 400 listing every error by record and field, and nothing is written", async () => {
    const body = fixtureBody("emporix") as { "legal-entities": { parentId?: string; type?: string }[] };
    body["legal-entities"][1]!.parentId = "le-gone";
    delete body["legal-entities"][0]!.type;
    const res = await t.call("POST", "/v1/import?from=emporix", { actor: STAFF, body });
    expect(res.status).toBe(400);
    const paths = (res.body.error.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["body.legal-entities[0].type", "body.legal-entities[1].parentId"]));
    expect((await t.call("GET", "/v1/export?tree=le-abc", { actor: STAFF })).status).toBe(404);
  });

  it("is staff only, like the import", async () => {
    const res = await t.call("POST", "/v1/import?from=elasticpath", { actor: "user:someone", body: fixtureBody("elasticpath") });
    expect(res.status).toBe(403);
    expect((await t.call("GET", "/v1/export?tree=acc-holdings", { actor: STAFF })).status).toBe(404);
  });

  it("prototype names in platform values are plain unknown values: reported, never a 5xx", async () => {
    const ct = await t.call("POST", "/v1/import?from=commercetools", {
      actor: STAFF,
      body: {
        "business-units": [{ key: "proto-co", name: "P", unitType: "Company", status: "Active", associateMode: "Explicit", topLevelUnit: { key: "proto-co" } }],
        "associate-roles": [{ key: "r", name: "R", permissions: ["constructor", "toString", "__proto__"] }],
      },
    });
    expect(ct.status, JSON.stringify(ct.body)).toBe(200);
    expect((ct.body.notes as { path: string }[]).map((n) => n.path)).toEqual([
      "body.associate-roles[0].permissions[0]",
      "body.associate-roles[0].permissions[1]",
      "body.associate-roles[0].permissions[2]",
    ]);
    const bc = await t.call("POST", "/v1/import?from=bigcommerce", {
      actor: STAFF,
      body: {
        companies: [{ companyId: 900, companyName: "P", companyStatus: 1 }],
        roles: [{ id: 9, name: "P", roleType: 2, permissions: [{ code: "constructor", permissionLevel: 2 }, { code: "hasOwnProperty", permissionLevel: 2 }] }],
      },
    });
    expect(bc.status, JSON.stringify(bc.body)).toBe(200);
    const emp = await t.call("POST", "/v1/import?from=emporix", {
      actor: STAFF,
      body: {
        "legal-entities": [{ id: "proto-le", name: "P", type: "COMPANY" }],
        groups: [{ id: "g", code: "constructor", name: { en: "toString" }, b2b: { legalEntityId: "proto-le" } }],
      },
    });
    expect(emp.status, JSON.stringify(emp.body)).toBe(200);
    expect((emp.body.notes as { path: string }[]).map((n) => n.path)).toEqual(["body.groups[0]"]);
  });

  it("answers the counts, the token and the notes", async () => {
    const res = await t.call("POST", "/v1/import?from=bigcommerce", { actor: STAFF, body: fixtureBody("bigcommerce") });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ platform: "bigcommerce", counts: { orgs: 5, memberships: 5 }, graphToken: expect.any(String) });
    expect(res.body.notes.length).toBeGreaterThan(0);
  });
});
