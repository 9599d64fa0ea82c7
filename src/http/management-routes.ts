import type { IncomingMessage } from "node:http";
import { z } from "zod";
import type { Subject } from "../decisions/decision-schemas.ts";
import type { AdminOperation, DecisionService } from "../decisions/decision-service.ts";
import type { AdminDecision } from "../policy/entrypoints.ts";
import { AuthzError, type ErrorDetail } from "../errors.ts";
import {
  createOrgBodySchema,
  graphId,
  importDocumentSchema,
  putMembershipBodySchema,
  putRoleBodySchema,
  putUserBodySchema,
  roleKeySchema,
  updateOrgBodySchema,
  type ImportDocument,
  type MembershipRecord,
  type OrgRecord,
  type RoleRecord,
  type TreeNode,
  type UserRecord,
} from "../model/graph-schemas.ts";
import type { TreeLimitJudge } from "../model/tree-limits.ts";
import { isPlatform, mapPlatformExport, permissionCatalog, platforms, withSourcePaths } from "../importers/index.ts";
import { parseOrThrow, text } from "../validation.ts";
import { defineRoute, type Route, type RouteContext } from "./route.ts";
import { utf8Header } from "./request-target.ts";

interface Written {
  graphToken: string;
}

/** The org graph store's management side, as the routes use it (src/store/graph-repository.ts). */
export interface ManagementStore {
  createOrg(body: unknown, creator?: { user: string; roles: string[] }): Promise<Written & { org: OrgRecord }>;
  updateOrg(id: string, body: unknown): Promise<Written & { org: OrgRecord }>;
  getOrg(id: string): Promise<OrgRecord>;
  getTree(id: string): Promise<{ root: string; size: number; tree: TreeNode }>;
  listTrees(): Promise<{ root: string; name: string; size: number }[]>;
  listMembers(org: string): Promise<MembershipRecord[]>;
  putMembership(org: string, user: string, body: unknown): Promise<Written & { membership: MembershipRecord; created: boolean }>;
  deleteMembership(org: string, user: string): Promise<Written & { membership: MembershipRecord }>;
  putUser(id: string, body: unknown): Promise<Written & { user: UserRecord; created: boolean }>;
  getUser(id: string): Promise<UserRecord & { memberships: MembershipRecord[] }>;
  listRoles(): Promise<RoleRecord[]>;
  putRole(key: string, body: unknown): Promise<Written & { role: RoleRecord; created: boolean }>;
  importDocument(document: ImportDocument, options: { judge: TreeLimitJudge }): Promise<Written & { counts: Record<string, number> }>;
  exportTree(root: string): Promise<ImportDocument>;
}

const actorHeader = text()
  .regex(/^(user|staff):\S{1,256}$/, 'must be "user:<id>" or "staff:<id>"')
  .transform((value): Subject => {
    const [kind, ...rest] = value.split(":");
    return { id: rest.join(":"), kind: kind === "staff" ? "staff" : "user" };
  });

/** Who acts, from X-Actor (README, API: management calls), read as UTF-8. */
function actorOf(req: IncomingMessage): Subject {
  const header = utf8Header(req, "x-actor");
  if (header === undefined) {
    throw new AuthzError("invalid_request", "X-Actor header is required (user:<id> or staff:<id>)", {
      details: [{ path: "headers.x-actor", message: "Required" }],
    });
  }
  return parseOrThrow(actorHeader, header, "headers.x-actor");
}

/** The org a buyer acts in for store-wide operations (users, roles): `?org=`. */
function actingOrgOf(query: RouteContext<unknown>["query"]): string | undefined {
  const org = query.org;
  return typeof org === "string" && org !== "" ? org : undefined;
}

/** Path parameters naming an org, a user or a role: the same rules as the ids of the bodies, 400 `path.<name>`. */
const orgPath = { id: graphId };
const membershipPath = { id: graphId, userId: graphId };

const actorHeaderDoc = [{ name: "X-Actor", description: "user:<id> or staff:<id>: who acts; the policy decides", required: true }];

