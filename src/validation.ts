import type { z } from "zod";
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

/** Parses `value` with `schema` or throws invalid_request naming each bad field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where?: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequest(result.error, where);
  return result.data;
}
