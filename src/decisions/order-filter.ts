import pg from "pg";
import { z } from "zod";
import type { OrderScope } from "../policy/entrypoints.ts";

/**
 * Order visibility as one filter tree, built once from the policy's scope (visible = org in scope.orgs, or org in
 * scope.ownOrgs and buyer is the subject), then compiled to each target a host needs: the filter AST itself (the
 * answer's `filter`), parameterized PostgreSQL (`sql`), and an in-memory predicate (`/v1/orders/filter`). A new
 * target (an ORM's where clause, OPA's compile formats) is one more compiler over the same tree, never another
 * reading of the scope.
 * `{and: []}` is always true and `{or: []}` always false, as in OPA's and ucast's conventions.
 */
export type OrderFilter =
  | { and: OrderFilter[] }
  | { or: OrderFilter[] }
  | { field: OrderField; op: "in"; value: string[] }
  | { field: OrderField; op: "eq"; value: string };

export type OrderField = "org" | "buyer";

/**
 * The tree as the answer's schema, so /openapi.json describes it exactly (a recursive `OrderFilter` component) and
 * the typed client's `OrderFilter` is generated from it rather than copied.
 */
export const orderFilterSchema: z.ZodType<OrderFilter> = z
  .lazy(() => {
    const field = z.enum(["org", "buyer"]);
    return z.union([
      z.strictObject({ and: z.array(orderFilterSchema) }),
      z.strictObject({ or: z.array(orderFilterSchema) }),
      z.strictObject({ field, op: z.literal("in"), value: z.array(z.string()) }),
      z.strictObject({ field, op: z.literal("eq"), value: z.string() }),
    ]);
  })
  .meta({
    id: "OrderFilter",
    description: '{"and": []} is always true, {"or": []} always false (OPA\'s and ucast\'s conventions); a leaf compares the order\'s org or buyer',
  });

export interface SqlCondition {
  where: string;
  params: (string | string[])[];
}

export type OrderColumns = Record<OrderField, string>;

/** What an order must carry for the in-memory predicate. */
export interface OrderFacts {
  org: string;
  buyer?: string | undefined;
}

export function orderFilter(scope: OrderScope, subjectId: string): OrderFilter {
  if (scope.kind === "always_allowed") return { and: [] };
  const any: OrderFilter[] = [];
  if (scope.scope.orgs.length > 0) any.push({ field: "org", op: "in", value: scope.scope.orgs });
  if (scope.scope.ownOrgs.length > 0) {
    any.push({
      and: [
        { field: "org", op: "in", value: scope.scope.ownOrgs },
        { field: "buyer", op: "eq", value: subjectId },
      ],
    });
  }
  return { or: any };
}

/** A SQL name a host may give (a column, a table or alias): an identifier of at most 63 characters, PostgreSQL's limit. */
export const IDENTIFIER = "[A-Za-z_][A-Za-z0-9_]{0,62}";
export const identifierPattern = new RegExp(`^${IDENTIFIER}$`);
/** A name optionally qualified once: `o.org_id`, `shop.orders`. */
export const qualifiedNamePattern = new RegExp(`^${IDENTIFIER}(\\.${IDENTIFIER})?$`);

/**
 * A column reference (`org_id`, `o.org_id`) as a quoted PostgreSQL identifier, part by part: unquoted, `user` or
 * `current_user` would be the session's role name, not a column, and `Org_Id` would fold to `org_id`.
 */
export function quoteColumn(column: string): string {
  return column
    .split(".")
    .map((part) => pg.escapeIdentifier(part))
    .join(".");
}

/** How a SQL target writes the leaves of the tree (a value as a parameter, or as a literal of its dialect). */
export interface SqlLeaves {
  in(column: string, values: readonly string[]): string;
  eq(column: string, value: string): string;
}

/**
 * The filter as SQL text over the leaves' writer: nested groups are parenthesized, and the top level too when
 * `wrapTop` (a condition a host appends more to must keep its precedence); `{and: []}` is TRUE, `{or: []}` FALSE.
 */
export function renderSql(filter: OrderFilter, columnOf: (field: OrderField) => string, leaves: SqlLeaves, wrapTop = false): string {
  const compile = (node: OrderFilter, nested: boolean): string => {
    if ("and" in node || "or" in node) {
      const [parts, joiner, empty] = "and" in node ? [node.and, " AND ", "TRUE"] : [node.or, " OR ", "FALSE"];
      if (parts.length === 0) return empty;
      const text = parts.map((part) => compile(part, true)).join(joiner);
      return nested && parts.length > 1 ? `(${text})` : text;
    }
    const column = columnOf(node.field);
    return node.op === "in" ? leaves.in(column, node.value) : leaves.eq(column, node.value);
  };
  return compile(filter, wrapTop);
}

/**
 * The filter as a PostgreSQL condition. Column names were validated as identifiers at the edge and are quoted
 * here; values only ever travel as parameters. Nested groups are parenthesized; the top level is not.
 */
export function filterToSql(filter: OrderFilter, columns: OrderColumns): SqlCondition {
  const params: (string | string[])[] = [];
  const where = renderSql(filter, (field) => quoteColumn(columns[field]), {
    in: (column, values) => `${column} = ANY($${params.push([...values])})`,
    eq: (column, value) => `${column} = $${params.push(value)}`,
  });
  return { where, params };
}

/**
 * The filter with its constant parts folded: `true` (always visible), `false` (never), or a tree without empty
 * groups, empty `in` lists or groups of one, so a target that has no constants (OPA's Compile API answers) need not
 * spell one.
 */
export function foldFilter(filter: OrderFilter): OrderFilter | boolean {
  if ("and" in filter || "or" in filter) {
    const isAnd = "and" in filter;
    const parts: OrderFilter[] = [];
    for (const part of isAnd ? filter.and : filter.or) {
      const folded = foldFilter(part);
      // false decides an and, true decides an or; the other constant drops out.
      if (folded === !isAnd) return !isAnd;
      if (folded !== isAnd) parts.push(folded as OrderFilter);
    }
    if (parts.length === 0) return isAnd;
    if (parts.length === 1) return parts[0] as OrderFilter;
    return isAnd ? { and: parts } : { or: parts };
  }
  return filter.op === "in" && filter.value.length === 0 ? false : filter;
}

/** The filter as a predicate over orders held in memory. */
export function filterToPredicate(filter: OrderFilter): (order: OrderFacts) => boolean {
  if ("and" in filter) {
    const parts = filter.and.map(filterToPredicate);
    return (order) => parts.every((part) => part(order));
  }
  if ("or" in filter) {
    const parts = filter.or.map(filterToPredicate);
    return (order) => parts.some((part) => part(order));
  }
  if (filter.op === "in") {
    const values = new Set(filter.value);
    return (order) => {
      const value = order[filter.field];
      return value !== undefined && values.has(value);
    };
  }
  const expected = filter.value;
  return (order) => order[filter.field] === expected;
}
