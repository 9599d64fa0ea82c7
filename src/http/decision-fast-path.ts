import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import { toAuthzError, type AuthzError } from "../errors.ts";
import type { ApiKeys } from "./api-keys.ts";
import { errorBody, httpStatusOf, shouldClose } from "./error-response.ts";
import { readJsonBody } from "./request-body.ts";
import { scopeRefusal, type Route } from "./route.ts";

function send(res: ServerResponse, status: number, body: unknown, close = false, contentType = "application/json; charset=utf-8"): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(payload),
    ...(close ? { connection: "close" } : {}),
  });
  res.end(payload);
}

function sendText(res: ServerResponse, status: number, text: string, contentType: string): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Serves the routes of the table marked `fastPath` (the decision endpoints, the hot path of every storefront
 * request) straight from node:http, in front of express: a decision pays for key check, body parsing, validation
 * and evaluation, and for no middleware it does not need. The same route declarations, schemas, service and error
 * shapes as the express routes; every other request goes on to express (`next`).
 */
export function decisionFastPath(options: {
  routes: readonly Route[];
  keys: ApiKeys;
  bodyLimitBytes: number;
  next: RequestListener;
  onInternal: (error: AuthzError) => void;
}): RequestListener {
  const { keys, bodyLimitBytes, next, onInternal } = options;
  // Fast path routes have no path parameters: one lookup by method and path.
  const routes = new Map(options.routes.filter((r) => r.fastPath).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]));
  return (req: IncomingMessage, res: ServerResponse) => {
    const [path = "", search] = (req.url ?? "").split("?", 2);
    const route = routes.get(`${req.method ?? ""} ${path}`);
    if (!route) {
      next(req, res);
      return;
    }
    const denied = scopeRefusal(keys, route.scope, req.headers.authorization);
    if (denied) {
      send(res, httpStatusOf[denied.code], errorBody(denied));
      req.resume();
      return;
    }
    readJsonBody(req, bodyLimitBytes)
      .then((rawBody) => route.answer({ req, rawBody, params: {}, query: search === undefined ? {} : parseQuery(search) }))
      .then(
        (answer) => {
          if ("text" in answer) sendText(res, answer.status ?? 200, answer.text, answer.contentType);
          else send(res, answer.status ?? 200, answer.body, false, answer.contentType);
        },
        (thrown: unknown) => {
          const error = toAuthzError(thrown, "internal", "decision failed");
          if (httpStatusOf[error.code] >= 500) onInternal(error);
          send(res, httpStatusOf[error.code], errorBody(error), shouldClose(error));
        },
      );
  };
}
