/**
 * The one error every call of the client throws. `code` is stable: the sidecar's own code when it answered with an
 * error (`invalid_request`, `unauthenticated`, `policy_unavailable`, …), or one of the client's codes when no answer
 * could be had. A decision that throws was never an allow: callers deny on any AuthzClientError.
 */
export const clientErrorCodes = [
  "timeout", // no answer within timeoutMs (a write may or may not have been applied)
  "connection_failed", // refused, reset, DNS: the sidecar could not be reached
  "unavailable", // the sidecar answered 503 to every attempt (details name its code)
  "invalid_response", // an answer that is not the documented shape
] as const;

export type ClientErrorCode = (typeof clientErrorCodes)[number];

export interface AuthzErrorDetail {
  path: string;
  message: string;
}

export class AuthzClientError extends Error {
  override readonly name = "AuthzClientError";
  /** The sidecar's error code, or a ClientErrorCode. */
  readonly code: ClientErrorCode | (string & {});
  /** The HTTP status the sidecar answered, when it answered. */
  readonly status: number | undefined;
  readonly details: readonly AuthzErrorDetail[];
  /** How many requests were sent for this call (retries included). */
  readonly attempts: number;

  constructor(
    code: ClientErrorCode | (string & {}),
    message: string,
    options: { status?: number; details?: readonly AuthzErrorDetail[]; cause?: unknown; attempts?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.details = options.details ?? [];
    this.attempts = options.attempts ?? 1;
  }
}

export function isAuthzClientError(value: unknown): value is AuthzClientError {
  return value instanceof AuthzClientError;
}
