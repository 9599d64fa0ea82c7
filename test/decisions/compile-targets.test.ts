import { describe, expect, it } from "vitest";
import { compileFilter, tableNames, targetsOf, type CompileTarget } from "../../src/decisions/compile-targets.ts";
import type { OrderFilter } from "../../src/decisions/order-filter.ts";

/** The order filter tree compiled to OPA's Compile API targets: the forms OPA answers, with mappings and literals. */
const postgres: CompileTarget = { target: "sql", dialect: "postgresql" };
const sqlite: CompileTarget = { target: "sql", dialect: "sqlite" };
const prisma: CompileTarget = { target: "ucast", dialect: "prisma" };
const minimal: CompileTarget = { target: "ucast", dialect: "minimal" };
const plain = { table: "orders", columns: { org: "org_id", buyer: "buyer_id" } };

const both: OrderFilter = {
  or: [
    { field: "org", op: "in", value: ["DE"] },
    { and: [{ field: "org", op: "in", value: ["FR", "IT"] }, { field: "buyer", op: "eq", value: "o'neil\\" }] },
  ],
};

describe("OPA's Compile API targets over the order filter", () => {
  it("answers always allowed as OPA does: the empty UCAST condition and the empty SQL string", () => {
    expect(compileFilter({ and: [] }, prisma, plain)).toEqual({ query: {} });
    expect(compileFilter({ and: [] }, postgres, plain)).toEqual({ query: "" });
    expect(compileFilter({ or: [{ and: [] }, { field: "org", op: "in", value: ["DE"] }] }, sqlite, plain)).toEqual({ query: "" });
  });

  it("answers always denied as OPA does: no result at all", () => {
    expect(compileFilter({ or: [] }, prisma, plain)).toBeUndefined();
    expect(compileFilter({ or: [] }, postgres, plain)).toBeUndefined();
    expect(compileFilter({ and: [{ field: "org", op: "in", value: [] }, { field: "buyer", op: "eq", value: "x" }] }, sqlite, plain)).toBeUndefined();
  });

  it("writes SQL with quoted identifiers, parenthesized groups and each dialect's literals", () => {
    expect(compileFilter(both, postgres, plain)).toEqual({
      query: `WHERE ("orders"."org_id" IN ('DE') OR ("orders"."org_id" IN ('FR', 'IT') AND "orders"."buyer_id" = E'o''neil\\\\'))`,
    });
    expect(compileFilter(both, sqlite, { table: "shop.o", columns: { org: "OrgId", buyer: "user" } })).toEqual({
      query: `WHERE ("shop"."o"."OrgId" IN ('DE') OR ("shop"."o"."OrgId" IN ('FR', 'IT') AND "shop"."o"."user" = 'o''neil\\'))`,
    });
  });

  it("writes UCAST as OPA does, with `in` spelled as equalities for UCAST minimal", () => {
    const own = { and: [{ field: "org", op: "in", value: ["FR", "IT"] }, { field: "buyer", op: "eq", value: "carol" }] } as OrderFilter;
    expect(compileFilter({ or: [own] }, prisma, plain)).toEqual({
      query: {
        type: "compound",
        operator: "and",
        value: [
          { type: "field", operator: "in", field: "orders.org_id", value: ["FR", "IT"] },
          { type: "field", operator: "eq", field: "orders.buyer_id", value: "carol" },
        ],
      },
    });
    expect(compileFilter(own, minimal, plain)?.query).toEqual({
      type: "compound",
      operator: "and",
      value: [
        {
          type: "compound",
          operator: "or",
          value: [
            { type: "field", operator: "eq", field: "orders.org_id", value: "FR" },
            { type: "field", operator: "eq", field: "orders.org_id", value: "IT" },
          ],
        },
        { type: "field", operator: "eq", field: "orders.buyer_id", value: "carol" },
      ],
    });
  });

  it("looks mappings up as OPA does: the dialect's, else the target's, else the mappings themselves", () => {
    const mappings = {
      postgresql: { orders: { $self: "o", org_id: "OrgId" } },
      ucast: { purchases: { buyer_id: "buyerId" } },
      orders: { $self: "plain_orders" },
    };
    expect(tableNames(mappings, postgres, "orders")).toEqual({ table: "o", columns: { org: "OrgId", buyer: "buyer_id" } });
    expect(tableNames(mappings, prisma, "purchases")).toEqual({ table: "purchases", columns: { org: "org_id", buyer: "buyerId" } });
    expect(tableNames(mappings, sqlite, "orders")).toEqual({ table: "plain_orders", columns: { org: "org_id", buyer: "buyer_id" } });
    expect(tableNames(undefined, sqlite, "orders")).toEqual(plain);
    expect(() => tableNames({ sql: { orders: { buyer_id: "b; --" } } }, sqlite, "orders")).toThrow(/options\.targetSQLTableMappings\.sql\.orders\.buyer_id/);
  });

  it("reads the targets from Accept as OPA's handler does", () => {
    expect(targetsOf("application/vnd.opa.ucast.prisma+json", undefined)).toEqual([prisma]);
    expect(targetsOf("application/vnd.opa.multitarget+json", ["sql+sqlite", "ucast+minimal"])).toEqual([sqlite, minimal]);
    expect(() => targetsOf("application/vnd.opa.ucast.prisma+json, application/json", undefined)).toThrow(/headers\.accept/);
  });
});
