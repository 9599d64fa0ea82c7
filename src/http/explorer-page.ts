import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import express, { Router } from "express";

/**
 * The decision explorer (explorer/, built by Vite into dist/explorer/): static files under /explorer, never an
 * authority. The page only calls the API, with the key its user types in; it is served with a policy that lets it
 * load nothing but its own files and talk to nothing but this origin.
 */

/** No inline script or style, no eval, no plugins, no framing, no third-party origin; connections to this origin only. */
export const EXPLORER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": EXPLORER_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** dist/explorer/, from src/http/ (tsx) and dist/http/ (compiled) alike: both sit two levels below the project root. */
export const EXPLORER_DIR = fileURLToPath(new URL("../../dist/explorer/", import.meta.url));

/** GET /explorer/ and its assets; without a build the page answers 404 saying how to build it. */
export function explorerPage(dir: string = EXPLORER_DIR): Router {
  const router = Router();
  router.use("/explorer", (_req, res, next) => {
    res.set(SECURITY_HEADERS);
    if (!existsSync(dir)) {
      res.status(404).type("text/plain").send("the explorer is not built: run npm run build\n");
      return;
    }
    next();
  });
  // Vite names assets by content hash, so they may be cached for good; index.html names the current ones.
  router.use(
    "/explorer",
    express.static(dir, {
      index: "index.html",
      setHeaders: (res, path) => {
        res.setHeader("cache-control", path.endsWith(".html") ? "no-cache" : "public, max-age=31536000, immutable");
      },
    }),
  );
  return router;
}
