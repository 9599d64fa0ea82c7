/**
 * The explorer's only way to know anything: the sidecar's API, called with the key the user typed in (and, for the
 * management reads, the X-Actor it acts as). The page decides nothing itself; every answer shown is the API's.
 */

export interface Credentials {
  key: string;
  /** X-Actor of the management reads (the tree, the companies, the roles): `staff:<id>` or `user:<id>`. */
  actor: string;
}

export interface Subject {
  id: string;
  kind: "user" | "staff";
}

export interface OrgNode {
  id: string;
  name: string;
  parent: string | null;
  status: string;
  inheritRoles: boolean;
  attributes: Record<string, unknown>;
  children: OrgNode[];
}

export interface Reason {
  code: string;
  message: string;
  [field: string]: unknown;
}

export interface Effective {
  org: string;
  parent: string | null;
  roles: { key: string; from: string; via: string }[];
  permissions: { code: string; level: number; from: string[] }[];
  orgStatus?: string | null;
  gated?: string[];
  reasons: Reason[];
  decisionId: string;
}

export interface PermissionsTree {
  org: string;
  orgs: Effective[];
  policyRevision: string;
  graphToken: string;
}

export interface OrderScope {
  kind: "always_denied" | "conditional" | "always_allowed";
  scope: { orgs: string[]; ownOrgs: string[] };
  reasons: Reason[];
  sql: { where: string; params: (string | string[])[] };
  decisionId: string;
  policyRevision: string;
  graphToken: string;
}

export interface Decision {
  decision: string;
  allow: boolean;
  reasons: Reason[];
  approvers?: Record<string, unknown>;
  decisionId: string;
  policyRevision: string;
  graphToken: string;
}

export interface Status {
  policy: { revision: string; digest: string; source: string; activatedAt: string; entrypoints: string[] } | null;
}

export interface CheckRequest {
  subject: Subject;
  org: string;
  action: string;
  resource?: { type: string; org?: string; buyer?: string; attributes?: { total: number } };
}

/** A refused call, with the API's error code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  constructor(private readonly credentials: Credentials) {}

  status(): Promise<Status> {
    return this.call("GET", "/v1/status");
  }

  trees(): Promise<{ trees: { root: string; name: string; size: number }[] }> {
    return this.call("GET", "/v1/trees", undefined, true);
  }

  tree(root: string): Promise<{ root: string; size: number; tree: OrgNode }> {
    return this.call("GET", `/v1/orgs/${encodeURIComponent(root)}/tree`, undefined, true);
  }

  roles(): Promise<{ roles: { key: string; permissions: { code: string }[] }[] }> {
    return this.call("GET", "/v1/roles", undefined, true);
  }

  permissionsTree(subject: Subject, org: string): Promise<PermissionsTree> {
    return this.call("POST", "/v1/permissions/tree", { subject, org });
  }

  orderScope(subject: Subject, org: string): Promise<OrderScope> {
    return this.call("POST", "/v1/orders/query", { subject, org });
  }

  check(request: CheckRequest): Promise<Decision> {
    return this.call("POST", "/v1/check", request);
  }

  private async call<T>(method: "GET" | "POST", path: string, body?: unknown, asActor = false): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.credentials.key}` };
    if (asActor) headers["x-actor"] = this.credentials.actor;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(path, {
      method,
      headers,
      credentials: "omit",
      cache: "no-store",
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const answer: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const error = (answer as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, error?.code ?? "error", error?.message ?? `${method} ${path} answered ${res.status}`);
    }
    return answer as T;
  }
}

const STORAGE_KEY = "b2b-authz.explorer.credentials";

/** The key lives in this tab's session storage only: it is gone when the tab closes, and never sent anywhere else. */
export function storedCredentials(): Credentials | null {
  try {
    const parsed = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null") as Partial<Credentials> | null;
    return parsed && typeof parsed.key === "string" && parsed.key !== "" && typeof parsed.actor === "string"
      ? { key: parsed.key, actor: parsed.actor }
      : null;
  } catch {
    return null;
  }
}

export function storeCredentials(credentials: Credentials | null): void {
  if (credentials) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credentials));
  else sessionStorage.removeItem(STORAGE_KEY);
}
