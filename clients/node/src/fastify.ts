import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import type { AuthzClient, Decision, OrdersQueryRequest } from "./client.ts";
import { guard, unavailable, type PermissionInput } from "./guard.ts";
import type { OrderFilter } from "./order-filter.ts";

type InputOf<T> = (request: FastifyRequest) => T | Promise<T>;

declare module "fastify" {
  interface FastifyInstance {
    requirePermission(action: string, inputOf: InputOf<PermissionInput>): preHandlerAsyncHookHandler;
    visibleOrders(inputOf: InputOf<Omit<OrdersQueryRequest, "columns">>): preHandlerAsyncHookHandler;
  }
  interface FastifyRequest {
    authz: Decision | null;
    visibleOrders: OrderFilter | null;
  }
}

/**
 * A Fastify plugin: `app.register(fastifyAuthz, { client })`, then `preHandler: app.requirePermission(...)` on a
 * route. Only `allow` reaches the handler (the decision is `request.authz`); deny and approval_required answer 403
 * with the policy's reasons, a failure to decide 503. `app.visibleOrders(...)` sets `request.visibleOrders`.
 */
export function fastifyAuthz(app: FastifyInstance, options: { client: AuthzClient }, done: (error?: Error) => void): void {
  const { client } = options;
  app.decorateRequest("authz", null);
  app.decorateRequest("visibleOrders", null);
  const refuse = (request: FastifyRequest, reply: FastifyReply, thrown: unknown) => {
    request.log.error({ err: thrown }, "authorization could not be decided");
    return reply.code(503).send(unavailable());
  };
  app.decorate("requirePermission", (action: string, inputOf: InputOf<PermissionInput>): preHandlerAsyncHookHandler => {
    return async (request, reply) => {
      const outcome = await guard(client, action, () => inputOf(request));
      if (!outcome.allowed) return outcome.status === 503 ? refuse(request, reply, outcome.cause) : reply.code(403).send(outcome.body);
      request.authz = outcome.decision;
    };
  });
  app.decorate("visibleOrders", (inputOf: InputOf<Omit<OrdersQueryRequest, "columns">>): preHandlerAsyncHookHandler => {
    return async (request, reply) => {
      try {
        request.visibleOrders = (await client.ordersQuery(await inputOf(request))).filter;
      } catch (thrown) {
        return refuse(request, reply, thrown);
      }
    };
  });
  done();
}

// The decorators belong to the app that registers the plugin, not to an encapsulated child (what fastify-plugin does).
Object.assign(fastifyAuthz, { [Symbol.for("skip-override")]: true, [Symbol.for("fastify.display-name")]: "b2b-authz" });
