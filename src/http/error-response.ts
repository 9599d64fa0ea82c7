import type { ErrorRequestHandler } from "express";
import { AuthzError, toAuthzError, type ErrorCode, type ErrorDetail } from "../errors.ts";

/** The one place error codes become HTTP statuses. */
export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unprocessable: 422,
  policy_unavailable: 503,
  graph_unavailable: 503,
  internal: 500,
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetail[] };
}

export function errorBody(error: AuthzError): ErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/** A request body that does not parse as JSON: the same answer from express and from the decision fast path. */
export function bodyNotJson(cause?: unknown): AuthzError {
  return new AuthzError("invalid_request", "request body is not valid JSON", {
    details: [{ path: "(body)", message: "not valid JSON" }],
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A request body over the limit (413). */
export function bodyTooLarge(limitBytes: number, cause?: unknown): AuthzError {
  return new AuthzError("payload_too_large", `request body is larger than ${limitBytes} bytes`, cause === undefined ? {} : { cause });
}

/** Turns body-parser failures (bad JSON, too large) and everything else into the API's error shape. */
export function errorHandler(onInternal: (error: AuthzError) => void): ErrorRequestHandler {
  return (thrown: unknown, _req, res, _next) => {
    const error = fromExpress(thrown);
    if (error.code === "internal" || httpStatusOf[error.code] >= 500) onInternal(error);
    res.status(httpStatusOf[error.code]).json(errorBody(error));
  };
}

function fromExpress(thrown: unknown): AuthzError {
  if (thrown instanceof AuthzError) return thrown;
  const type = (thrown as { type?: unknown } | null)?.type;
  if (type === "entity.too.large") return bodyTooLarge(Number((thrown as { limit?: unknown }).limit), thrown);
  if (type === "entity.parse.failed") return bodyNotJson(thrown);
  if (type === "encoding.unsupported" || type === "charset.unsupported") {
    return new AuthzError("invalid_request", "unsupported request encoding", { cause: thrown });
  }
  return toAuthzError(thrown, "internal", "internal error");
}
