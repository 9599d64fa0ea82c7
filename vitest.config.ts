import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * TEST_TARGET=dist runs the suites against the compiled JavaScript (`npm run build`) instead of the TypeScript
 * sources: every test import of `src/<path>.ts` resolves to `dist/<path>.js`, which is what production runs.
 */
const target = process.env.TEST_TARGET ?? "src";
if (target !== "src" && target !== "dist") throw new Error(`TEST_TARGET must be "src" or "dist", not ${target}`);
const dist = fileURLToPath(new URL("./dist/", import.meta.url));
const clientDist = fileURLToPath(new URL("./clients/node/dist/", import.meta.url));

export default defineConfig({
  resolve: {
    alias:
      target === "dist"
        ? [
            { find: /^(?:\.\.\/)+src\/(.*)\.ts$/, replacement: `${dist}$1.js` },
            { find: /^(?:\.\.\/)+clients\/node\/src\/(.*)\.ts$/, replacement: `${clientDist}$1.js` },
          ]
        : [],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Integration suites share one PostgreSQL and one Redis; files run one at a time so they never race on them.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
