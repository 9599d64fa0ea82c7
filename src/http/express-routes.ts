import { Router, type Request } from "express";
import type { ApiKeys } from "./api-keys.ts";
import { scopeRefusal, type Route } from "./route.ts";

/** An OpenAPI path as an express 5 path: `{id}` is `:id`, and a last `{path}` takes the rest (`*path`). */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_match, name: string) => (name === "path" ? `*${name}` : `:${name}`));
}

/** express hands a rest parameter over as its segments: the route sees the path they spell. */
function paramsOf(req: Request): Record<string, string | undefined> {
  const params: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.params as Record<string, string | string[] | undefined>)) {
    params[name] = Array.isArray(value) ? value.join("/") : value;
  }
  return params;
}

/** `/v1/orgs` of `/v1/orgs/{id}/members`: the first two segments. */
const family = (path: string) => path.split("/").slice(0, 3).join("/");

/**
 * The path families (`/v1/orgs`, `/v1/import`, ...) whose every route needs the admin key: a request under one needs
 * it too, route or not, so management paths answer 401/403 to a caller without the key before any 404.
 */
function adminFamilies(routes: readonly Route[]): string[] {
  const families = new Set(routes.filter((r) => r.scope === "admin").map((r) => family(r.path)));
  for (const route of routes) if (route.scope !== "admin") families.delete(family(route.path));
  return [...families];
}

/** Every route of the table on one express router: the key scope, then the route (body read by app.ts before). */
export function expressRoutes(routes: readonly Route[], keys: ApiKeys): Router {
  const router = Router();
  const guarded = adminFamilies(routes);
  if (guarded.length > 0) router.use(guarded, keys.require("admin"));
  for (const route of routes) {
    // A route of a guarded family was checked for the admin key by the guard already.
    const scope = guarded.includes(family(route.path)) ? null : route.scope;
    router[route.method](expressPath(route.path), (req, res, next) => {
      const refused = scopeRefusal(keys, scope, req.headers.authorization);
      if (refused) {
        next(refused);
        return;
      }
      route
        .answer({ req, rawBody: req.body, params: paramsOf(req), query: req.query })
        .then((answer) => {
          res.status(answer.status ?? 200);
          if ("text" in answer) res.type(answer.contentType).send(answer.text);
          else (answer.contentType ? res.type(answer.contentType) : res).json(answer.body);
        })
        .catch(next);
    });
  }
  return router;
}
