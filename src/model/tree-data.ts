import type { Limits } from "./graph-schemas.ts";

/**
 * One tree of the org graph as loaded at one version, in the compact form PostgreSQL produces and Redis stores:
 * orgs as tuples parents-first, memberships as tuples. `v` is the tree's version ('t:<root>') in the same snapshot.
 */
export interface TreeData {
  r: string;
  v: number;
  o: OrgTuple[];
  m: MembershipTuple[];
  /** Number of orgs in the tree when `o` holds only some of them (a path snapshot). */
  s?: number;
  /** The identity of the store it was read from, and the stamp of version `v` (migration 002). */
  i: string;
  x: string | null;
}
/** id, parent, name, status, inheritRoles, attributes, overLimit */
export type OrgTuple = [string, string | null, string, string, boolean, Record<string, unknown>, string];
/** user, org, roles, inheritable, limits */
export type MembershipTuple = [string, string, string[], boolean, Limits | null];
