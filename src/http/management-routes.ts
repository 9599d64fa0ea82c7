import { Router, type NextFunction, type Request, type RequestHandler, type Response } from "express";
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
import { parseOrThrow, text } from "../validation.ts";
import type { ApiKeys } from "./api-keys.ts";
import type { ApiOperation } from "./openapi.ts";
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
  listMembers(org: string): Promise<MembershipRecord[]>;
  putMembership(org: string, user: string, body: unknown): Promise<Written & { membership: MembershipRecord; created: boolean }>;
  deleteMembership(org: string, user: string): Promise<Written & { membership: MembershipRecord }>;
  putUser(id: string, body: unknown): Promise<Written & { user: UserRecord; created: boolean }>;
  getUser(id: string): Promise<UserRecord & { memberships: MembershipRecord[] }>;
  listRoles(): Promise<RoleRecord[]>;
  putRole(key: string, body: unknown): Promise<Written & { role: RoleRecord; created: boolean }>;
  importDocument(document: ImportDocument): Promise<Written & { counts: Record<string, number> }>;
  exportTree(root: string): Promise<ImportDocument>;
}

const actorHeader = text()
  .regex(/^(user|staff):\S{1,256}$/, 'must be "user:<id>" or "staff:<id>"')
  .transform((value): Subject => {
    const [kind, ...rest] = value.split(":");
    return { id: rest.join(":"), kind: kind === "staff" ? "staff" : "user" };
  });

/** Who acts, from X-Actor (API.md, Management), read as UTF-8. */
function actorOf(req: Request): Subject {
  const header = utf8Header(req, "x-actor");
  if (header === undefined) {
    throw new AuthzError("invalid_request", "X-Actor header is required (user:<id> or staff:<id>)", {
      details: [{ path: "headers.x-actor", message: "Required" }],
    });
  }
  return parseOrThrow(actorHeader, header, "headers.x-actor");
}

/** The org a buyer acts in for store-wide operations (users, roles): `?org=`. */
function actingOrgOf(req: Request): string | undefined {
  const org = req.query.org;
  return typeof org === "string" && org !== "" ? org : undefined;
}

/** A path parameter naming an org, a user or a role: the same rules as the ids of the bodies, 400 `path.<name>`. */
function param(req: Request, name: string, schema: typeof graphId = graphId): string {
  return parseOrThrow(schema, (req.params as Record<string, string | undefined>)[name], `path.${name}`);
}

type Handler = (req: Request, res: Response) => Promise<void>;
const route =
  (handler: Handler): RequestHandler =>
  (req: Request, res: Response, next: NextFunction) => {
    handler(req, res).catch(next);
  };

const actorHeaderDoc = [{ name: "X-Actor", description: "user:<id> or staff:<id>: who acts; the policy decides", required: true }];

