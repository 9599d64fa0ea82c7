import type { Limits } from "./graph-schemas.ts";

/**
 * The parts of a graph slice (`input.graph` of policies/README.md) that the cache builds once per tree version and
 * every decision on them shares: never modified.
 */

/** An org as the policy sees it (policies/README.md, the input contract). */
export interface SliceOrg {
  readonly parent: string | null;
  readonly status: string;
  readonly inheritRoles: boolean;
  readonly path: readonly string[];
}

export interface SliceMembership {
  readonly org: string;
  readonly roles: readonly string[];
  readonly inheritable: boolean;
  readonly limits?: Limits;
}

export interface TreeInfo {
  readonly root: string;
  readonly size: number;
  readonly overLimit: string;
}

export interface SliceUser {
  readonly id: string;
  readonly status: string;
}
