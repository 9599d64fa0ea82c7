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
  unsupported_media_type: 415,
  unprocessable: 422,
  policy_unavailable: 503,
  graph_unavailable: 503,
  internal: 500,
};

/** What a caller reads when the message itself may not be shown (an internal failure, a foreign error's text). */
const genericMessageOf: Record<ErrorCode, string> = {
  invalid_request: "invalid request",
  unauthenticated: "unauthenticated",
  forbidden: "forbidden",
  not_found: "not found",
  conflict: "conflict",
  payload_too_large: "request body too large",
  unsupported_media_type: "unsupported media type",
  unprocessable: "the request breaks a model rule",
  policy_unavailable: "policy unavailable: the decision fails closed",
  graph_unavailable: "org graph store unavailable: the decision fails closed",
  internal: "internal error",
};

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details: ErrorDetail[] };
}

/**
 * The caller's view of an error. A 5xx says only its code (the details are for the log: paths, driver texts,
 * bundle sources); a 4xx caused by a foreign error (a driver's constraint text) says its public part, or its code.
 */
export function errorBody(error: AuthzError): ErrorBody {
  if (httpStatusOf[error.code] >= 500) return { error: { code: error.code, message: genericMessageOf[error.code], details: [] } };
  const foreign = error.cause !== undefined && !(error.cause instanceof AuthzError);
  const message = error.publicMessage ?? (foreign ? genericMessageOf[error.code] : error.message);
  return { error: { code: error.code, message, details: error.details } };
}

/** A request body that does not parse as JSON: the same answer from express and from the decision fast path. */
export function bodyNotJson(): AuthzError {
  return new AuthzError("invalid_request", "request body is not valid JSON", {
    details: [{ path: "(body)", message: "not valid JSON" }],
  });
}

/** A request body over the limit (413). */
export function bodyTooLarge(limitBytes: number): AuthzError {
  return new AuthzError("payload_too_large", `request body is larger than ${limitBytes} bytes`, {
    details: [{ path: "(body)", message: `larger than ${limitBytes} bytes` }],
  });
}

/** Turns everything thrown in a route into the API's error shape; internal failures are logged with their cause. */
export function errorHandler(onInternal: (error: AuthzError) => void): ErrorRequestHandler {
  return (thrown: unknown, _req, res, _next) => {
    const error = fromExpress(thrown);
    if (httpStatusOf[error.code] >= 500) onInternal(error);
    if (shouldClose(error)) res.setHeader("connection", "close");
    res.status(httpStatusOf[error.code]).json(errorBody(error));
  };
}

/**
 * After a body refused for its size the rest of it may still be arriving, more than we mean to read: the connection
 * is closed rather than drained. (A body refused for its type is within the limit and drained instead.)
 */
export function shouldClose(error: AuthzError): boolean {
  return error.code === "payload_too_large";
}

function fromExpress(thrown: unknown): AuthzError {
  if (thrown instanceof AuthzError) return thrown;
  // The router's own refusals (an undecodable parameter it decoded itself) carry a 4xx status: the caller's fault.
  const status = (thrown as { status?: unknown } | null)?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return new AuthzError("invalid_request", "invalid request", { cause: thrown });
  }
  return toAuthzError(thrown, "internal", "internal error");
}
