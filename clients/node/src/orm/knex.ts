import type { Knex } from "knex";
import { foldFilter, type OrderField, type OrderFilter } from "../order-filter.ts";
import { columnParts } from "./column-reference.ts";

type Where = (builder: Knex.QueryBuilder) => void;

/**
 * Order visibility as a Knex `where` callback: `.where(knexCondition(filter, columns))`. Columns are references
 * such as `org_id`, `o.org_id` or `o.OrgId`; knex quotes each part as an identifier, so mixed case survives.
 */
export function knexCondition(filter: OrderFilter, columns: Record<OrderField, string>): Where {
  // knex reads dots and " as " in an identifier itself; a part that holds either is refused rather than misread.
  const refs = {
    org: knexReference(columns.org),
    buyer: knexReference(columns.buyer),
  };
  return foldFilter<Where>(filter, {
    and: (parts) => (builder) => {
      if (parts.length === 0) builder.whereRaw("true");
      for (const part of parts) builder.where((inner) => part(inner));
    },
    or: (parts) => (builder) => {
      if (parts.length === 0) builder.whereRaw("false");
      for (const part of parts) builder.orWhere((inner) => part(inner));
    },
    in: (field, values) => (builder) => void builder.whereIn(refs[field], values),
    eq: (field, value) => (builder) => void builder.where(refs[field], value),
  });
}

function knexReference(reference: string): string {
  const parts = columnParts(reference);
  if (parts.some((part) => part.includes(".") || / as /i.test(part))) {
    throw new TypeError(`knex cannot reference a name with a dot or " as ": ${JSON.stringify(reference)}`);
  }
  return parts.join(".");
}
