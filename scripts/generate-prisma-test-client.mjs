// Generates the Prisma client the ORM adapter suite runs (test/clients/prisma/schema.prisma, into its generated/,
// which git ignores). Prisma 7's rust-free client needs no query engine, and `generate` needs no schema engine:
// pointing the CLI at an existing executable keeps it from trying to fetch a binary it would not run.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const schema = fileURLToPath(new URL("../test/clients/prisma/schema.prisma", import.meta.url));
const cli = createRequire(import.meta.url).resolve("prisma/build/index.js");
execFileSync(process.execPath, [cli, "generate", "--schema", schema], {
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? "/bin/true", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  stdio: process.env.CI ? "inherit" : "pipe",
});
