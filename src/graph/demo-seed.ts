import type { Logger } from "pino";
import type { Database } from "../store/database.ts";
import { createDemoOrders, demoDocument } from "../store/demo-graph.ts";
import type { GraphRepository } from "../store/graph-repository.ts";
import type { GraphImportExport } from "../store/import-export.ts";

/**
 * The quick start's demo (README, "A walk through the demo"): an embedded store that starts empty gets the demo
 * org graph and the host-side orders table. A real database (DATABASE_URL) is never seeded.
 */
export async function seedEmbeddedDemo(
  db: Database,
  repository: Pick<GraphRepository, "counts">,
  transfer: Pick<GraphImportExport, "importDocument">,
  log: Logger,
): Promise<void> {
  if (db.kind !== "embedded" || (await repository.counts()).orgs > 0) return;
  await transfer.importDocument(demoDocument);
  await createDemoOrders(db.pool);
  log.info("embedded PostgreSQL loaded with the demo org graph");
}