/** Management operations for /openapi.json, with the schemas the routes validate with. */
export const managementOperations: ApiOperation[] = [
  { method: "post", path: "/v1/orgs", summary: "Create an org (staff: top-level; buyers: a child, with org.create_child)", scope: "admin", request: createOrgBodySchema, headers: actorHeaderDoc },
  { method: "get", path: "/v1/orgs/{id}", summary: "Read an org", scope: "admin", headers: actorHeaderDoc },
  { method: "patch", path: "/v1/orgs/{id}", summary: "Update name, status, parent (re-parent), inheritRoles, attributes", scope: "admin", request: updateOrgBodySchema, headers: actorHeaderDoc },
  { method: "get", path: "/v1/orgs/{id}/tree", summary: "The subtree under an org", scope: "admin", headers: actorHeaderDoc },
  { method: "get", path: "/v1/orgs/{id}/members", summary: "Memberships at an org", scope: "admin", headers: actorHeaderDoc },
  { method: "put", path: "/v1/orgs/{id}/members/{userId}", summary: "Add or edit a membership (1 to 5 roles)", scope: "admin", request: putMembershipBodySchema, headers: actorHeaderDoc },
  { method: "delete", path: "/v1/orgs/{id}/members/{userId}", summary: "Remove a membership", scope: "admin", headers: actorHeaderDoc },
  { method: "put", path: "/v1/users/{id}", summary: "Create or update a user (buyers pass ?org=<acting org>)", scope: "admin", request: putUserBodySchema, headers: actorHeaderDoc },
  { method: "get", path: "/v1/users/{id}", summary: "A user with their memberships (buyers pass ?org=<acting org>)", scope: "admin", headers: actorHeaderDoc },
  { method: "get", path: "/v1/roles", summary: "Built-in role templates and custom roles (buyers pass ?org=<acting org>)", scope: "admin", headers: actorHeaderDoc },
  { method: "put", path: "/v1/roles/{key}", summary: "Create or update a custom role (staff only; validated against the catalog)", scope: "admin", request: putRoleBodySchema, headers: actorHeaderDoc },
  { method: "post", path: "/v1/import", summary: "Upsert a whole org graph document in one transaction (staff only)", scope: "admin", request: importDocumentSchema, headers: actorHeaderDoc },
  { method: "get", path: "/v1/export", summary: "Export one tree (?tree=<rootId>) in the import shape (staff only)", scope: "admin", headers: actorHeaderDoc },
];

/**
 * The self-service and staff management API. Every operation is authorized by the policy's administration
 * decision (b2b/admin/decision) for the X-Actor, then written in one transaction by the store, which enforces
 * the tree invariants again under its lock.
 */
