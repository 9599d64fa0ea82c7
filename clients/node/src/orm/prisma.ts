import { foldFilter, type OrderField, type OrderFilter } from "../order-filter.ts";

/** A Prisma `where` of a model with the two fields (their database columns are the model's `@map`s). */
export type PrismaOrderWhere<Org extends string, Buyer extends string> =
  | { AND: PrismaOrderWhere<Org, Buyer>[] }
  | { OR: PrismaOrderWhere<Org, Buyer>[] }
  | { [K in Org | Buyer]?: { in: string[] } | string };

/**
 * Order visibility as a Prisma `where` object: `prisma.order.findMany({ where: prismaWhere(filter, { org: "orgId",
 * buyer: "buyerId" }) })`. Fields are the model's field names; table names, aliases and mixed-case columns are
 * Prisma's `@@map`/`@map`. An empty `OR` matches nothing and an empty `AND` everything, as the tree means.
 */
export function prismaWhere<Org extends string, Buyer extends string>(
  filter: OrderFilter,
  fields: { org: Org; buyer: Buyer },
): PrismaOrderWhere<Org, Buyer> {
  const name = (field: OrderField): Org | Buyer => fields[field];
  return foldFilter<PrismaOrderWhere<Org, Buyer>>(filter, {
    and: (parts) => ({ AND: parts }),
    or: (parts) => ({ OR: parts }),
    in: (field, values) => ({ [name(field)]: { in: values } }) as PrismaOrderWhere<Org, Buyer>,
    eq: (field, value) => ({ [name(field)]: value }) as PrismaOrderWhere<Org, Buyer>,
  });
}
