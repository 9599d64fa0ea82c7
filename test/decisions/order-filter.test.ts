import { describe, expect, it } from "vitest";
import { filterToPredicate, filterToSql, orderFilter } from "../../src/decisions/order-filter.ts";
import type { OrderScope } from "../../src/policy/entrypoints.ts";

const columns = { org: "o.org_id", buyer: "buyer_id" };
const orders = [
  { id: "a", org: "DE", buyer: "carol" },
  { id: "b", org: "DE", buyer: "dave" },
  { id: "c", org: "FR", buyer: "carol" },
  { id: "d", org: "FR", buyer: "dave" },
  { id: "e", org: "US" },
];

function scope(kind: OrderScope["kind"], orgs: string[], ownOrgs: string[]): OrderScope {
  return { kind, scope: { orgs, ownOrgs }, reasons: [] };
}

describe("one order filter tree, compiled to SQL and to a predicate", () => {
  it.each([
    ["always allowed", scope("always_allowed", [], []), { and: [] }, { where: "TRUE", params: [] }, ["a", "b", "c", "d", "e"]],
    ["always denied", scope("always_denied", [], []), { or: [] }, { where: "FALSE", params: [] }, []],
    [
      "whole orgs",
      scope("conditional", ["DE"], []),
      { or: [{ field: "org", op: "in", value: ["DE"] }] },
      { where: '"o"."org_id" = ANY($1)', params: [["DE"]] },
      ["a", "b"],
    ],
    [
      "own orders only",
      scope("conditional", [], ["FR"]),
      { or: [{ and: [{ field: "org", op: "in", value: ["FR"] }, { field: "buyer", op: "eq", value: "carol" }] }] },
      { where: '("o"."org_id" = ANY($1) AND "buyer_id" = $2)', params: [["FR"], "carol"] },
      ["c"],
    ],
    [
      "both",
      scope("conditional", ["DE"], ["FR"]),
      {
        or: [
          { field: "org", op: "in", value: ["DE"] },
          { and: [{ field: "org", op: "in", value: ["FR"] }, { field: "buyer", op: "eq", value: "carol" }] },
        ],
      },
      { where: '"o"."org_id" = ANY($1) OR ("o"."org_id" = ANY($2) AND "buyer_id" = $3)', params: [["DE"], ["FR"], "carol"] },
      ["a", "b", "c"],
    ],
  ])("%s", (_name, orderScope, filter, sql, visible) => {
    const tree = orderFilter(orderScope, "carol");
    expect(tree).toEqual(filter);
    expect(filterToSql(tree, columns)).toEqual(sql);
    expect(orders.filter(filterToPredicate(tree)).map((o) => o.id)).toEqual(visible);
  });
});
