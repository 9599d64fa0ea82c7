/**
 * Every failure the sidecar reports is an AuthzError with a stable `code` callers can switch on.
 * Unknown failures (thrown strings, plain objects, foreign errors) are turned into one here, never passed on raw.
 * HTTP statuses for these codes are assigned in one place: src/http/error-response.ts.
 */
export const errorCodes = [
  "invalid_request", // bad input: names the field in details
  "unauthenticated", // no or unknown API key
  "forbidden", // key lacks the scope, or the policy refused a management operation
  "not_found",
  "conflict", // e.g. a cycle, a concurrent write lost its race
  "payload_too_large",
  "unsupported_media_type", // a body declared as something other than JSON
  "unprocessable", // valid JSON that breaks a model rule (tree limits, role levels)
  "policy_unavailable", // no policy loaded, or evaluation failed: decisions fail closed
  "graph_unavailable", // org graph store unreachable or too stale: decisions fail closed
  "internal",
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorDetail {
  path: string;
  message: string;
}

export class AuthzError extends Error {
  override readonly name = "AuthzError";
  readonly code: ErrorCode;
  readonly details: ErrorDetail[];
  /** What a caller may read when `message` carries a foreign error's text (which goes to the log only). */
  readonly publicMessage: string | undefined;

  constructor(code: ErrorCode, message: string, options: { details?: ErrorDetail[]; cause?: unknown; publicMessage?: string } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? [];
    this.publicMessage = options.publicMessage;
  }
}

/** Describes anything thrown (opa-wasm throws strings and plain objects) as text. */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === "string") return thrown;
  if (thrown !== null && typeof thrown === "object") {
    const message = (thrown as { message?: unknown }).message;
    if (typeof message === "string") return message;
    try {
      return JSON.stringify(thrown);
    } catch {
      return Object.prototype.toString.call(thrown);
    }
  }
  return String(thrown);
}

/** Wraps anything thrown into an AuthzError, keeping an AuthzError as it is. */
export function toAuthzError(thrown: unknown, code: ErrorCode, context: string): AuthzError {
  if (thrown instanceof AuthzError) return thrown;
  return new AuthzError(code, `${context}: ${describeThrown(thrown)}`, { cause: thrown, publicMessage: context });
}