// What the management calls answer (the store's records, src/model/graph-schemas.ts).
const written = { graphToken: z.string() };
const orgRecordSchema = z.object({
  id: z.string(),
  name: z.string(),
  parent: z.string().nullable(),
  status: z.string(),
  inheritRoles: z.boolean(),
  attributes: z.record(z.string(), z.unknown()),
  overLimit: z.string().optional(),
  path: z.array(z.string()),
});
// Not recursive: OpenAPI 3.0 has no place for the definitions a recursive JSON Schema needs.
const treeNodeSchema = orgRecordSchema.extend({
  children: z.array(z.unknown().meta({ type: "object", description: "A child node: the same shape, nested." })),
});
const membershipRecordSchema = z.object({
  user: z.string(),
  org: z.string(),
  roles: z.array(z.string()),
  inheritable: z.boolean(),
  limits: z.record(z.string(), z.unknown()).optional(),
});
const userRecordSchema = z.object({ id: z.string(), email: z.string().nullable().optional(), status: z.string() });
const roleRecordSchema = z.looseObject({ key: z.string(), name: z.string(), permissions: z.array(z.looseObject({ code: z.string(), level: z.number() })) });

/**
 * The self-service and staff management API. Every operation is authorized by the policy's administration
 * decision (b2b/admin/decision) for the X-Actor, then written in one transaction by the store, which enforces
 * the tree invariants again under its lock.
 */
