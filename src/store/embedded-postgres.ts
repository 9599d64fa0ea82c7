import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

/**
 * PostgreSQL in the process (PGlite, WebAssembly) served on a loopback port by pglite-socket, so `pg`, the
 * migrations, the triggers and LISTEN/NOTIFY are exactly those used against a real server. PGlite runs one
 * session: the socket server multiplexes connections onto it and keeps a transaction's statements together.
 */
export interface EmbeddedPostgres {
  host: string;
  port: number;
  dataDir: string;
  close(): Promise<void>;
}

export async function startEmbeddedPostgres(options: { dataDir?: string; port?: number; maxConnections: number }): Promise<EmbeddedPostgres> {
  const dataDir = options.dataDir ?? "memory://";
  const db = await PGlite.create(dataDir);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port ?? 0, maxConnections: options.maxConnections });
  await server.start();
  const address = server.getServerConn();
  const colon = address.lastIndexOf(":");
  return {
    host: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
    dataDir,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
