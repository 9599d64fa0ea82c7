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

/** Every route of the table on one express router: the key scope, then the route (body read by app.ts before). */
export function expressRoutes(routes: readonly Route[], keys: ApiKeys): Router {
  const router = Router();
  for (const route of routes) {
    router[route.method](expressPath(route.path), (req, res, next) => {
      const refused = scopeRefusal(keys, route.scope, req.headers.authorization);
      if (refused) {
        next(refused);
        return;
      }
      route
        .answer({ req, rawBody: req.body, params: paramsOf(req), query: req.query })
        .then((answer) => {
          res.status(answer.status ?? 200);
          if ("text" in answer) res.type(answer.contentType).send(answer.text);
          else res.json(answer.body);
        })
        .catch(next);
    });
  }
  return router;
}