export function managementRoutes(options: { decisions: DecisionService; graph: ManagementStore }): Route[] {
  const { decisions, graph } = options;
  const admin = { scope: "admin", headers: actorHeaderDoc } as const;

  const authorize = (req: IncomingMessage, operation: AdminOperation, org: string | undefined, change?: unknown) =>
    decisions.authorizeAdmin({ actor: actorOf(req), operation, org, change });

  return [
    defineRoute({
      ...admin,
      method: "post",
      path: "/v1/orgs",
      summary: "Create an org (staff: top-level; buyers: a child, with org.create_child)",
      request: createOrgBodySchema,
      response: orgRecordSchema.extend(written),
      handler: async ({ req, body, rawBody }) => {
        const actor = actorOf(req);
        const decision = await decisions.authorizeAdmin({
          actor,
          operation: "org.create",
          org: body.parent ?? undefined,
          // The policy judges what the request asked for: status (staff keep it), and inheritRoles only when sent, since
          // setting it at all is staff-only (the parsed body would carry the default).
          change: {
            id: body.id,
            parent: body.parent,
            name: body.name,
            status: body.status,
            ...(sent(rawBody, "inheritRoles") ? { inheritRoles: body.inheritRoles } : {}),
          },
        });
        // Orgs created by buyers start in the store's status and give their creator the store's role (commercetools).
        const effects = decision.effects ?? {};
        const status = typeof effects.status === "string" ? effects.status : body.status;
        const creatorRoles = Array.isArray(effects.creatorRoles) ? (effects.creatorRoles as string[]) : [];
        const creator = actor.kind === "user" && creatorRoles.length > 0 ? { user: actor.id, roles: creatorRoles } : undefined;
        const result = await graph.createOrg({ ...body, status }, creator);
        return { status: 201, body: { ...result.org, graphToken: result.graphToken } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/orgs/{id}",
      summary: "Read an org",
      response: orgRecordSchema,
      pathParams: orgPath,
      handler: async ({ req, path: { id } }) => {
        await authorize(req, "org.view", id);
        return { body: await graph.getOrg(id) };
      },
    }),
    defineRoute({
      ...admin,
      method: "patch",
      path: "/v1/orgs/{id}",
      summary: "Update name, status, parent (re-parent), inheritRoles, attributes",
      request: updateOrgBodySchema,
      response: orgRecordSchema.extend(written),
      pathParams: orgPath,
      handler: async ({ req, path: { id }, body: patch }) => {
        const { parent, ...fields } = patch;
        if (parent !== undefined) await authorize(req, "org.reparent", id, { parent });
        if (Object.keys(fields).length > 0) await authorize(req, "org.update", id, fields);
        const result = await graph.updateOrg(id, patch);
        return { body: { ...result.org, graphToken: result.graphToken } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/orgs/{id}/tree",
      summary: "The subtree under an org",
      response: z.object({ root: z.string(), size: z.number(), tree: treeNodeSchema }),
      pathParams: orgPath,
      handler: async ({ req, path: { id } }) => {
        const decision = await authorize(req, "org.tree", id);
        const { tree, ...rest } = await graph.getTree(id);
        return { body: { ...rest, tree: visibleTree(tree, visibleOrgsOf(decision)) } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/trees",
      summary: "Every company (top-level org): root id, name and tree size (staff only, like /v1/export)",
      response: z.object({ trees: z.array(z.object({ root: z.string(), name: z.string(), size: z.number() })) }),
      handler: async ({ req }) => {
        // The list names every company of the store: whoever may export any tree (staff) may see which there are.
        await authorize(req, "export", undefined);
        return { body: { trees: await graph.listTrees() } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/orgs/{id}/members",
      summary: "Memberships at an org",
      response: z.object({ org: z.string(), members: z.array(membershipRecordSchema) }),
      pathParams: orgPath,
      handler: async ({ req, path: { id } }) => {
        await authorize(req, "membership.list", id);
        return { body: { org: id, members: await graph.listMembers(id) } };
      },
    }),
    defineRoute({
      ...admin,
      method: "put",
      path: "/v1/orgs/{id}/members/{userId}",
      summary: "Add or edit a membership (1 to 5 roles)",
      request: putMembershipBodySchema,
      response: membershipRecordSchema.extend(written),
      pathParams: membershipPath,
      handler: async ({ req, path: { id, userId: user }, body }) => {
        await authorize(req, "membership.put", id, { user, ...body });
        const result = await graph.putMembership(id, user, body);
        return { status: result.created ? 201 : 200, body: { ...result.membership, graphToken: result.graphToken } };
      },
    }),
    defineRoute({
      ...admin,
      method: "delete",
      path: "/v1/orgs/{id}/members/{userId}",
      summary: "Remove a membership",
      response: z.object({ deleted: membershipRecordSchema, ...written }),
      pathParams: membershipPath,
      handler: async ({ req, path: { id, userId: user } }) => {
        await authorize(req, "membership.delete", id, { user });
        const result = await graph.deleteMembership(id, user);
        return { body: { deleted: result.membership, graphToken: result.graphToken } };
      },
    }),
    defineRoute({
      ...admin,
      method: "put",
      path: "/v1/users/{id}",
      summary: "Create or update a user (buyers pass ?org=<acting org>)",
      request: putUserBodySchema,
      response: userRecordSchema.extend(written),
      pathParams: orgPath,
      handler: async ({ req, path: { id }, query, body }) => {
        await authorize(req, "user.put", actingOrgOf(query), { id, ...body });
        const result = await graph.putUser(id, body);
        return { status: result.created ? 201 : 200, body: { ...result.user, graphToken: result.graphToken } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/users/{id}",
      summary: "A user with their memberships (buyers pass ?org=<acting org>)",
      response: userRecordSchema.extend({ memberships: z.array(membershipRecordSchema) }),
      pathParams: orgPath,
      handler: async ({ req, path: { id }, query }) => {
        const decision = await authorize(req, "user.view", actingOrgOf(query), { id });
        // The policy says which memberships the reader may see and whether the account (email) is shown.
        const visible = visibleOrgsOf(decision);
        const { email, ...user } = await graph.getUser(id);
        const memberships = user.memberships.filter((m) => visible.has(m.org));
        return { body: { ...user, ...(decision.effects?.emailVisible === true ? { email } : {}), memberships } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/roles",
      summary: "Built-in role templates and custom roles (buyers pass ?org=<acting org>)",
      response: z.object({ roles: z.array(roleRecordSchema.extend({ source: z.enum(["builtin", "custom"]) })) }),
      handler: async ({ req, query }) => {
        await authorize(req, "role.list", actingOrgOf(query));
        const custom = await graph.listRoles();
        const overridden = new Set(custom.map((r) => r.key));
        const templates = Object.values((decisions.builtInRoles() ?? {}) as Record<string, RoleRecord>).filter((r) => !overridden.has(r.key));
        return {
          body: {
            roles: [
              ...templates.map((r) => ({ ...r, source: "builtin" as const })),
              ...custom.map((r) => ({ ...r, source: "custom" as const })),
            ].sort((a, b) => a.key.localeCompare(b.key)),
          },
        };
      },
    }),
    defineRoute({
      ...admin,
      method: "put",
      path: "/v1/roles/{key}",
      summary: "Create or update a custom role (staff only; validated against the catalog)",
      request: putRoleBodySchema,
      response: roleRecordSchema.extend(written),
      pathParams: { key: roleKeySchema },
      handler: async ({ req, path: { key }, body }) => {
        // A role the catalog cannot hold is the caller's mistake (422 naming the field), whoever sends it.
        decisions.validateRole({ key, ...body }, "(body)");
        await authorize(req, "role.put", undefined, { key, ...body });
        const result = await graph.putRole(key, body);
        return { status: result.created ? 201 : 200, body: { ...result.role, graphToken: result.graphToken } };
      },
    }),
    defineRoute({
      ...admin,
      method: "post",
      path: "/v1/import",
      summary:
        "Upsert a whole org graph document in one transaction (staff only); ?from=commercetools|bigcommerce|elasticpath|emporix takes that platform's export instead (docs/importers.md)",
      // Either our document or, with ?from=, a platform's export (its lists under their names): the handler parses
      // the body with the one schema the query names, so a document's errors are named as precisely as ever. The
      // object check comes first, so the route's own validation stops there instead of parsing a document twice.
      request: z.union([
        z.record(z.string(), z.unknown()).meta({ description: "With ?from=<platform>: that platform's export, its lists under their names" }),
        importDocumentSchema,
      ]),
      response: z.object({
        counts: z.record(z.string(), z.number()),
        ...written,
        platform: z.string().optional(),
        notes: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
      }),
      handler: async ({ req, rawBody, query }) => {
        const from = query.from;
        if (from !== undefined && !isPlatform(from)) {
          throw new AuthzError("invalid_request", `query parameter from must be one of ${platforms.join(", ")}`, {
            details: [{ path: "query.from", message: `must be one of ${platforms.join(", ")}` }],
          });
        }
        const mapped =
          from === undefined
            ? undefined
            : mapPlatformExport(from, [{ name: "body", content: rawBody }], permissionCatalog(decisions.catalogData()));
        const document = mapped ? mapped.document : parseOrThrow(importDocumentSchema, rawBody);
        await authorize(req, "import", undefined);
        const details: ErrorDetail[] = [];
        document.roles.forEach((role, i) => {
          try {
            decisions.validateRole(role, `roles.${i}`);
          } catch (error) {
            if (error instanceof AuthzError) details.push(...error.details);
            else throw error;
          }
        });
        if (details.length > 0) {
          throw new AuthzError("unprocessable", `import rejected: ${details.length} invalid role field(s)`, { details });
        }
        // The policy judges the trees the document leaves, under the store's locks.
        if (!mapped) return { body: await graph.importDocument(document, { judge: decisions.treeLimits }) };
        const written = await graph.importDocument(document, { judge: decisions.treeLimits }).catch((error: unknown) => {
          throw withSourcePaths(error, mapped.origins);
        });
        return { body: { ...written, platform: mapped.platform, notes: mapped.notes } };
      },
    }),
    defineRoute({
      ...admin,
      method: "get",
      path: "/v1/export",
      summary: "Export one tree (?tree=<rootId>) in the import shape (staff only)",
      response: importDocumentSchema,
      handler: async ({ req, query }) => {
        const tree = query.tree;
        if (typeof tree !== "string" || tree === "") {
          throw new AuthzError("invalid_request", "query parameter tree (the root org id) is required", {
            details: [{ path: "query.tree", message: "Required" }],
          });
        }
        await authorize(req, "export", undefined);
        return { body: await graph.exportTree(tree) };
      },
    }),
  ];
}

/** Did the client send `field` itself (not a schema default)? */
function sent(body: unknown, field: string): boolean {
  return typeof body === "object" && body !== null && Object.hasOwn(body, field);
}

/** The orgs an allowed decision says the reader may see (none when the policy says nothing: fail closed). */
function visibleOrgsOf(decision: AdminDecision): Set<string> {
  const orgs = decision.effects?.visibleOrgs;
  return new Set(Array.isArray(orgs) ? orgs.filter((o): o is string => typeof o === "string") : []);
}

/** The tree with only the visible orgs: the root (the org the decision allowed reading) and visible descendants. */
function visibleTree(node: TreeNode, visible: Set<string>): TreeNode {
  return { ...node, children: node.children.filter((c) => visible.has(c.id)).map((c) => visibleTree(c, visible)) };
}
