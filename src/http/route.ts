import type { IncomingMessage } from "node:http";
import type { z } from "zod";
import type { Scope } from "../config.ts";
import type { AuthzError } from "../errors.ts";
import { parseOrThrow } from "../validation.ts";
import type { ApiKeys } from "./api-keys.ts";
import { bodyNotJson } from "./error-response.ts";

/**
 * One route of the API, declared once (src/http/api-routes.ts): the express routes, the decision fast path and
 * /openapi.json are all built from the same declarations, so a path, its key scope and its schemas cannot differ
 * between the transports and the document.
 */

export type HttpMethod = "get" | "post" | "put" | "patch" | "delete";

/** Which key a route needs: one scope, either scope (`any`), or none (`null`). */
export type RouteScope = Scope | "any" | null;

/** Path parameters a route declares, each with the schema it must pass (400 naming `path.<name>`). */
export type PathSchemas = Record<string, z.ZodType>;

/** What a handler is given, whichever transport received the request. */
export interface RouteContext<Body, Path = Record<string, never>> {
  /** The body as the route's request schema parsed it (undefined for a route without one). */
  body: Body;
  /** The declared path parameters, parsed by their schemas (before the body, so a bad id is named first). */
  path: Path;
  /** The body as sent (to tell a field the client sent from a schema default). */
  rawBody: unknown;
  /** Path parameters, decoded; a rest parameter (`{path}` of the Data API) holds the rest of the path. */
  params: Readonly<Record<string, string | undefined>>;
  /** Query parameters as node:querystring reads them. */
  query: Readonly<Record<string, unknown>>;
  /** The request itself, for headers. */
  req: IncomingMessage;
}

/** A JSON answer (under its own JSON media type if it names one), or text with its media type (Prometheus metrics). */
export type RouteAnswer<Body> = { status?: number; body: Body; contentType?: string } | { status?: number; text: string; contentType: string };

interface RouteInfo {
  method: HttpMethod;
  /** OpenAPI form: /v1/orgs/{id}/members/{userId}; a last {path} takes the rest of the path. */
  path: string;
  summary: string;
  scope: RouteScope;
  /** Documented headers (X-Actor). */
  headers?: { name: string; description: string; required: boolean }[];
  /** Served by the node:http fast path in front of express (the decision endpoints). */
  fastPath?: boolean;
  /** A request without a body at all is refused as not JSON (a decision cannot do without one). */
  bodyRequired?: boolean;
  /** The media type of a text answer, for the document (JSON otherwise). */
  produces?: string;
  /** The JSON media types the response schema is answered under, for the document (application/json otherwise). */
  responseTypes?: readonly string[];
}

/** A route as declared: the handler receives what its request schema parses to, and answers what its response schema describes. */
export interface RouteSpec<Req extends z.ZodType | undefined, Res extends z.ZodType | undefined, P extends PathSchemas> extends RouteInfo {
  pathParams?: P;
  request?: Req;
  response?: Res;
  handler: (
    context: RouteContext<Req extends z.ZodType ? z.output<Req> : undefined, { [K in keyof P]: z.output<P[K]> }>,
  ) => Promise<RouteAnswer<Res extends z.ZodType ? z.input<Res> : unknown>>;
}

/** A route as the transports and the document use it: the schema-to-handler link is sealed inside `answer`. */
export interface Route extends RouteInfo {
  request?: z.ZodType;
  response?: z.ZodType;
  /** Validates the body with the request schema and runs the handler. */
  answer(context: Omit<RouteContext<unknown>, "body" | "path">): Promise<RouteAnswer<unknown>>;
}

/** Declares a route; the request schema's output type is the handler's body type. */
export function defineRoute<
  Req extends z.ZodType | undefined = undefined,
  Res extends z.ZodType | undefined = undefined,
  P extends PathSchemas = Record<string, never>,
>(spec: RouteSpec<Req, Res, P>): Route {
  const { handler, pathParams, ...info } = spec;
  type Body = Req extends z.ZodType ? z.output<Req> : undefined;
  type Path = { [K in keyof P]: z.output<P[K]> };
  return {
    ...info,
    async answer(context) {
      const path: Partial<Record<keyof P, unknown>> = {};
      for (const [name, schema] of Object.entries(pathParams ?? {}) as [keyof P & string, z.ZodType][]) {
        path[name] = parseOrThrow(schema, context.params[name], `path.${name}`);
      }
      if (spec.bodyRequired && context.rawBody === undefined) throw bodyNotJson();
      const schema: z.ZodType | undefined = spec.request;
      const body = schema ? parseOrThrow(schema, context.rawBody) : undefined;
      // The values were parsed by exactly the schemas these types are inferred from.
      return handler({ ...context, path: path as Path, body: body as Body });
    },
  };
}

/** The key check of `scope`: the error to answer, or undefined when the request may proceed. */
export function scopeRefusal(keys: ApiKeys, scope: RouteScope, authorization: string | undefined): AuthzError | undefined {
  if (scope === null) return undefined;
  if (scope === "any") return keys.check(authorization, "check") && keys.check(authorization, "admin");
  return keys.check(authorization, scope);
}
