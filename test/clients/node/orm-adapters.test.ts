import { alias, pgTable, text } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/node-postgres";
import { and, asc, like } from "drizzle-orm";
import knexFactory, { type Knex } from "knex";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prismaClient, type Prisma } from "../../support/prisma-client.ts";
import { AuthzClient, type OrderFilter } from "../../../clients/node/src/index.ts";
import { drizzleCondition } from "../../../clients/node/src/orm/drizzle.ts";
import { knexCondition } from "../../../clients/node/src/orm/knex.ts";
import { kyselyCondition } from "../../../clients/node/src/orm/kysely.ts";
import { prismaWhere } from "../../../clients/node/src/orm/prisma.ts";
import { prepareForRandomGraphs, randomGraph } from "../../http/random-graph.ts";
import { ADMIN_KEY, CHECK_KEY, startTestSidecar, type TestSidecar } from "../../http/sidecar-test-support.ts";

/**
 * Each ORM adapter compiles the tree of POST /v1/orders/query (through the client) and its ORM runs the query on
 * real PostgreSQL rows: over randomized graphs, every adapter selects exactly the orders POST /v1/orders/filter
 * keeps. The host's table has a mixed-case, quoted name and columns ("StoreOrders"."OrgId"), and is queried under a
 * table alias, the two ways a naive column mapping breaks. Prisma runs its rust-free client over @prisma/adapter-pg;
 * its client is the tests' committed one (test/support/prisma, `npm run prisma:generate`; no engine is downloaded),
 * and the adapter's `where` is checked against that client's own `OrderWhereInput` type.
 */

const storeOrders = pgTable("StoreOrders", { id: text("id").primaryKey(), orgId: text("OrgId").notNull(), buyerId: text("BuyerId") });
const o = alias(storeOrders, "o");

interface Row {
  id: string;
}

let t: TestSidecar;
let pool: pg.Pool;
let kysely: Kysely<{ StoreOrders: { id: string; OrgId: string; BuyerId: string | null } }>;
let knex: Knex;
let prisma: ReturnType<typeof prismaClient>;
let client: AuthzClient;

beforeAll(async () => {
  t = await startTestSidecar("client_orm");
  await prepareForRandomGraphs(t);
  pool = new pg.Pool({ connectionString: t.databaseUrl });
  await pool.query(`create table "StoreOrders" (id text primary key, "OrgId" text not null, "BuyerId" text)`);
  kysely = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: t.databaseUrl }) }) });
  knex = knexFactory({ client: "pg", connection: t.databaseUrl });
  prisma = prismaClient(t.databaseUrl);
  client = new AuthzClient({ baseUrl: t.sidecar.url, apiKey: CHECK_KEY });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await knex?.destroy();
  await kysely?.destroy();
  await pool?.end();
  await t?.sidecar.close();
});

