import { z } from "zod";
import { AuthzError } from "./errors.ts";

/** A zod failure as invalid_request, one detail per bad field, paths prefixed with where the value came from. */
export function invalidRequest(error: z.ZodError, where?: string): AuthzError {
  const details = error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));
  const summary = details.map((d) => `${d.path || "(body)"}: ${d.message}`).join("; ");
  return new AuthzError("invalid_request", `invalid request: ${summary}`, { details });
}

/** invalid_request for one field, in the shape `invalidRequest` gives a zod failure. */
export function fieldError(path: string, message: string): AuthzError {
  return new AuthzError("invalid_request", `invalid request: ${path}: ${message}`, { details: [{ path, message }] });
}

/** Parses `value` with `schema` or throws invalid_request naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequest(result.error, where);
  return result.data;
}

/**
 * Why a string cannot be stored or evaluated, or undefined: PostgreSQL text cannot hold NUL, and a lone UTF-16
 * surrogate has no UTF-8 form for the Wasm's JSON or the database.
 */
export function textProblem(value: string): string | undefined {
  if (value.includes("\u0000")) return "must not contain NUL characters";
  // With the u flag a surrogate pair is one code point, so this matches only a surrogate standing alone.
  if (/[\uD800-\uDFFF]/u.test(value)) return "must not contain lone UTF-16 surrogates";
  return undefined;
}

/** A string every store and the policy can hold (see textProblem), for ids and names from any source. */
export function text() {
  return z.string().check((ctx) => {
    const problem = textProblem(ctx.value);
    if (problem) ctx.issues.push({ code: "custom", message: problem, input: ctx.value });
  });
}

/** Names that reach or shadow an object's prototype when a plain object serves as a map keyed by them. */
const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/**
 * An id or key of the org graph (org, user, staff, role): storable text, and never a prototype name, so code that
 * keeps a slice's orgs or roles in a plain object cannot have its prototype reached or shadowed by one.
 */
export function key() {
  return text().refine((value) => !PROTOTYPE_NAMES.has(value), { message: "__proto__, constructor and prototype are not accepted as ids or keys" });
}
