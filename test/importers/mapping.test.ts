import { beforeAll, describe, expect, it } from "vitest";
import { mapPlatformExport, permissionCatalog, type PermissionCatalog } from "../../src/importers/index.ts";
import { PolicyEngine } from "../../src/policy/policy-engine.ts";
import { fixtureFiles } from "./importer-test-support.ts";

/** The mapping alone (no store): every error names the file, the record and the field, and all are listed. */
describe("platform export mapping", () => {
  let catalog: PermissionCatalog;
  beforeAll(async () => {
    catalog = permissionCatalog((await PolicyEngine.start("bundle/bundle.tar.gz")).bundleData("b2b.catalog"));
  });

  const failure = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error as { code: string; details: { path: string; message: string }[] };
    }
    throw new Error("expected the mapping to fail");
  };
  const lines = (error: { details: { path: string; message: string }[] }) => error.details.map((d) => `${d.path}: ${d.message}`);

  it("commercetools: an unknown parent unit, a missing field and an unknown role are all listed with their paths", () => {
    const units = Array.from({ length: 13 }, (_, i) => ({
      key: `unit-${i}`,
      name: `Unit ${i}`,
      unitType: i === 0 ? "Company" : "Division",
      status: "Active",
      associateMode: i === 0 ? "Explicit" : "ExplicitAndFromParent",
      associates: [],
      topLevelUnit: { key: "unit-0" },
      ...(i === 0 ? {} : { parentUnit: { key: "unit-0" } }),
    }));
    units[12] = { ...units[12]!, parentUnit: { key: "acme-eu" } };
    delete (units[5] as Record<string, unknown>).status;
    (units[7] as Record<string, unknown>).associates = [
      { customer: { typeId: "customer", id: "c1" }, associateRoleAssignments: [{ associateRole: { key: "nope" }, inheritance: "Enabled" }] },
    ];
    const error = failure(() => mapPlatformExport("commercetools", [{ name: "business-units.json", content: { results: units } }], catalog));
    expect(error.code).toBe("invalid_request");
    expect(lines(error)).toEqual(
      expect.arrayContaining([
        'business-units.json[12].parentUnit.key: unknown business unit "acme-eu"',
        'business-units.json[7].associates[0].associateRoleAssignments[0].associateRole.key: unknown associate role "nope"',
      ]),
    );
    expect(error.details.map((d) => d.path)).toContain("business-units.json[5].status");
  });

  it("commercetools: a topLevelUnit that contradicts the parents, and a Division without a parent", () => {
    const error = failure(() =>
      mapPlatformExport(
        "commercetools",
        [
          {
            name: "export.json",
            content: {
              businessUnits: [
                { key: "a", name: "A", unitType: "Company", status: "Active", associateMode: "Explicit", topLevelUnit: { key: "a" } },
                { key: "b", name: "B", unitType: "Division", status: "Active", associateMode: "Explicit", topLevelUnit: { key: "x" }, parentUnit: { key: "a" } },
                { key: "c", name: "C", unitType: "Division", status: "Active", associateMode: "Explicit", topLevelUnit: { key: "a" } },
              ],
            },
          },
        ],
        catalog,
      ),
    );
    expect(lines(error)).toEqual([
      'export.json.businessUnits[1].topLevelUnit.key: is "x", but the parent units lead to "a"',
      "export.json.businessUnits[2].parentUnit: a Division has a parent unit",
    ]);
  });

  it("commercetools: an associate mixing Enabled and Disabled assignments is imported not inheritable, and the report says so", () => {
    const mapped = mapPlatformExport(
      "commercetools",
      [
        { name: "associate-roles.json", content: { results: [{ key: "r1", name: "R1", permissions: ["ViewMyOrders"] }, { key: "r2", name: "R2", permissions: [] }] } },
        {
          name: "business-units.json",
          content: {
            results: [
              {
                key: "a",
                name: "A",
                unitType: "Company",
                status: "Active",
                associateMode: "Explicit",
                topLevelUnit: { key: "a" },
                associates: [
                  {
                    customer: { id: "c1" },
                    associateRoleAssignments: [
                      { associateRole: { key: "r1" }, inheritance: "Enabled" },
                      { associateRole: { key: "r2" }, inheritance: "Disabled" },
                    ],
                  },
                ],
              },
            ],
          },
        },
      ],
      catalog,
    );
    expect(mapped.document.memberships).toEqual([{ user: "c1", org: "a", roles: ["commercetools:r1", "commercetools:r2"], inheritable: false }]);
    expect(mapped.notes.map((n) => n.path)).toContain("business-units.json[0].associates[0].associateRoleAssignments");
    // "My" orders is level 1; the baseline lets every associate browse and see its unit.
    expect(mapped.document.roles[0]!.permissions).toEqual(
      expect.arrayContaining([{ code: "order.view", level: 1 }, { code: "catalog.browse", level: 2 }]),
    );
  });

  it("a file whose resource cannot be told is an error naming it", () => {
    const error = failure(() => mapPlatformExport("elasticpath", [{ name: "dump.json", content: { data: [] } }], catalog));
    expect(error.details[0]!.path).toBe("dump.json");
  });

  it("bigcommerce: an unknown parent company, an unknown company role and a bad status are all listed", () => {
    const error = failure(() =>
      mapPlatformExport(
        "bigcommerce",
        [
          {
            name: "companies.json",
            content: {
              data: [
                { companyId: 1, companyName: "One", companyStatus: 1 },
                { companyId: 2, companyName: "Two", companyStatus: 7, parentCompany: { id: 1 } },
                { companyId: 3, companyName: "Three", companyStatus: 1, parentCompany: { id: 99 } },
              ],
            },
          },
          { name: "roles.json", content: { data: [{ id: 5, name: "Custom", roleType: 2, permissions: [] }] } },
          { name: "users.json", content: { data: [{ id: 10, role: 1, companyId: 1, companyRoleId: 6 }, { id: 11, role: 1, companyId: 4 }] } },
        ],
        catalog,
      ),
    );
    expect(lines(error)).toEqual(
      expect.arrayContaining([
        "companies.json[2].parentCompany.id: unknown company 99",
        "users.json[0].companyRoleId: unknown company role 6",
        "users.json[1].companyId: unknown company 4",
      ]),
    );
    expect(error.details.map((d) => d.path)).toContain("companies.json[1].companyStatus");
  });

  it("bigcommerce: the nested hierarchy alone gives the tree", () => {
    const [hierarchy] = fixtureFiles("bigcommerce").filter((f) => f.name === "companies-hierarchy.json");
    const mapped = mapPlatformExport("bigcommerce", [hierarchy!], catalog);
    expect(mapped.document.orgs.map((o) => [o.id, o.parent])).toEqual([
      ["101", null],
      ["102", "101"],
      ["104", "102"],
    ]);
  });

  it("elastic path: a membership naming no account and an unknown member", () => {
    const error = failure(() =>
      mapPlatformExport(
        "elasticpath",
        [
          { name: "accounts.json", content: { data: [{ id: "a1", type: "account", name: "A1" }] } },
          {
            name: "account-memberships.json",
            content: {
              data: [
                { id: "m1", type: "account_membership", relationships: { account_member: { data: { id: "ghost" } } }, links: { self: "/v2/accounts/a1/account-memberships/m1" } },
                { id: "m2", type: "account_membership", relationships: { account_member: { data: { id: "ghost" } } } },
              ],
            },
          },
        ],
        catalog,
      ),
    );
    expect(lines(error)).toEqual([
      'account-memberships.json[0].relationships.account_member.data.id: unknown account member "ghost"',
      "account-memberships.json[1].links.self: names no account (/v2/accounts/{id}/account-memberships/…), and there is no account relationship",
    ]);
  });

  it("emporix: a SUBSIDIARY without its parent and a group of an unknown legal entity", () => {
    const error = failure(() =>
      mapPlatformExport(
        "emporix",
        [
          { name: "legal-entities.json", content: [{ id: "le1", name: "LE1", type: "SUBSIDIARY" }] },
          { name: "groups.json", content: [{ id: "g1", code: "B2B_BUYER", b2b: { legalEntityId: "le9" } }] },
        ],
        catalog,
      ),
    );
    expect(lines(error)).toEqual([
      "legal-entities.json[0].parentId: a SUBSIDIARY has a parent company",
      'groups.json[0].b2b.legalEntityId: unknown legal entity "le9"',
    ]);
  });

  it("every fixture maps without errors", () => {
    for (const platform of ["commercetools", "bigcommerce", "elasticpath", "emporix"] as const) {
      const mapped = mapPlatformExport(platform, fixtureFiles(platform), catalog);
      expect(mapped.counts.orgs, platform).toBeGreaterThan(0);
    }
  });
});
