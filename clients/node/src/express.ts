import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { AuthzClient, Decision, OrdersQueryRequest } from "./client.ts";
import { guard, unavailable, type PermissionInput } from "./guard.ts";
import type { OrderFilter } from "./order-filter.ts";

type InputOf<T> = (req: Request) => T | Promise<T>;

/**
 * Express middleware over one client. `requirePermission` lets a request through only on `allow` (the decision is
 * in `res.locals.authz`); `visibleOrders` puts the visible-orders tree in `res.locals.visibleOrders` for the
 * handler's ORM adapter. A failure to decide answers 503 and `onError` sees the cause.
 */
export function expressAuthz(client: AuthzClient, options: { onError?: (error: unknown, req: Request) => void } = {}) {
  const fail = (res: Response, req: Request, thrown: unknown) => {
    options.onError?.(thrown, req);
    res.status(503).json(unavailable());
  };
  return {
    requirePermission(action: string, inputOf: InputOf<PermissionInput>): RequestHandler {
      return (req: Request, res: Response, next: NextFunction) => {
        void (async () => {
          const outcome = await guard(client, action, () => inputOf(req));
          if (!outcome.allowed) {
            if (outcome.status === 503) return fail(res, req, outcome.cause);
            res.status(403).json(outcome.body);
            return;
          }
          res.locals.authz = outcome.decision;
          next();
        })().catch(next);
      };
    },

    visibleOrders(inputOf: InputOf<Omit<OrdersQueryRequest, "columns">>): RequestHandler {
      return (req: Request, res: Response, next: NextFunction) => {
        void (async () => {
          try {
            res.locals.visibleOrders = (await client.ordersQuery(await inputOf(req))).filter;
          } catch (thrown) {
            return fail(res, req, thrown);
          }
          next();
        })().catch(next);
      };
    },
  };
}

/** The tree `visibleOrders` left for this request; a handler that reads it without the middleware gets an error, not everything. */
export function visibleOrdersOf(res: Response): OrderFilter {
  const filter = res.locals.visibleOrders as OrderFilter | undefined;
  if (!filter) throw new Error("no visible-orders filter on this request: mount visibleOrders() before the handler");
  return filter;
}

/** The decision `requirePermission` let through. */
export function decisionOf(res: Response): Decision | undefined {
  return res.locals.authz as Decision | undefined;
}
