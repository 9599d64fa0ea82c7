import preact from "@preact/preset-vite";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

/**
 * The decision explorer's build: explorer/ into dist/explorer/, served by the sidecar at /explorer/ (src/http/
 * explorer-page.ts). No inline script or style ends up in index.html, so the page runs under `script-src 'self'`.
 */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/explorer/",
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: fileURLToPath(new URL("../dist/explorer/", import.meta.url)),
    emptyOutDir: true,
    // Current Chromium, Firefox and Safari preload modules themselves: the polyfill would only add code.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
