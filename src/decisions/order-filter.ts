import pg from "pg";
import type { OrderScope } from "../policy/entrypoints.ts";

/**
 * Turns the policy's order scope into what a host applies to its own order store: a filter AST and a
 * parameterized SQL condition. Both say the same thing: visible = org in scope.orgs, or org in scope.ownOrgs
 * and buyer is the subject.
 */
export type OrderFilter =
  | { and: OrderFilter[] }
  | { or: OrderFilter[] }
  | { field: "org" | "buyer"; op: "in"; value: string[] }
  | { field: "org" | "buyer"; op: "eq"; value: string };

export interface SqlCondition {
  where: string;
  params: (string | string[])[];
}

export interface OrderColumns {
  org: string;
  buyer: string;
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

/**
 * The same condition as SQL for PostgreSQL. Column names were validated as identifiers at the edge and are quoted
 * here; values only ever travel as parameters.
 */
export function orderSql(scope: OrderScope, subjectId: string, columns: OrderColumns): SqlCondition {
  if (scope.kind === "always_allowed") return { where: "TRUE", params: [] };
  const org = quoteColumn(columns.org);
  const buyer = quoteColumn(columns.buyer);
  const parts: string[] = [];
  const params: (string | string[])[] = [];
  if (scope.scope.orgs.length > 0) {
    params.push(scope.scope.orgs);
    parts.push(`${org} = ANY($${params.length})`);
  }
  if (scope.scope.ownOrgs.length > 0) {
    params.push(scope.scope.ownOrgs);
    const orgParam = params.length;
    params.push(subjectId);
    parts.push(`(${org} = ANY($${orgParam}) AND ${buyer} = $${params.length})`);
  }
  return { where: parts.length > 0 ? parts.join(" OR ") : "FALSE", params };
}

/** Keeps the orders the scope makes visible, in their order; the same rule as orderSql. */
export function visibleOrders(
  scope: OrderScope,
  subjectId: string,
  orders: readonly { id: string; org: string; buyer?: string | undefined }[],
): string[] {
  if (scope.kind === "always_allowed") return orders.map((o) => o.id);
  const orgs = new Set(scope.scope.orgs);
  const ownOrgs = new Set(scope.scope.ownOrgs);
  return orders.filter((o) => orgs.has(o.org) || (ownOrgs.has(o.org) && o.buyer === subjectId)).map((o) => o.id);
}
