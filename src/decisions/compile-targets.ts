import pg from "pg";
import { z } from "zod";
import { fieldError, parseOrThrow } from "../validation.ts";
import {
  foldFilter,
  IDENTIFIER,
  identifierPattern,
  qualifiedNamePattern,
  quoteColumn,
  renderSql,
  type OrderField,
  type OrderFilter,
  type SqlLeaves,
} from "./order-filter.ts";

/**
 * The order filter tree (order-filter.ts) compiled to the targets of OPA's extended Compile API
 * (`POST /v1/compile/{path}`): UCAST trees for the ORMs' interpreters and SQL WHERE clauses per dialect, with OPA's
 * table and column mappings. One more set of compilers over the same tree, never another reading of the scope.
 */

export const ucastDialects = ["all", "minimal", "prisma", "linq"] as const;
/**
 * MySQL and SQL Server are left out on purpose: their default collations compare case- and accent-insensitively,
 * so `org_id IN ('acme-de')` would also select the orders of an org `ACME-DE` (README, Data filters).
 */
export const sqlDialects = ["postgresql", "sqlite"] as const;

export type CompileTarget = { target: "ucast"; dialect: (typeof ucastDialects)[number] } | { target: "sql"; dialect: (typeof sqlDialects)[number] };

const targets: CompileTarget[] = [
  ...ucastDialects.map((dialect) => ({ target: "ucast" as const, dialect })),
  ...sqlDialects.map((dialect) => ({ target: "sql" as const, dialect })),
];

/** A target as OPA's `options.targetDialects` names it (`ucast+prisma`, `sql+postgresql`). */
export const targetDialectName = (t: CompileTarget) => `${t.target}+${t.dialect}`;
export const targetDialectNames = targets.map(targetDialectName) as [string, ...string[]];

/** The media type that asks for one target (`application/vnd.opa.ucast.prisma+json`), or for several. */
const mediaTypeOf = (t: CompileTarget) => `application/vnd.opa.${t.target}.${t.dialect}+json`;
export const MULTITARGET_MEDIA_TYPE = "application/vnd.opa.multitarget+json";
export const compileMediaTypes = [MULTITARGET_MEDIA_TYPE, ...targets.map(mediaTypeOf)];

/**
 * The targets an `Accept` header asks for, as OPA's handler reads it: exactly one known media type; the
 * multitarget type takes its targets from `options.targetDialects`.
 */
export function targetsOf(accept: string | undefined, targetDialects: readonly string[] | undefined): CompileTarget[] {
  const media = accept?.trim() ?? "";
  if (media === MULTITARGET_MEDIA_TYPE) {
    if (!targetDialects || targetDialects.length === 0) {
      throw fieldError("options.targetDialects", `required with Accept: ${MULTITARGET_MEDIA_TYPE}`);
    }
    return targetDialects.map((name) => targets.find((t) => targetDialectName(t) === name) as CompileTarget);
  }
  const target = targets.find((t) => mediaTypeOf(t) === media);
  if (!target) throw fieldError("headers.accept", `must be one of: ${compileMediaTypes.join(", ")}`);
  return [target];
}

/** The columns the unknown `input.<table>` has in the filter, as a policy names them (`input.orders.org_id`). */
export const unknownColumns: Readonly<Record<OrderField, string>> = { org: "org_id", buyer: "buyer_id" };
export const DEFAULT_UNKNOWN = "input.orders";
export const unknownPattern = new RegExp(`^input\\.(${IDENTIFIER})$`);

/** Where a target's filter lands: the table (or alias) and the column of each field, after the mappings. */
export interface TableNames {
  table: string;
  columns: Record<OrderField, string>;
}

/** A mapped name is an identifier; the table may be schema-qualified. */
const columnName = z.string().regex(identifierPattern, "must be an identifier like org_id or OrgId");
const tableName = z.string().regex(qualifiedNamePattern, "must be a table or alias like orders, o or shop.orders");
const tableMappingSchema = z.looseObject({
  $self: tableName.optional(),
  ...Object.fromEntries(Object.values(unknownColumns).map((column) => [column, columnName.optional()])),
});

