import { AuthzError } from "../errors.ts";

/**
 * Why a bundle was refused: a stable code for the log, `/v1/status` and metrics, beside the AuthzError code
 * (`policy_unavailable`) callers see. One list, so status, docs and tests agree on the names.
 */
export const bundleRefusalReasons = [
  "bundle_unreadable", // not a gzip/tar archive or directory, or a file is not valid JSON
  "bundle_malformed", // a path twice, no policy.wasm, data that is not an object, too large
  "bundle_fetch_failed", // the bundle server did not answer 200/304 (or not in time)
  "bundle_unsigned", // verification keys are configured and the bundle has no .signatures.json
  "bundle_signature_malformed", // .signatures.json is not {"signatures": [one JWT]}, or its payload is not OPA's shape
  "bundle_key_id_missing", // neither the configuration, the JWT header (kid) nor its payload (keyid) names a key
  "bundle_key_unknown", // the named key is not configured
  "bundle_signature_invalid", // the JWT does not verify with the named key and its algorithm
  "bundle_scope_mismatch", // the signed scope is not the configured one
  "bundle_file_unsigned", // a file of the bundle is not listed in the signature
  "bundle_file_missing", // a file listed in the signature is not in the bundle
  "bundle_digest_mismatch", // a file's content does not have the signed digest
  "bundle_hash_algorithm_unsupported", // a file is signed with a hash we do not accept (MD5, SHA-1, unknown)
  "bundle_self_check_failed", // loaded, but an entrypoint is missing, misshapen or allowed an unknown subject
] as const;

export type BundleRefusalReason = (typeof bundleRefusalReasons)[number];

/** A refused bundle: to callers `policy_unavailable` (decisions fail closed), to operators the reason. */
export class BundleRefused extends AuthzError {
  readonly reason: BundleRefusalReason;

  constructor(reason: BundleRefusalReason, message: string, options: { cause?: unknown } = {}) {
    super("policy_unavailable", `${reason}: ${message}`, options);
    this.reason = reason;
  }
}

/** The refusal reason of anything a reload threw: a refusal says its own; anything else failed the self-check. */
export function refusalReasonOf(error: unknown): BundleRefusalReason {
  return error instanceof BundleRefused ? error.reason : "bundle_self_check_failed";
}
