import { OPAClient } from "@open-policy-agent/opa";
import { ucastToPrisma } from "@open-policy-agent/ucast-prisma";
import { interpret } from "@ucast/js";
import pg from "pg";
import initSqlJs, { type Database } from "sql.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoDocument } from "../../src/store/demo-graph.ts";
import { importRandomGraph, insertOrders, prepareForRandomGraphs, type RandomOrder } from "./random-graph.ts";
import { captureLogLines, CHECK_KEY, startTestSidecar, type TestSidecar } from "./sidecar-test-support.ts";
import { prismaClient, type Prisma } from "../support/prisma-client.ts";

/**
 * OPA's extended Compile API over order visibility, through the unmodified OPA TypeScript client: getFilters and
 * getMultipleFilters against a running sidecar; the PostgreSQL filter run on a real PostgreSQL table (plain, and
 * through an alias over a mixed-case quoted view), the SQLite filter on a real SQLite (sql.js), the Prisma `where`
 * from @open-policy-agent/ucast-prisma run by a real Prisma client on the same PostgreSQL (both models), and the
 * UCAST tree interpreted by @ucast/js: over randomized graphs, each selects exactly the orders POST
 * /v1/orders/filter keeps.
 */
const PATH = "b2b/orders/scope";
const log = captureLogLines();
let t: TestSidecar;
let db: pg.Pool;
let sqlite: Database;
let opa: OPAClient;
let prisma: ReturnType<typeof prismaClient>;

beforeAll(async () => {
  t = await startTestSidecar("compile_api", { LOG_LEVEL: "info" }, log.destination);
  await prepareForRandomGraphs(t);
  db = new pg.Pool({ connectionString: t.databaseUrl });
  await db.query("create table orders (id text primary key, org_id text not null, buyer_id text not null)");
  // A relation and columns created quoted, in mixed case: reached through mappings and an alias.
  await db.query('create view "ShopOrders" as select id as "Id", org_id as "OrgId", buyer_id as "BuyerId" from orders');
  const SQL = await initSqlJs();
  sqlite = new SQL.Database();
  sqlite.run("create table orders (id text primary key, org_id text not null, buyer_id text not null)");
  opa = new OPAClient(t.sidecar.url, { headers: { authorization: `Bearer ${CHECK_KEY}` } });
  prisma = prismaClient(t.databaseUrl);
});
afterAll(async () => {
  await prisma?.$disconnect();
  sqlite?.close();
  await db?.end();
  await t?.sidecar.close();
});

const mixedCase = { orders: { $self: "o", org_id: "OrgId", buyer_id: "BuyerId" } };

/** getFilters for a target whose filter is never true rejects, as against OPA: its answer has no result. */
async function filtersOrNone<T>(get: () => Promise<T>): Promise<T | "none"> {
  try {
    return await get();
  } catch (error) {
    if (error instanceof Error && /No result for target/.test(error.message)) return "none";
    throw error;
  }
}

async function pgIds(sql: string, where: string, seed: number, text: string): Promise<string[]> {
  if (where === "none") return [];
  const { rows } = await db.query<{ id: string }>(`${sql} ${where === "" ? "where true" : where} and ${text} like $1 order by 1`, [
    `R${seed}-%`,
  ]);
  return rows.map((row) => row.id);
}