/**
 * The names a target's filter uses, from `options.targetSQLTableMappings` looked up as OPA does: the dialect's
 * entry (`postgresql`, `prisma`), else the target's (`sql`, `ucast`), else the mappings themselves; in it, the
 * unknown's table entry renames the table (`$self`) and its columns. Names that are not identifiers are a 400
 * naming the field.
 */
export function tableNames(mappings: Record<string, unknown> | undefined, target: CompileTarget, table: string): TableNames {
  const where = ["options.targetSQLTableMappings"];
  let scope: unknown = mappings;
  for (const key of [target.dialect, target.target]) {
    if (mappings?.[key] !== undefined && mappings[key] !== null) {
      scope = mappings[key];
      where.push(key);
      break;
    }
  }
  const scoped = parseOrThrow(z.record(z.string(), z.unknown()).optional(), scope, where.join("."));
  const entry = parseOrThrow(tableMappingSchema.optional(), scoped?.[table], [...where, table].join("."));
  const columns = Object.fromEntries(
    (Object.entries(unknownColumns) as [OrderField, string][]).map(([field, column]) => [field, (entry?.[column] as string | undefined) ?? column]),
  ) as Record<OrderField, string>;
  return { table: entry?.$self ?? table, columns };
}

/** A UCAST condition as OPA's Compile API writes it (`type`, `operator`, `field`, `value`). */
export type UcastNode =
  | { type: "field"; operator: "eq"; field: string; value: string }
  | { type: "field"; operator: "in"; field: string; value: string[] }
  | { type: "compound"; operator: "and" | "or"; value: UcastNode[] };

function toUcast(filter: OrderFilter, fieldOf: (field: OrderField) => string, inAsEq: boolean): UcastNode {
  if ("and" in filter) return { type: "compound", operator: "and", value: filter.and.map((p) => toUcast(p, fieldOf, inAsEq)) };
  if ("or" in filter) return { type: "compound", operator: "or", value: filter.or.map((p) => toUcast(p, fieldOf, inAsEq)) };
  const field = fieldOf(filter.field);
  if (filter.op === "eq") return { type: "field", operator: "eq", field, value: filter.value };
  if (!inAsEq) return { type: "field", operator: "in", field, value: filter.value };
  // UCAST minimal has no `in`: a disjunction of equalities says the same.
  const equalities = filter.value.map((value): UcastNode => ({ type: "field", operator: "eq", field, value }));
  return equalities.length === 1 ? (equalities[0] as UcastNode) : { type: "compound", operator: "or", value: equalities };
}

/** String literals per dialect; values are ids, which hold no NUL (validation.ts), so quoting is all they need. */
const literals: Record<(typeof sqlDialects)[number], (value: string) => string> = {
  // E'...' with backslashes doubled when there are any: right whatever standard_conforming_strings says.
  postgresql: (value) => pg.escapeLiteral(value).trimStart(),
  // SQLite has no backslash escapes: doubling the quote is the whole rule.
  sqlite: (value) => `'${value.replaceAll("'", "''")}'`,
};

function literalLeaves(literal: (value: string) => string): SqlLeaves {
  return {
    in: (column, values) => `${column} IN (${values.map(literal).join(", ")})`,
    eq: (column, value) => `${column} = ${literal(value)}`,
  };
}

/** One target's answer: `{query}`, or undefined when no order is ever visible (OPA leaves the result out then). */
export type CompiledFilter = { query: UcastNode | Record<string, never> | string } | undefined;

/**
 * The filter for one target, as OPA answers: never visible is no result; always visible is the empty UCAST
 * condition `{}` or the empty SQL string `""`; otherwise a UCAST tree, or `WHERE (...)` with the values inline as
 * the dialect's literals and every identifier quoted (case kept; `user` is a column, not CURRENT_USER).
 */
export function compileFilter(filter: OrderFilter, target: CompileTarget, names: TableNames): CompiledFilter {
  const folded = foldFilter(filter);
  if (folded === false) return undefined;
  if (target.target === "ucast") {
    if (folded === true) return { query: {} };
    return { query: toUcast(folded, (field) => `${names.table}.${names.columns[field]}`, target.dialect === "minimal") };
  }
  if (folded === true) return { query: "" };
  const columnOf = (field: OrderField) => quoteColumn(`${names.table}.${names.columns[field]}`);
  return { query: `WHERE ${renderSql(folded, columnOf, literalLeaves(literals[target.dialect]), true)}` };
}
