// Production build: a clean dist/ from tsc (tsconfig.build.json), plus the SQL migrations the store applies at
// start-up, which tsc does not copy; the decision explorer (explorer/) built by Vite into dist/explorer/; and the
// typed client's own dist/ (clients/node, an npm workspace).
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
cpSync(join(root, "src/store/migrations"), join(root, "dist/store/migrations"), { recursive: true });
const { build } = await import("vite");
await build({ configFile: join(root, "explorer/vite.config.ts"), logLevel: "warn" });
rmSync(join(root, "clients/node/dist"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "clients/node/tsconfig.json")], { stdio: "inherit" });
