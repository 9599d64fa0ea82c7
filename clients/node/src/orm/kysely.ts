import { sql, type Expression, type ExpressionBuilder, type SqlBool } from "kysely";
import { foldFilter, type OrderField, type OrderFilter } from "../order-filter.ts";
import { columnParts } from "./column-reference.ts";

/**
 * Order visibility as a Kysely expression-builder callback for `.where(...)`. Columns are references such as
 * `org_id`, `o.org_id` (a table alias) or `o.OrgId`; each part is quoted as an identifier, so mixed case survives.
 */
export function kyselyCondition(filter: OrderFilter, columns: Record<OrderField, string>) {
  const refs = { org: sql.id(...columnParts(columns.org)), buyer: sql.id(...columnParts(columns.buyer)) };
  // The references are checked once, when the callback is made, not per query.
  return <DB, TB extends keyof DB>(eb: ExpressionBuilder<DB, TB>): Expression<SqlBool> =>
    foldFilter<Expression<SqlBool>>(filter, {
      and: (parts) => (parts.length === 0 ? sql<SqlBool>`true` : eb.and(parts)),
      or: (parts) => (parts.length === 0 ? sql<SqlBool>`false` : eb.or(parts)),
      in: (field, values) => (values.length === 0 ? sql<SqlBool>`false` : eb(refs[field], "in", values)),
      eq: (field, value) => eb(refs[field], "=", value),
    });
}
