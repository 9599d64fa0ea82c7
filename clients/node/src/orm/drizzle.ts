import { eq, inArray, sql, type Column, type SQL, type SQLWrapper } from "drizzle-orm";
import { foldFilter, type OrderField, type OrderFilter } from "../order-filter.ts";
import { columnParts } from "./column-reference.ts";

/**
 * Order visibility as a Drizzle `SQL` condition for `.where()`. Columns are Drizzle columns (of a table or of an
 * `alias()`), or references such as `o.OrgId`, quoted part by part so mixed case survives and a name is never SQL.
 */
export function drizzleCondition(filter: OrderFilter, columns: Record<OrderField, Column | SQLWrapper | string>): SQL {
  // References are checked when the condition is made, whether or not the tree compares them.
  const resolve = (column: Column | SQLWrapper | string): Column | SQLWrapper =>
    typeof column === "string" ? sql.join(columnParts(column).map((part) => sql.identifier(part)), sql.raw(".")) : column;
  const refs = { org: resolve(columns.org), buyer: resolve(columns.buyer) };
  const ref = (field: OrderField) => refs[field];
  return foldFilter<SQL>(filter, {
    // drizzle's and()/or() drop empty lists to undefined: the tree's empty groups are spelled out.
    and: (parts) => (parts.length === 0 ? sql`true` : sql`(${sql.join(parts, sql` and `)})`),
    or: (parts) => (parts.length === 0 ? sql`false` : sql`(${sql.join(parts, sql` or `)})`),
    in: (field, values) => inArray(ref(field), values),
    eq: (field, value) => eq(ref(field), value),
  });
}

