import { hash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import type { Scope } from "../config.ts";
import { AuthzError } from "../errors.ts";

interface StoredKey {
  digest: Buffer;
  scopes: ReadonlySet<Scope>;
}

// The one-shot hash: every request pays for it, and a Hash object costs more than the digest of a short key.
const digest = (key: string) => hash("sha256", key, "buffer");

/**
 * Caller authentication by API key. Keys are compared as SHA-256 digests with timingSafeEqual, against every
 * configured key without stopping at the first match, so neither the length nor the position of a key leaks.
 */
export class ApiKeys {
  private readonly keys: StoredKey[];

  constructor(keys: ReadonlyMap<string, ReadonlySet<Scope>>) {
    this.keys = [...keys].map(([key, scopes]) => ({ digest: digest(key), scopes }));
  }

  /** The scopes of `presented`, or null when it matches no key. */
  scopesOf(presented: string): ReadonlySet<Scope> | null {
    const candidate = digest(presented);
    let found: ReadonlySet<Scope> | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, candidate)) found = key.scopes;
    }
    return found;
  }

  /** Express middleware: a bearer key holding `scope`, else 401 (no or unknown key) or 403 (scope missing). */
  require(scope: Scope): RequestHandler {
    return (req, _res, next) => {
      next(this.check(req.headers.authorization, scope));
    };
  }

  /** Does `authorization` present a configured key, whatever its scopes? */
  isKnown(authorization: string | undefined): boolean {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    return match?.[1] !== undefined && this.scopesOf(match[1]) !== null;
  }

  /** The same check for handlers outside express; returns the error to report, or undefined. */
  check(authorization: string | undefined, scope: Scope): AuthzError | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
    if (!match?.[1]) {
      return new AuthzError("unauthenticated", "missing API key: send Authorization: Bearer <key>", {
        details: [{ path: "headers.authorization", message: "Required" }],
      });
    }
    const scopes = this.scopesOf(match[1]);
    if (!scopes) {
      return new AuthzError("unauthenticated", "unknown API key", {
        details: [{ path: "headers.authorization", message: "unknown key" }],
      });
    }
    if (!scopes.has(scope)) {
      return new AuthzError("forbidden", `this API key lacks the "${scope}" scope`, {
        details: [{ path: "headers.authorization", message: `scope "${scope}" required` }],
      });
    }
    return undefined;
  }
}
