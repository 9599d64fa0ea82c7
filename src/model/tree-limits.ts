/**
 * The tree limits as the store and the policy share them: the store measures each tree a write leaves, the
 * policy (b2b/trees/limits) judges the shapes, and the store re-checks under its locks what a racing writer changed.
 */

/** The shape of one tree as a write would leave it: what the tree limits are judged on. */
export interface TreeShape {
  root: string;
  /** Orgs in the tree. */
  size: number;
  /** Levels of the tree (1: the root alone). */
  height: number;
  /** An org at the deepest level. */
  deepest: string;
}

/** A refusal by a tree limit, in the policy's terms (b2b.trees: `depth_limit`, `size_limit`). */
export interface TreeLimitReason {
  code: string;
  message: string;
}

/** Judges tree shapes against the limits: the policy's `b2b/trees/limits` entrypoint; `[]` when every tree holds. */
export type TreeLimitJudge = (trees: TreeShape[]) => readonly TreeLimitReason[];
