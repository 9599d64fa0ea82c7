import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { Kysely, PostgresDialect, sql, type Generated } from "kysely";
import pg from "pg";

/** The shop's own orders: its database, not the sidecar's. The sidecar only says which of them a buyer may see. */
export interface ShopDatabase {
  orders: { id: string; org_id: string; buyer_id: string; total: string; placed_at: Generated<Date> };
}

export interface OrdersDb {
  db: Kysely<ShopDatabase>;
  close(): Promise<void>;
}

/**
 * The shop's orders in `DATABASE_URL`, or, unset, in a PostgreSQL in the process (PGlite on a loopback port), so the
 * example needs nothing installed. Either way the table is created and holds the demo graph's orders.
 */
export async function openOrdersDb(databaseUrl: string | undefined): Promise<OrdersDb> {
  let embedded: { db: PGlite; server: PGLiteSocketServer } | undefined;
  let connectionString = databaseUrl;
  if (!connectionString) {
    const db = await PGlite.create("memory://");
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
    await server.start();
    embedded = { db, server };
    connectionString = `postgres://postgres@${server.getServerConn()}/postgres`;
  }
  // PGlite serves one session: one connection at a time keeps its statements in order.
  const db = new Kysely<ShopDatabase>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString, max: embedded ? 1 : 10 }) }) });
  await sql`create table if not exists orders (
      id text primary key, org_id text not null, buyer_id text not null,
      total numeric(12, 2) not null, placed_at timestamptz not null default now())`.execute(db);
  await db
    .insertInto("orders")
    .values(demoOrders.map(([id, org_id, buyer_id, total]) => ({ id, org_id, buyer_id, total: String(total) })))
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  return {
    db,
    async close() {
      await db.destroy();
      if (embedded) {
        await embedded.server.stop();
        await embedded.db.close();
      }
    },
  };
}

/** Orders of the sidecar's demo graph (its README's walk-through): who placed what, where. */
const demoOrders: [string, string, string, number][] = [
  ["o1", "ACME", "alice", 1200],
  ["o2", "ACME-EU", "bob", 300],
  ["o3", "ACME-DE", "carol", 450],
  ["o4", "ACME-DE", "erin", 2100],
  ["o5", "ACME-BER", "dave", 80],
  ["o6", "ACME-BER", "carol", 640],
  ["o7", "ACME-FR", "gina", 95],
  ["o8", "ACME-US", "frank", 5000],
  ["o9", "GLOBEX", "frank", 700],
  ["o10", "GLOBEX-OPS", "frank", 40],
];
