import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { loadConfig } from "../config.ts";
import { AuthzError, describeThrown } from "../errors.ts";
import { policyTreeLimits } from "../decisions/tree-limits.ts";
import { PolicyEngine } from "../policy/policy-engine.ts";
import { openDatabase } from "../store/database.ts";
import { GraphImportExport } from "../store/import-export.ts";
import { migrate } from "../store/migrate.ts";

/**
 * The org graph store from the command line, against DATABASE_URL (or EMBEDDED_DATA_DIR):
 *   migrate               apply pending migrations
 *   import FILE           import a document (the POST /v1/import shape; "-" reads stdin), all-or-nothing
 *   export ROOT | --all   print the tree holding ROOT, or the whole store, as a document
 * Exit status 0 on success; on failure the errors go to stderr, one per line with its path.
 */
const usage = "usage: graph-cli migrate | import FILE | export ROOT|--all";

async function main(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  if (!command || !["migrate", "import", "export"].includes(command) || (command !== "migrate" && !arg)) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const config = loadConfig();
  const logger = pino({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL }, pino.destination(2));
  if (!config.DATABASE_URL && !config.EMBEDDED_DATA_DIR) {
    process.stderr.write("DATABASE_URL (or EMBEDDED_DATA_DIR) is required: an in-memory store would vanish on exit\n");
    return 2;
  }
  const db = await openDatabase(config, logger);
  try {
    const applied = await migrate(db.pool);
    if (command === "migrate") {
      process.stdout.write(applied.length ? `applied ${applied.join(", ")}\n` : "up to date\n");
      return 0;
    }
    const transfer = new GraphImportExport(db.pool, { maxDepth: config.MAX_TREE_DEPTH, maxOrgs: config.MAX_TREE_ORGS });
    if (command === "import") {
      const text = arg === "-" ? await readStdin() : await readFile(arg!, "utf8");
      let document: unknown;
      try {
        document = JSON.parse(text);
      } catch (error) {
        throw new AuthzError("invalid_request", `${arg} is not JSON: ${describeThrown(error)}`);
      }
      // The policy judges the tree limits, as it does for POST /v1/import.
      const engine = await PolicyEngine.start(config.POLICY_BUNDLE);
      const result = await transfer.importDocument(document, policyTreeLimits(engine, config));
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const doc = arg === "--all" ? await transfer.exportAll() : await transfer.exportTree(arg!);
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof AuthzError) {
      process.stderr.write(`${error.code}: ${error.message}\n`);
      for (const d of error.details) process.stderr.write(`  ${d.path}: ${d.message}\n`);
    } else {
      process.stderr.write(`${describeThrown(error)}\n`);
    }
    process.exit(1);
  },
);
