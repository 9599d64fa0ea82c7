import { randomUUID } from "node:crypto";
import type { AuthzClient } from "@b2b-authz/client";
import { expressAuthz, visibleOrdersOf } from "@b2b-authz/client/express";
import { kyselyCondition } from "@b2b-authz/client/kysely";
import express, { type Request } from "express";
import type { Kysely } from "kysely";
import type { ShopDatabase } from "./orders-db.ts";

/**
 * The shop's order API. Who the buyer is comes from the shop's own login; this example reads it from `X-User` to
 * stay small (never do that in production: a caller could name anyone). Every route asks the sidecar first.
 */
export function storefrontApp(options: { client: AuthzClient; db: Kysely<ShopDatabase>; onError?: (error: unknown) => void }) {
  const { client, db } = options;
  const authz = expressAuthz(client, { onError: options.onError });
  const buyer = (req: Request) => ({ id: req.get("x-user") ?? "" });
  const app = express();
  app.use(express.json());

  app.get(
    "/orgs/:org/orders",
    authz.visibleOrders((req) => ({ subject: buyer(req), org: String(req.params.org) })),
    async (_req, res) => {
      const orders = await db
        .selectFrom("orders")
        .select(["id", "org_id", "buyer_id", "total"])
        .where(kyselyCondition(visibleOrdersOf(res), { org: "org_id", buyer: "buyer_id" }))
        .orderBy("id")
        .execute();
      res.json({ orders });
    },
  );

  app.post(
    "/orgs/:org/orders",
    // The shop checks its own input first: a bad total is the caller's 400, not a decision the sidecar cannot make.
    (req, res, next) => {
      const total = (req.body as { total?: unknown } | undefined)?.total;
      if (typeof total === "number" && Number.isFinite(total) && total > 0) return next();
      res.status(400).json({ error: { code: "invalid_request", message: "total must be a positive number", details: [{ path: "total", message: "Required" }] } });
    },
    authz.requirePermission("order.place", (req) => {
      const org = String(req.params.org);
      const total = Number((req.body as { total?: unknown } | undefined)?.total);
      return { subject: buyer(req), org, resource: { type: "order", org, buyer: buyer(req).id, attributes: { total, currency: "EUR" } } };
    }),
    async (req, res) => {
      const order = { id: `o-${randomUUID()}`, org_id: String(req.params.org), buyer_id: buyer(req).id, total: String((req.body as { total: number }).total) };
      await db.insertInto("orders").values(order).execute();
      res.status(201).json({ order });
    },
  );
  return app;
}
