import type { DeepFrozen } from "../model/deep-frozen.ts";
import type { RoleRecord, StaffRecord } from "../model/graph-schemas.ts";
import type { SliceMembership, SliceOrg, SliceUser, TreeInfo } from "../model/graph-slice.ts";
import type { adminOperations } from "../model/policy-data.generated.ts";

/**
 * What the decision service asks of the org graph: "the slice for this request, at least as new as this token".
 * Declared here, once, by the layer that needs it; src/graph implements it (README, "Layout").
 */
export interface DecisionFacts {
  slice(request: SliceRequest): Promise<GraphSlice>;
  adminSlice(request: AdminSliceRequest): Promise<GraphSlice>;
}

export interface SubjectRef {
  id: string;
  kind?: "user" | "staff" | undefined;
}

/** A decision's facts: the subject in the acting org's tree, the resources' orgs, and (orders) the subtree. */
export interface SliceRequest {
  subject: SubjectRef;
  org: string;
  resourceOrgs?: string[];
  subtree?: boolean;
  /** A graphToken: the slice is at least as new as the writes it names. */
  atLeast?: string;
}

/** The operations `b2b/admin/decision` knows: the policy catalog's list (generated). */
export type AdminOperation = (typeof adminOperations)[number];

/** The facts of an administration decision (policies/README.md, Admin decisions). */
export interface AdminSliceRequest {
  actor: SubjectRef;
  operation: AdminOperation;
  org?: string | undefined;
  change?: unknown;
  atLeast?: string;
}

/**
 * `input.graph` of policies/README.md. The parts decisions share (built once per tree, user or role version) are
 * deep-frozen, so the memo may key them by identity: they cannot change under it (src/decisions/input-json.ts).
 * A part built for one decision (orgs with a resource's path added, an administration decision's roles) is keyed
 * by its content instead, so it need not be.
 */
export interface GraphSliceData {
  user?: DeepFrozen<SliceUser> | null;
  staff?: StaffRecord | null;
  tree: DeepFrozen<TreeInfo> | null;
  orgs: Readonly<Record<string, SliceOrg>>;
  memberships: DeepFrozen<readonly SliceMembership[]>;
  roles: Readonly<Record<string, DeepFrozen<RoleRecord>>>;
  /** org.reparent: the moved org's subtree. */
  subtree?: { height: number; size: number };
  /** org.reparent: the new parent's tree (null when the org becomes top-level). */
  targetTree?: { root: string; size: number } | null;
  /** membership.* and user.*: the target user, membership or orgs. */
  target?: { user: DeepFrozen<SliceUser> | null; membership?: SliceMembership | null; orgs?: string[] };
}

export interface GraphSlice {
  graph: GraphSliceData;
  /** The versions the slice was read at: what the answer hands back as its graphToken. */
  graphToken: string;
}