/** The ids each adapter's query returns for one tree, restricted to one graph's orders. */
async function selectedBy(filter: OrderFilter, prefix: string): Promise<Record<string, string[]>> {
  const db = drizzle(pool);
  const drizzleColumns = await db
    .select({ id: o.id })
    .from(o)
    .where(and(like(o.id, `${prefix}%`), drizzleCondition(filter, { org: o.orgId, buyer: o.buyerId })))
    .orderBy(asc(o.id));
  const drizzleStrings = await db
    .select({ id: o.id })
    .from(o)
    .where(and(like(o.id, `${prefix}%`), drizzleCondition(filter, { org: "o.OrgId", buyer: `"o"."BuyerId"` })))
    .orderBy(asc(o.id));
  const kyselyRows = await kysely
    .selectFrom("StoreOrders as o")
    .select("o.id")
    .where("o.id", "like", `${prefix}%`)
    .where(kyselyCondition(filter, { org: "o.OrgId", buyer: "o.BuyerId" }))
    .orderBy("o.id")
    .execute();
  const knexRows = await knex<Row>({ o: "StoreOrders" })
    .select("o.id")
    .where("o.id", "like", `${prefix}%`)
    .where(knexCondition(filter, { org: "o.OrgId", buyer: "o.BuyerId" }))
    .orderBy("o.id");
  const visible: Prisma.OrderWhereInput = prismaWhere(filter, { org: "orgId", buyer: "buyerId" });
  const prismaRows = await prisma.order.findMany({
    where: { AND: [{ id: { startsWith: prefix } }, visible] },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  const ids = (rows: Row[]) => rows.map((row) => row.id);
  return {
    drizzle: ids(drizzleColumns),
    "drizzle (references)": ids(drizzleStrings),
    kysely: ids(kyselyRows),
    knex: ids(knexRows),
    prisma: ids(prismaRows),
  };
}

describe.each([13, 29, 47, 61, 83])("random graph seed %i", (seed) => {
  it("every adapter selects exactly the orders /v1/orders/filter keeps", async () => {
    const { document, orders, pairs } = randomGraph(seed);
    const imported = await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: document, key: ADMIN_KEY });
    expect(imported.status, JSON.stringify(imported.body)).toBe(200);
    client.observeGraphToken(imported.body.graphToken);
    // Some orders have no buyer: a buyer condition must not match them.
    const rows = orders.map((order, i) => ({ ...order, buyer: i % 11 === 0 ? null : order.buyer }));
    await pool.query(`insert into "StoreOrders" (id, "OrgId", "BuyerId") select * from unnest($1::text[], $2::text[], $3::text[])`, [
      rows.map((r) => r.id),
      rows.map((r) => r.org),
      rows.map((r) => r.buyer),
    ]);
    const kinds = new Set<string>();
    let nonEmpty = 0;
    for (const pair of [...pairs, { subject: "ops-1", org: document.orgs[0]!.id, staff: true }]) {
      const subject = "staff" in pair ? { id: pair.subject, kind: "staff" as const } : { id: pair.subject };
      const query = await client.ordersQuery({ subject, org: pair.org });
      kinds.add(query.kind);
      const visible = await client.visibleOrders({
        subject,
        org: pair.org,
        orders: rows.map(({ id, org, buyer }) => (buyer === null ? { id, org } : { id, org, buyer })),
      });
      const expected = [...visible].sort();
      const selected = await selectedBy(query.filter, `R${seed}-`);
      for (const [adapter, ids] of Object.entries(selected)) expect(ids, `${adapter} for ${JSON.stringify(pair)}`).toEqual(expected);
      if (expected.length > 0) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(0);
    expect(kinds.has("conditional")).toBe(true);
  });
});

describe("the trees' edge cases", () => {
  it("always allowed is every row, always denied none", async () => {
    await pool.query(`insert into "StoreOrders" values ('E-1', 'X', null), ('E-2', 'Y', 'amy') on conflict do nothing`);
    const every = (ids: string[]) => ({ drizzle: ids, "drizzle (references)": ids, kysely: ids, knex: ids, prisma: ids });
    expect(await selectedBy({ and: [] }, "E-")).toEqual(every(["E-1", "E-2"]));
    expect(await selectedBy({ or: [] }, "E-")).toEqual(every([]));
    expect(await selectedBy({ or: [{ and: [] }, { or: [] }] }, "E-")).toEqual(every(["E-1", "E-2"]));
    expect(await selectedBy({ and: [{ and: [] }, { or: [] }] }, "E-")).toEqual(every([]));
    expect(await selectedBy({ or: [{ or: [] }, { field: "buyer", op: "eq", value: "amy" }] }, "E-")).toEqual(every(["E-2"]));
  });

  it("a column reference is an identifier, never SQL", () => {
    expect(() => kyselyCondition({ and: [] }, { org: "o.OrgId; drop table x", buyer: "b" })).not.toThrow();
    expect(() => knexCondition({ and: [] }, { org: `"a.b".c`, buyer: "b" })).toThrow(/dot/);
    expect(() => drizzleCondition({ and: [] }, { org: "a..b", buyer: "b" })).toThrow(/column reference/);
  });

  it("a reference that smuggles SQL is refused, and a quoted name is only ever a name", async () => {
    const filter: OrderFilter = { field: "org", op: "eq", value: "X" };
    const smuggled = { org: `o.OrgId" or 1=1 --`, buyer: "o.BuyerId" };
    expect(() => kyselyCondition(filter, smuggled)).toThrow(/column reference/);
    expect(() => knexCondition(filter, smuggled)).toThrow(/column reference/);
    expect(() => drizzleCondition(filter, smuggled)).toThrow(/column reference/);
    const quoted = { org: `o."OrgId"" or 1=1 --"`, buyer: "o.BuyerId" };
    await expect(kysely.selectFrom("StoreOrders as o").select("o.id").where(kyselyCondition(filter, quoted)).execute()).rejects.toThrow(/does not exist/);
    await expect(knex({ o: "StoreOrders" }).select("o.id").where(knexCondition(filter, quoted))).rejects.toThrow(/does not exist/);
  });
});