describe.each([11, 23, 37, 41])("random graph seed %i", (seed) => {
  it("getFilters and getMultipleFilters select exactly the orders /v1/orders/filter keeps, on every target", async () => {
    const { orders, subjects, consistency } = await importRandomGraph(t, seed);
    await insertOrders(db, orders);
    const rows = orders.map((o: RandomOrder) => ({ id: o.id, org_id: o.org, buyer_id: o.buyer }));
    for (const row of rows) sqlite.run("insert into orders values (?, ?, ?)", [row.id, row.org_id, row.buyer_id]);
    let nonEmpty = 0;
    const kinds = new Set<string>();
    for (const { subject, org } of subjects) {
      const input = { subject, org, consistency };
      const filtered = await t.call("POST", "/v1/orders/filter", { key: CHECK_KEY, body: { ...input, orders } });
      expect(filtered.status).toBe(200);
      kinds.add(filtered.body.kind);
      const expected = [...(filtered.body.visible as string[])].sort();
      const label = `${subject.id} in ${org}`;

      const postgres = await filtersOrNone(() => opa.getFilters(PATH, input, { target: "postgresql" }));
      const plainQuery = postgres === "none" ? "none" : (postgres.query as string);
      expect(await pgIds("select id from orders", plainQuery, seed, "id"), label).toEqual(expected);

      const aliased = await filtersOrNone(() => opa.getFilters(PATH, input, { target: "postgresql", tableMappings: mixedCase }));
      const aliasedQuery = aliased === "none" ? "none" : (aliased.query as string);
      expect(await pgIds('select o."Id" as id from "ShopOrders" o', aliasedQuery, seed, 'o."Id"'), label).toEqual(expected);

      const prismaWhere = await filtersOrNone(() => opa.getFilters(PATH, input, "orders"));
      const ofSeed = { id: { startsWith: `R${seed}-` } };
      const prismaRows =
        prismaWhere === "none"
          ? []
          : await prisma.orders.findMany({ where: { AND: [prismaWhere.query as Prisma.ordersWhereInput, ofSeed] }, orderBy: { id: "asc" } });
      expect(prismaRows.map((row) => row.id), label).toEqual(expected);

      // The same through Prisma's own names for the mixed-case relation. The client drops UCAST mappings from its
      // request (its schema keeps only the SQL dialects' keys), so ucast-prisma's own translations rename here.
      const shopWhere = await filtersOrNone(async () => {
        const { query } = await opa.getFilters(PATH, input, { target: "ucastALL" });
        const translations = { orders: { $self: "shopOrder", org_id: "orgId", buyer_id: "buyerId" } };
        return { query: ucastToPrisma(query as Record<string, unknown>, "shopOrder", { translations }) };
      });
      const shopRows =
        shopWhere === "none"
          ? []
          : await prisma.shopOrder.findMany({ where: { AND: [shopWhere.query as Prisma.ShopOrderWhereInput, ofSeed] }, orderBy: { id: "asc" } });
      expect(shopRows.map((row) => row.id), label).toEqual(expected);

      const multi = await opa.getMultipleFilters(PATH, input, { targets: ["ucastALL", "postgresql", "sqlite"] });
      // The client hands over the result's targets, and undefined for a result without any (never true).
      const targets = (multi ?? {}) as Record<string, { query: any } | undefined>;
      expect(targets.postgresql?.query ?? "none", label).toEqual(plainQuery);
      const ucast = targets.ucast?.query as Record<string, unknown> | undefined;
      const ucastIds =
        ucast === undefined ? [] : rows.filter((row) => Object.keys(ucast).length === 0 || interpret(ucast as never, { orders: row })).map((r) => r.id);
      expect(ucastIds.sort(), label).toEqual(expected);
      // ucast-prisma turns the multitarget's UCAST into the same where as the Prisma target's.
      if (ucast !== undefined && prismaWhere !== "none") expect(ucastToPrisma(ucast, "orders")).toEqual(prismaWhere.query);
      const sqliteQuery = targets.sqlite?.query as string | undefined;
      const sqliteIds =
        sqliteQuery === undefined
          ? []
          : (sqlite.exec(`select id from orders ${sqliteQuery || "where 1"} and id like 'R${seed}-%' order by id`)[0]?.values.flat() ?? []);
      expect(sqliteIds, label).toEqual(expected);
      if (expected.length > 0) nonEmpty++;
    }
    // Not vacuous: some subjects see orders, and more than one kind of answer was compiled.
    expect(nonEmpty).toBeGreaterThan(0);
    expect(kinds.size).toBeGreaterThan(1);
  });
});

