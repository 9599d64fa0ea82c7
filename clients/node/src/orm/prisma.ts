import { foldFilter, type OrderField, type OrderFilter } from "../order-filter.ts";

/** A Prisma `where` of a model with the two fields (their database columns are the model's `@map`s). */
export type PrismaOrderWhere<Org extends string, Buyer extends string> =
  | { AND: PrismaOrderWhere<Org, Buyer>[] }
  | { OR: PrismaOrderWhere<Org, Buyer>[] }
  | { [K in Org | Buyer]?: { in: string[] } | { notIn: string[] } | string };

/**
 * Order visibility as a Prisma `where` object: `prisma.order.findMany({ where: prismaWhere(filter, { org: "orgId",
 * buyer: "buyerId" }) })`. Fields are the model's field names; table names, aliases and mixed-case columns are
 * Prisma's `@@map`/`@map`.
 */
export function prismaWhere<Org extends string, Buyer extends string>(
  filter: OrderFilter,
  fields: { org: Org; buyer: Buyer },
): PrismaOrderWhere<Org, Buyer> {
  type Leaf = { in: string[] } | { notIn: string[] } | string;
  const leaf = (field: OrderField, condition: Leaf) => ({ [fields[field]]: condition }) as { [K in Org | Buyer]?: Leaf };
  // Prisma reads an empty group by where it stands: `OR: []` is false at the top of a where but dropped (true)
  // inside an AND, and `AND: []` is false inside an OR, so always denied could match everything. An empty `in`
  // (false) and an empty `notIn` (true) mean the same wherever they stand.
  const always = (value: boolean) => leaf("org", value ? { notIn: [] } : { in: [] });
  return foldFilter<PrismaOrderWhere<Org, Buyer>>(filter, {
    and: (parts) => (parts.length === 0 ? always(true) : { AND: parts }),
    or: (parts) => (parts.length === 0 ? always(false) : { OR: parts }),
    in: (field, values) => leaf(field, { in: values }),
    eq: (field, value) => leaf(field, value),
  });
}
