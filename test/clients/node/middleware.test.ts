import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuthzClient } from "../../../clients/node/src/index.ts";
import { expressAuthz, visibleOrdersOf } from "../../../clients/node/src/express.ts";
import { fastifyAuthz } from "../../../clients/node/src/fastify.ts";
import type { OrderFilter } from "../../../clients/node/src/order-filter.ts";
import { kyselyCondition } from "../../../clients/node/src/orm/kysely.ts";
import { createDemoOrders, demoDocument } from "../../../src/store/demo-graph.ts";
import { CHECK_KEY, startTestSidecar, type TestSidecar } from "../../http/sidecar-test-support.ts";
import { closedPort } from "./sidecar-proxy.ts";

/**
 * The Express middleware and the Fastify plugin in real apps, over real HTTP, against a real sidecar with the demo
 * graph and the demo orders table: allow passes, deny and approval_required are 403 with the policy's reasons, a
 * sidecar that cannot decide is 503, and the visible-orders middleware gives the handler the rows its ORM may list.
 */
interface Db {
  orders: { id: string; org_id: string; buyer_id: string; total: string };
}

let t: TestSidecar;
let pool: pg.Pool;
let db: Kysely<Db>;

beforeAll(async () => {
  t = await startTestSidecar("client_middleware");
  await t.sidecar.graph.putStaff("ops-1", { roles: ["store_admin"] });
  expect((await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument })).status).toBe(200);
  pool = new pg.Pool({ connectionString: t.databaseUrl });
  await createDemoOrders(pool);
  db = new Kysely<Db>({ dialect: new PostgresDialect({ pool }) });
});
afterAll(async () => {
  await db?.destroy();
  await t?.sidecar.close();
});

const authzClient = (baseUrl: string) => new AuthzClient({ baseUrl, apiKey: CHECK_KEY, retry: { attempts: 2, baseDelayMs: 5 } });

/** The host's own rule for who the caller is (here a header; a session or a JWT in a real shop). */
const userOf = (headers: Record<string, string | string[] | undefined>) => String(headers["x-user"] ?? "");

const listVisible = async (filter: OrderFilter) =>
  (await db.selectFrom("orders").select("id").where(kyselyCondition(filter, { org: "org_id", buyer: "buyer_id" })).orderBy("id").execute()).map((r) => r.id);

type App = { url: string; close(): Promise<void> };

async function expressApp(client: AuthzClient): Promise<App> {
  const authz = expressAuthz(client);
  const app = express();
  app.use(express.json());
  app.post(
    "/orgs/:org/orders",
    authz.requirePermission("order.place", (req) => ({
      subject: { id: userOf(req.headers) },
      org: String(req.params.org),
      resource: { type: "order", org: String(req.params.org), buyer: userOf(req.headers), attributes: { total: Number((req.body as { total: number }).total) } },
    })),
    (_req, res) => void res.status(201).json({ placed: true }),
  );
  app.get(
    "/orgs/:org/orders",
    authz.visibleOrders((req) => ({ subject: { id: userOf(req.headers) }, org: String(req.params.org) })),
    async (_req, res) => void res.json({ orders: await listVisible(visibleOrdersOf(res)) }),
  );
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function fastifyApp(client: AuthzClient): Promise<App> {
  const app: FastifyInstance = Fastify();
  await app.register(fastifyAuthz, { client });
  app.post<{ Params: { org: string }; Body: { total: number } }>(
    "/orgs/:org/orders",
    {
      preHandler: app.requirePermission("order.place", (request) => {
        const { org } = request.params as { org: string };
        const { total } = request.body as { total: number };
        return { subject: { id: userOf(request.headers) }, org, resource: { type: "order", org, buyer: userOf(request.headers), attributes: { total } } };
      }),
    },
    async (_request, reply) => reply.code(201).send({ placed: true }),
  );
  app.get<{ Params: { org: string } }>(
    "/orgs/:org/orders",
    { preHandler: app.visibleOrders((request) => ({ subject: { id: userOf(request.headers) }, org: (request.params as { org: string }).org })) },
    async (request) => ({ orders: await listVisible(request.visibleOrders!) }),
  );
  await app.listen({ port: 0, host: "127.0.0.1" });
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}

describe.each([
  ["Express", expressApp],
  ["Fastify", fastifyApp],
] as const)("%s", (_name, start) => {
  let app: App;
  let down: App;
  beforeAll(async () => {
    app = await start(authzClient(t.sidecar.url));
    down = await start(authzClient(await closedPort()));
  });
  afterAll(async () => {
    await app?.close();
    await down?.close();
  });

  const place = (base: string, user: string, org: string, total: number) =>
    fetch(`${base}/orgs/${org}/orders`, { method: "POST", headers: { "content-type": "application/json", "x-user": user }, body: JSON.stringify({ total }) });
  const list = (base: string, user: string, org: string) => fetch(`${base}/orgs/${org}/orders`, { headers: { "x-user": user } });

  it("lets an allowed request through to the handler", async () => {
    const res = await place(app.url, "carol", "ACME-DE", 100);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ placed: true });
  });

  it("answers 403 with the policy's reasons on deny and on approval_required", async () => {
    const over = await place(app.url, "carol", "ACME-DE", 900);
    expect(over.status).toBe(403);
    const refused = (await over.json()) as { error: { code: string }; decision: string; reasons: { code: string }[] };
    expect(refused.error.code).toBe("forbidden");
    expect(refused.reasons.length).toBeGreaterThan(0);

    const outsider = await place(app.url, "gina", "GLOBEX", 10);
    expect(outsider.status).toBe(403);
    expect(((await outsider.json()) as { decision: string }).decision).toBe("deny");

    const requester = await place(app.url, "dave", "ACME-BER", 10);
    expect(requester.status).toBe(403);
    expect(await requester.json()).toMatchObject({ decision: "approval_required", approvers: { org: expect.any(String) } });
  });

  it("answers 503 when the sidecar cannot decide, and never runs the handler", async () => {
    const res = await place(down.url, "carol", "ACME-DE", 100);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "authorization_unavailable" } });
    expect((await list(down.url, "alice", "ACME")).status).toBe(503);
  });

  it("gives the handler the visible-orders condition for its ORM", async () => {
    const asAlice = (await (await list(app.url, "alice", "ACME")).json()) as { orders: string[] };
    const asBob = (await (await list(app.url, "bob", "ACME-EU")).json()) as { orders: string[] };
    const asIvan = (await (await list(app.url, "ivan", "INITECH")).json()) as { orders: string[] };
    for (const [user, org, got] of [["alice", "ACME", asAlice], ["bob", "ACME-EU", asBob], ["ivan", "INITECH", asIvan]] as const) {
      const { rows } = await pool.query<{ id: string; org_id: string; buyer_id: string }>("select id, org_id, buyer_id from orders order by id");
      const visible = await authzClient(t.sidecar.url).visibleOrders({
        subject: { id: user },
        org,
        orders: rows.map((r) => ({ id: r.id, org: r.org_id, buyer: r.buyer_id })),
      });
      expect(got.orders, user).toEqual([...visible].sort());
    }
    expect(asAlice.orders.length).toBeGreaterThan(asBob.orders.length);
    expect(asIvan.orders).toEqual([]);
  });
});
