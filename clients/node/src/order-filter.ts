import { z } from "zod";
import type { components } from "./api.generated.ts";

/**
 * The sidecar's order-visibility tree (`filter` of POST /v1/orders/query), as its OpenAPI document declares it:
 * `{and: []}` is always true and `{or: []}` always false, as in OPA's and ucast's conventions. Every ORM adapter
 * compiles this one tree.
 */
export type OrderFilter = components["schemas"]["OrderFilter"];

export type OrderField = Extract<OrderFilter, { field: unknown }>["field"];

export const orderFields = ["org", "buyer"] as const satisfies readonly OrderField[];

/** An answer is checked against the tree before anything compiles it; the annotation keeps the check and the type one. */
export const orderFilterSchema: z.ZodType<OrderFilter> = z.lazy(() =>
  z.union([
    z.strictObject({ and: z.array(orderFilterSchema) }),
    z.strictObject({ or: z.array(orderFilterSchema) }),
    z.strictObject({ field: z.enum(orderFields), op: z.literal("in"), value: z.array(z.string()) }),
    z.strictObject({ field: z.enum(orderFields), op: z.literal("eq"), value: z.string() }),
  ]),
);

/** Walks the tree once; each adapter says what a group and a comparison become in its ORM. */
export function foldFilter<T>(
  filter: OrderFilter,
  build: { and(parts: T[]): T; or(parts: T[]): T; in(field: OrderField, values: string[]): T; eq(field: OrderField, value: string): T },
): T {
  if ("and" in filter) return build.and(filter.and.map((part) => foldFilter(part, build)));
  if ("or" in filter) return build.or(filter.or.map((part) => foldFilter(part, build)));
  return filter.op === "in" ? build.in(filter.field, filter.value) : build.eq(filter.field, filter.value);
}