describe("OPA's answer shapes", () => {
  let token: string;
  beforeAll(async () => {
    const imported = await t.call("POST", "/v1/import", { actor: "staff:ops-1", body: demoDocument });
    expect(imported.status).toBe(200);
    token = imported.body.graphToken;
  });
  const compile = (accept: string | undefined, body: unknown, path = PATH, key: string | null = CHECK_KEY) =>
    t.call("POST", `/v1/compile/${path}`, { key, body, headers: accept === undefined ? {} : { accept } });
  const carol = () => ({ subject: { id: "carol" }, org: "ACME-DE", consistency: { atLeast: token } });

  it("answers carol's scope in each target, under the media type asked for", async () => {
    const ucast = await compile("application/vnd.opa.ucast.all+json", { input: carol(), unknowns: ["input.orders"] });
    expect(ucast.status).toBe(200);
    expect(ucast.body.result).toEqual({
      query: { type: "field", operator: "in", field: "orders.org_id", value: ["ACME-BER", "ACME-DE"] },
    });
    const mapped = await compile("application/vnd.opa.ucast.prisma+json", {
      input: carol(),
      options: { targetSQLTableMappings: { prisma: { orders: { $self: "shopOrder", org_id: "orgId" } } } },
    });
    expect(mapped.body.result.query.field).toBe("shopOrder.orgId");
    const minimal = await compile("application/vnd.opa.ucast.minimal+json", { input: carol() });
    expect(minimal.body.result.query).toEqual({
      type: "compound",
      operator: "or",
      value: [
        { type: "field", operator: "eq", field: "orders.org_id", value: "ACME-BER" },
        { type: "field", operator: "eq", field: "orders.org_id", value: "ACME-DE" },
      ],
    });
    const res = await fetch(`${t.sidecar.url}/v1/compile/${PATH}`, {
      method: "POST",
      headers: { authorization: `Bearer ${CHECK_KEY}`, accept: "application/vnd.opa.sql.postgresql+json", "content-type": "application/json" },
      body: JSON.stringify({ input: carol(), options: { targetSQLTableMappings: { postgresql: mixedCase } } }),
    });
    expect(res.headers.get("content-type")).toMatch(/^application\/vnd\.opa\.sql\.postgresql\+json/);
    expect(((await res.json()) as { result: unknown }).result).toEqual({ query: `WHERE "o"."OrgId" IN ('ACME-BER', 'ACME-DE')` });
  });

  it("expresses always denied as OPA does: no result, and none per target in a multitarget answer", async () => {
    const stranger = { subject: { id: "nobody" }, org: "ACME-DE", consistency: { atLeast: token } };
    const single = await compile("application/vnd.opa.sql.postgresql+json", { input: stranger });
    expect(single.status).toBe(200);
    expect(single.body).not.toHaveProperty("result");
    expect(single.body).toEqual({ decision_id: expect.any(String), policyRevision: expect.any(String), graphToken: expect.any(String) });
    const multi = await compile("application/vnd.opa.multitarget+json", { input: stranger, options: { targetDialects: ["ucast+prisma", "sql+sqlite"] } });
    expect(multi.body.result).toEqual({});
    await expect(opa.getFilters(PATH, stranger, { target: "postgresql" })).rejects.toThrow(/No result for target/);
  });

  it("keeps values that need quoting inside their literals, in PostgreSQL and SQLite", async () => {
    const tricky = `x' OR '1'='1\\`;
    await t.call("POST", "/v1/orgs", { actor: "staff:ops-1", body: { id: tricky, name: "quotes", parent: "ACME-DE" } });
    const input = { subject: { id: "alice" }, org: tricky };
    const pgAnswer = await compile("application/vnd.opa.sql.postgresql+json", { input });
    expect(pgAnswer.status, JSON.stringify(pgAnswer.body)).toBe(200);
    await db.query("insert into orders values ($1, $2, 'alice'), ('q-other', 'ACME-FR', 'alice')", ["q-1", tricky]);
    const { rows } = await db.query<{ id: string }>(`select id from orders ${pgAnswer.body.result.query as string} order by id`);
    expect(rows.map((r) => r.id)).toEqual(["q-1"]);
    const sqliteAnswer = await compile("application/vnd.opa.sql.sqlite+json", { input });
    sqlite.run("insert into orders values (?, ?, 'alice'), ('q-other', 'ACME-FR', 'alice')", ["q-1", tricky]);
    expect(sqlite.exec(`select id from orders ${sqliteAnswer.body.result.query as string}`)[0]?.values.flat()).toEqual(["q-1"]);
  });

  it("refuses bad requests with a 4xx naming the field", async () => {
    const bad = async (accept: string | undefined, body: unknown, status: number, path: string, urlPath = PATH) => {
      const res = await compile(accept, body, urlPath);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    };
    const sql = "application/vnd.opa.sql.postgresql+json";
    await bad(sql, { input: { subject: {}, org: "ACME-DE" } }, 400, "input.subject.id");
    await bad(sql, {}, 400, "input");
    await bad(undefined, { input: carol() }, 400, "headers.accept");
    await bad("application/json", { input: carol() }, 400, "headers.accept");
    await bad("application/vnd.opa.sql.mysql+json", { input: carol() }, 400, "headers.accept");
    await bad("application/vnd.opa.multitarget+json", { input: carol() }, 400, "options.targetDialects");
    await bad("application/vnd.opa.multitarget+json", { input: carol(), options: { targetDialects: ["sql+sqlserver"] } }, 400, "options.targetDialects.0");
    await bad(sql, { input: carol(), unknowns: ["data.orders"] }, 400, "unknowns.0");
    await bad(sql, { input: carol(), options: { targetSQLTableMappings: { orders: { org_id: 'x"; drop table orders; --' } } } }, 400, "options.targetSQLTableMappings.orders.org_id");
    await bad(sql, { input: carol(), options: { targetSQLTableMappings: { postgresql: { orders: { $self: "a b" } } } } }, 400, "options.targetSQLTableMappings.postgresql.orders.$self");
    await bad(sql, { input: carol() }, 404, "path", "b2b/check/decision");
    expect((await compile(sql, { input: carol() }, PATH, null)).status).toBe(401);
  });

  it("logs a compile as a decision of b2b/orders/scope, with OPA's compile fields", async () => {
    const answer = await compile("application/vnd.opa.ucast.prisma+json", { input: carol(), unknowns: ["input.purchases"] });
    expect(answer.body.result.query.field).toBe("purchases.org_id");
    await expect.poll(() => log.lines.find((line) => line.decision_id === answer.body.decision_id)).toMatchObject({
      log: "decision",
      path: PATH,
      input: { subject: { id: "carol" }, org: "ACME-DE" },
      result: { kind: "conditional" },
      custom: { type: "open-policy-agent/compile", unknowns: ["input.purchases"], targets: ["ucast+prisma"] },
    });
  });
});
