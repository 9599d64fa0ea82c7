import type { z } from "zod";
import type { membershipInputSchema, orgInputSchema, roleSchema, userInputSchema } from "../model/graph-schemas.ts";
import type { Findings } from "./report.ts";

type Org = z.input<typeof orgInputSchema>;
type User = z.input<typeof userInputSchema>;
type Membership = z.input<typeof membershipInputSchema>;
type Role = z.input<typeof roleSchema>;

export interface MappedDocument {
  roles: Role[];
  orgs: Org[];
  users: User[];
  memberships: Membership[];
}

/** Where each entry of the mapped document came from, so store-side errors can name the source record. */
export interface Origins {
  roles: string[];
  orgs: string[];
  users: string[];
  memberships: string[];
}

/**
 * Collects our import document from a platform's records, keeping each entry's source path. A second record with
 * an id already taken is an error at its own path, as in the import itself.
 */
export class DocumentBuilder {
  readonly document: MappedDocument = { roles: [], orgs: [], users: [], memberships: [] };
  readonly origins: Origins = { roles: [], orgs: [], users: [], memberships: [] };
  private readonly orgIndex = new Map<string, number>();
  private readonly userIndex = new Map<string, number>();
  private readonly roleIndex = new Map<string, number>();
  private readonly membershipIndex = new Map<string, number>();

  constructor(private readonly findings: Findings) {}

  hasOrg(id: string): boolean {
    return this.orgIndex.has(id);
  }

  hasUser(id: string): boolean {
    return this.userIndex.has(id);
  }

  org(origin: string, org: Org): void {
    if (this.taken(this.orgIndex, org.id, origin, "orgs", "org")) return;
    this.orgIndex.set(org.id, this.document.orgs.push(org) - 1);
    this.origins.orgs.push(origin);
  }

  role(origin: string, role: Role): void {
    if (this.taken(this.roleIndex, role.key, origin, "roles", "role")) return;
    this.roleIndex.set(role.key, this.document.roles.push(role) - 1);
    this.origins.roles.push(origin);
  }

  /** Users are often named by several records (a reference in each membership): the first full record wins. */
  user(origin: string, user: User, replaceStub = false): void {
    const at = this.userIndex.get(user.id);
    if (at !== undefined) {
      if (replaceStub) {
        this.document.users[at] = user;
        this.origins.users[at] = origin;
      }
      return;
    }
    this.userIndex.set(user.id, this.document.users.push(user) - 1);
    this.origins.users.push(origin);
  }

  membership(origin: string, membership: Membership): void {
    const key = `${membership.user}\u0000${membership.org}`;
    if (this.taken(this.membershipIndex, key, origin, "memberships", `membership of ${membership.user} in`, membership.org)) return;
    this.membershipIndex.set(key, this.document.memberships.push(membership) - 1);
    this.origins.memberships.push(origin);
  }

  private taken(index: Map<string, number>, id: string, origin: string, list: keyof Origins, what: string, shown = id): boolean {
    const at = index.get(id);
    if (at === undefined) return false;
    this.findings.error(origin, `${what} "${shown}" is already defined at ${this.origins[list][at]}`);
    return true;
  }
}
