// Generates the tests' Prisma client (test/support/prisma/generated) offline. `prisma generate` needs no schema
// engine, but the CLI downloads one unless it is told where one is: the path only has to exist, it is not run.
import { spawnSync } from "node:child_process";

const result = spawnSync("npx", ["prisma", "generate", "--schema", "test/support/prisma/schema.prisma"], {
  stdio: "inherit",
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
});
process.exit(result.status ?? 1);
