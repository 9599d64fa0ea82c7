import type { RoleRecord, StaffRecord, UserRecord } from "./graph-schemas.ts";
import type { TreeData } from "./tree-data.ts";

/** A tree as PostgreSQL serialized it: the text goes to Redis unchanged, the parsed form to the snapshot. */
export interface LoadedTree {
  text: string;
  data: TreeData;
}

export interface Versioned<T> {
  version: number;
  /** The random stamp of that version (migration 002): '' for a key never bumped. */
  stamp: string;
  value: T;
}

/** A path snapshot, and the user it was read for (absent for staff) in the same MVCC snapshot. */
export interface LoadedPaths {
  tree: LoadedTree;
  user?: Versioned<UserRecord | null>;
}

/** Which version of a tree PostgreSQL holds now. */
export interface TreeVersion {
  store: string;
  key: string;
  version: number;
  /** Random per bump (migration 002): '' for a tree never bumped. */
  stamp: string;
}

/**
 * Where the cache reads facts from when memory cannot answer (PostgreSQL: src/store/fact-loader.ts), each in one
 * round trip. Declared here, apart from both, so the cache knows the facts it holds and nothing of SQL.
 */
export interface FactSource {
  /** The whole tree holding `org`, or null when no such org. */
  treeOf(org: string): Promise<LoadedTree | null>;
  /** The orgs on the paths of `orgs` (the first one's tree) and `user`'s memberships there, and `user` (null: staff). */
  pathsOf(orgs: readonly string[], user: string | null): Promise<LoadedPaths | null>;
  /** The root of each of `orgs` that exists (absent: no such org). */
  rootsOf(orgs: readonly string[]): Promise<Map<string, string>>;
  user(id: string): Promise<Versioned<UserRecord | null>>;
  roles(): Promise<Versioned<Map<string, RoleRecord>>>;
  staff(): Promise<Versioned<Map<string, StaffRecord>>>;
  /** The store's identity and the current version and stamp of `keys` (missing: version 0, stamp ''). */
  current(keys: string[]): Promise<{ store: string; versions: Map<string, { version: number; stamp: string }> }>;
  /** The current version of the tree holding `org` (null: no such org), with the store's identity. */
  treeVersion(org: string): Promise<TreeVersion | null>;
}
