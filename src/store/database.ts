import pg from "pg";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.ts";

export type StoreKind = "postgres" | "embedded";

export interface Database {
  kind: StoreKind;
  pool: pg.Pool;
  /** For extra connections (the change listener). */
  connection: pg.ClientConfig;
  embedded?: EmbeddedPostgres;
  /** Receives NOTIFY payloads that arrive on pool connections (see PgChangeFeed.deliver). */
  onNotification(handler: (payload: string | undefined) => void): void;
  close(): Promise<void>;
}

/** Bounds every query so a PostgreSQL that stopped answering turns into graph_unavailable, not a hang. */
const QUERY_TIMEOUT_MS = 10_000;
/** Connections of an external PostgreSQL opened and warmed at start-up, and never closed as idle. */
export const WARM_CONNECTIONS = 4;
const CONNECT_TIMEOUT_MS = 5_000;

/** PostgreSQL at DATABASE_URL, or the embedded one when it is unset. */
export async function openDatabase(
  config: Pick<Config, "DATABASE_URL" | "PG_POOL_MAX" | "EMBEDDED_DATA_DIR" | "EMBEDDED_PG_PORT">,
  logger: Logger,
): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let connection: pg.ClientConfig;
  if (config.DATABASE_URL) {
    connection = { connectionString: config.DATABASE_URL };
  } else {
    // Connections beyond the pool: the change listener and the CLI's occasional one.
    embedded = await startEmbeddedPostgres({
      dataDir: config.EMBEDDED_DATA_DIR,
      port: config.EMBEDDED_PG_PORT,
      maxConnections: config.PG_POOL_MAX + 4,
    });
    connection = { host: embedded.host, port: embedded.port, user: "postgres", database: "postgres" };
    logger.info(
      { dataDir: embedded.dataDir, url: `postgres://postgres@${embedded.host}:${embedded.port}/postgres?sslmode=disable` },
      "embedded PostgreSQL started (no DATABASE_URL)",
    );
  }
  connection = {
    ...connection,
    application_name: "b2b-authz",
    query_timeout: QUERY_TIMEOUT_MS,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    keepAlive: true,
  };
  // An external server keeps a few connections open for good (min): a new backend's first queries are slow.
  const pool = new pg.Pool({
    ...connection,
    max: config.PG_POOL_MAX,
    min: embedded ? 0 : Math.min(WARM_CONNECTIONS, config.PG_POOL_MAX),
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server emits 'error' on the pool; without a listener node would crash.
  pool.on("error", (error) => logger.warn({ err: error }, "PostgreSQL connection lost"));
  let forward: ((payload: string | undefined) => void) | undefined;
  pool.on("connect", (client) => {
    client.on("notification", (n) => forward?.(n.payload));
  });
  return {
    kind: embedded ? "embedded" : "postgres",
    pool,
    connection,
    ...(embedded ? { embedded } : {}),
    onNotification(handler) {
      forward = handler;
    },
    async close() {
      await pool.end();
      await embedded?.close();
    },
  };
}
