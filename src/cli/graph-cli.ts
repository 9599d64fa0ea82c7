import { readFile } from "node:fs/promises";
import { pino } from "pino";
import { loadConfig } from "../config.ts";
import { AuthzError, describeThrown } from "../errors.ts";
import { policyTreeLimits } from "../decisions/tree-limits.ts";
import { isPlatform, mapPlatformExport, permissionCatalog, platforms, withSourcePaths, type MappedExport, type Platform } from "../importers/index.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import { startPolicyEngine } from "../policy-source.ts";
import { openDatabase } from "../store/database.ts";
import { GraphImportExport } from "../store/import-export.ts";
import { migrate } from "../store/migrate.ts";

/**
 * The org graph store from the command line, against DATABASE_URL (or EMBEDDED_DATA_DIR):
 *   migrate               apply pending migrations
 *   import FILE           import a document (the POST /v1/import shape; "-" reads stdin), all-or-nothing
 *   import --from PLATFORM FILE…
 *                         map a platform's export (docs/importers.md) to a document and import it
 *     --dry-run           print the mapped document, its counts and the report; write nothing (no store needed)
 *     --prune             also remove the orgs and memberships of the imported trees the input no longer holds
 *   export ROOT | --all   print the tree holding ROOT, or the whole store, as a document
 * Exit status 0 on success; on failure the errors go to stderr, one per line with its path.
 */
const usage = `usage: graph-cli migrate | import [--prune] FILE | import --from ${platforms.join("|")} [--dry-run] [--prune] FILE… | export ROOT|--all`;

interface ImportArgs {
  from?: Platform;
  dryRun: boolean;
  prune: boolean;
  files: string[];
}

function importArgs(args: string[]): ImportArgs | string {
  const out: ImportArgs = { dryRun: false, prune: false, files: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--from") {
      const value = args[++i];
      if (!isPlatform(value)) return `--from needs one of ${platforms.join(", ")}${value ? ` (not ${value})` : ""}`;
      out.from = value;
    } else if (arg === "--dry-run") out.dryRun = true;
    else if (arg === "--prune") out.prune = true;
    else if (arg.startsWith("--")) return `unknown option ${arg}`;
    else out.files.push(arg);
  }
  if (out.files.length === 0) return "import needs a FILE";
  if (!out.from && out.files.length > 1) return "import takes one document; several files need --from";
  if (!out.from && out.dryRun) return "--dry-run needs --from";
  return out;
}

/** The sidecar's policy, as it would load it (a remote bundle downloaded, a signature verified), without watching. */
async function policyEngineOnce(config: ReturnType<typeof loadConfig>): Promise<PolicyEngine> {
  const { engine, watch } = await startPolicyEngine(config);
  const status = watch.status();
  watch.stop();
  if (engine.revision === null) {
    throw new AuthzError("policy_unavailable", `no valid policy bundle at ${status.source}: ${status.lastError?.message ?? "not loaded"}`);
  }
  return engine;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const args = command === "import" ? importArgs(rest) : undefined;
  if (!command || !["migrate", "import", "export"].includes(command) || (command === "export" && !rest[0]) || typeof args === "string") {
    process.stderr.write(`${typeof args === "string" ? `${args}\n` : ""}${usage}\n`);
    return 2;
  }
  const config = loadConfig();
  // One engine for an import: the platform mapping reads its catalog, and it judges the tree limits, as for
  // POST /v1/import.
  const engine = args ? await policyEngineOnce(config) : undefined;
  let mapped: MappedExport | undefined;
  if (args?.from && engine) {
    const files = await Promise.all(args.files.map(async (name) => ({ name, content: parseJson(name, await readText(name)) })));
    mapped = mapPlatformExport(args.from, files, permissionCatalog(engine.bundleData("b2b.catalog")));
    for (const note of mapped.notes) process.stderr.write(`note: ${note.path}: ${note.message}\n`);
    if (args.dryRun) {
      process.stdout.write(`${JSON.stringify({ platform: mapped.platform, counts: mapped.counts, notes: mapped.notes, document: mapped.document }, null, 2)}\n`);
      return 0;
    }
  }
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
    if (args && engine) {
      const file = args.files[0]!;
      const document = mapped ? mapped.document : parseJson(file, await readText(file));
      const result = await transfer
        .importDocument(document, { judge: policyTreeLimits(engine, config), prune: args.prune })
        .catch((error: unknown) => {
          throw mapped ? withSourcePaths(error, mapped.origins) : error;
        });
      process.stdout.write(`${JSON.stringify(mapped ? { platform: mapped.platform, ...result, notes: mapped.notes } : result)}\n`);
      return 0;
    }
    const arg = rest[0]!;
    const doc = arg === "--all" ? await transfer.exportAll() : await transfer.exportTree(arg);
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  } finally {
    await db.close();
  }
}

async function readText(name: string): Promise<string> {
  return name === "-" ? readStdin() : readFile(name, "utf8");
}

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AuthzError("invalid_request", `${name} is not JSON: ${describeThrown(error)}`, { details: [{ path: name, message: "not JSON" }] });
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