export function managementRoutes(options: { decisions: DecisionService; graph: ManagementStore; keys: ApiKeys }): Router {
  const { decisions, graph, keys } = options;
  const router = Router();
  router.use(["/orgs", "/users", "/roles", "/import", "/export"], keys.require("admin"));

  const authorize = (req: Request, operation: AdminOperation, org: string | undefined, change?: unknown) =>
    decisions.authorizeAdmin({ actor: actorOf(req), operation, org, change });

  router.post(
    "/orgs",
    route(async (req, res) => {
      const body = parseOrThrow(createOrgBodySchema, req.body);
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
          ...(sent(req.body, "inheritRoles") ? { inheritRoles: body.inheritRoles } : {}),
        },
      });
      // Orgs created by buyers start in the store's status and give their creator the store's role (commercetools).
      const effects = decision.effects ?? {};
      const status = typeof effects.status === "string" ? effects.status : body.status;
      const creatorRoles = Array.isArray(effects.creatorRoles) ? (effects.creatorRoles as string[]) : [];
      const creator = actor.kind === "user" && creatorRoles.length > 0 ? { user: actor.id, roles: creatorRoles } : undefined;
      const written = await graph.createOrg({ ...body, status }, creator);
      res.status(201).json({ ...written.org, graphToken: written.graphToken });
    }),
  );

  router.get(
    "/orgs/:id",
    route(async (req, res) => {
      const id = param(req, "id");
      await authorize(req, "org.view", id);
      res.json(await graph.getOrg(id));
    }),
  );

  router.patch(
    "/orgs/:id",
    route(async (req, res) => {
      const id = param(req, "id");
      const patch = parseOrThrow(updateOrgBodySchema, req.body);
      const { parent, ...fields } = patch;
      if (parent !== undefined) await authorize(req, "org.reparent", id, { parent });
      if (Object.keys(fields).length > 0) await authorize(req, "org.update", id, fields);
      const written = await graph.updateOrg(id, patch);
      res.json({ ...written.org, graphToken: written.graphToken });
    }),
  );

  router.get(
    "/orgs/:id/tree",
    route(async (req, res) => {
      const id = param(req, "id");
      const decision = await authorize(req, "org.tree", id);
      const { tree, ...rest } = await graph.getTree(id);
      res.json({ ...rest, tree: visibleTree(tree, visibleOrgsOf(decision)) });
    }),
  );

  router.get(
    "/orgs/:id/members",
    route(async (req, res) => {
      const id = param(req, "id");
      await authorize(req, "membership.list", id);
      res.json({ org: id, members: await graph.listMembers(id) });
    }),
  );

  router.put(
    "/orgs/:id/members/:userId",
    route(async (req, res) => {
      const [id, user] = [param(req, "id"), param(req, "userId")];
      const body = parseOrThrow(putMembershipBodySchema, req.body);
      await authorize(req, "membership.put", id, { user, ...body });
      const written = await graph.putMembership(id, user, body);
      res.status(written.created ? 201 : 200).json({ ...written.membership, graphToken: written.graphToken });
    }),
  );

  router.delete(
    "/orgs/:id/members/:userId",
    route(async (req, res) => {
      const [id, user] = [param(req, "id"), param(req, "userId")];
      await authorize(req, "membership.delete", id, { user });
      const written = await graph.deleteMembership(id, user);
      res.json({ deleted: written.membership, graphToken: written.graphToken });
    }),
  );

  router.put(
    "/users/:id",
    route(async (req, res) => {
      const id = param(req, "id");
      const body = parseOrThrow(putUserBodySchema, req.body);
      await authorize(req, "user.put", actingOrgOf(req), { id, ...body });
      const written = await graph.putUser(id, body);
      res.status(written.created ? 201 : 200).json({ ...written.user, graphToken: written.graphToken });
    }),
  );

  router.get(
    "/users/:id",
    route(async (req, res) => {
      const id = param(req, "id");
      const decision = await authorize(req, "user.view", actingOrgOf(req), { id });
      // The policy says which memberships the reader may see and whether the account (email) is shown.
      const visible = visibleOrgsOf(decision);
      const { email, ...user } = await graph.getUser(id);
      const memberships = user.memberships.filter((m) => visible.has(m.org));
      res.json({ ...user, ...(decision.effects?.emailVisible === true ? { email } : {}), memberships });
    }),
  );

  router.get(
    "/roles",
    route(async (req, res) => {
      await authorize(req, "role.list", actingOrgOf(req));
      const custom = await graph.listRoles();
      const overridden = new Set(custom.map((r) => r.key));
      const templates = Object.values((decisions.builtInRoles() ?? {}) as Record<string, RoleRecord>).filter((r) => !overridden.has(r.key));
      res.json({
        roles: [
          ...templates.map((r) => ({ ...r, source: "builtin" })),
          ...custom.map((r) => ({ ...r, source: "custom" })),
        ].sort((a, b) => a.key.localeCompare(b.key)),
      });
    }),
  );

  router.put(
    "/roles/:key",
    route(async (req, res) => {
      const key = param(req, "key", roleKeySchema);
      const body = parseOrThrow(putRoleBodySchema, req.body);
      // A role the catalog cannot hold is the caller's mistake (422 naming the field), whoever sends it.
      decisions.validateRole({ key, ...body }, "(body)");
      await authorize(req, "role.put", undefined, { key, ...body });
      const written = await graph.putRole(key, body);
      res.status(written.created ? 201 : 200).json({ ...written.role, graphToken: written.graphToken });
    }),
  );

  router.post(
    "/import",
    route(async (req, res) => {
      const document = parseOrThrow(importDocumentSchema, req.body);
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
      const written = await graph.importDocument(document);
      res.json(written);
    }),
  );

  router.get(
    "/export",
    route(async (req, res) => {
      const tree = req.query.tree;
      if (typeof tree !== "string" || tree === "") {
        throw new AuthzError("invalid_request", "query parameter tree (the root org id) is required", {
          details: [{ path: "query.tree", message: "Required" }],
        });
      }
      await authorize(req, "export", undefined);
      res.json(await graph.exportTree(tree));
    }),
  );

  return router;
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
