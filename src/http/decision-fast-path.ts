import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import type { z } from "zod";
import {
  batchRequestSchema,
  checkRequestSchema,
  ordersFilterRequestSchema,
  ordersQueryRequestSchema,
  permissionsRequestSchema,
} from "../decisions/decision-schemas.ts";
import type { DecisionService } from "../decisions/decision-service.ts";
import { toAuthzError, type AuthzError } from "../errors.ts";
import { parseOrThrow } from "../validation.ts";
import type { ApiKeys } from "./api-keys.ts";
import { bodyNotJson, errorBody, httpStatusOf, shouldClose } from "./error-response.ts";
import { readJsonBody } from "./request-body.ts";

interface Route {
  schema: z.ZodType;
  answer: (service: DecisionService, body: never) => Promise<unknown>;
}

/** The decision endpoints: the hot path of every storefront request. */
const routes = new Map<string, Route>([
  ["/v1/check", { schema: checkRequestSchema, answer: (s, b) => s.check(b) }],
  ["/v1/check/batch", { schema: batchRequestSchema, answer: (s, b) => s.batch(b) }],
  ["/v1/permissions", { schema: permissionsRequestSchema, answer: (s, b) => s.permissions(b) }],
  ["/v1/orders/query", { schema: ordersQueryRequestSchema, answer: (s, b) => s.ordersQuery(b) }],
  ["/v1/orders/filter", { schema: ordersFilterRequestSchema, answer: (s, b) => s.ordersFilter(b) }],
]);

export const fastPathRoutes = [...routes.keys()];

function send(res: ServerResponse, status: number, body: unknown, close = false): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(payload),
    ...(close ? { connection: "close" } : {}),
  });
  res.end(payload);
}

/** The body, which a decision cannot do without (no body at all is not JSON either). */
async function requiredBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const body = await readJsonBody(req, limit);
  if (body === undefined) throw bodyNotJson();
  return body;
}

/**
 * Serves the decision endpoints straight from node:http, in front of express: a decision pays for key check,
 * body parsing, validation and evaluation, and for no middleware it does not need. Same schemas, service and
 * error shapes as the express routes; every other request goes on to express (`next`).
 */
export function decisionFastPath(options: {
  decisions: DecisionService;
  keys: ApiKeys;
  bodyLimitBytes: number;
  next: RequestListener;
  onInternal: (error: AuthzError) => void;
}): RequestListener {
  const { decisions, keys, bodyLimitBytes, next, onInternal } = options;
  return (req, res) => {
    const route = req.method === "POST" ? routes.get((req.url ?? "").split("?", 1)[0] ?? "") : undefined;
    if (!route) {
      next(req, res);
      return;
    }
    const denied = keys.check(req.headers.authorization, "check");
    if (denied) {
      send(res, httpStatusOf[denied.code], errorBody(denied));
      req.resume();
      return;
    }
    requiredBody(req, bodyLimitBytes)
      .then((body) => route.answer(decisions, parseOrThrow(route.schema, body) as never))
      .then(
        (answer) => send(res, 200, answer),
        (thrown: unknown) => {
          const error = toAuthzError(thrown, "internal", "decision failed");
          if (httpStatusOf[error.code] >= 500) onInternal(error);
          send(res, httpStatusOf[error.code], errorBody(error), shouldClose(error));
        },
      );
  };
}
