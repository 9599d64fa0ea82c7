import express, { type Router } from "express";
import type { Logger } from "pino";
import { AuthzError } from "../errors.ts";
import { errorHandler } from "./error-response.ts";

export interface AppOptions {
  logger: Logger;
  /** Largest accepted JSON body in bytes; larger bodies answer 413. */
  bodyLimitBytes: number;
  /** Routers mounted at the root, in order. */
  routers: Router[];
  /** Routers mounted under /v1, in order. */
  v1: Router[];
}

/** The express application: JSON parsing with a size limit, request logging, routes, one error handler. */
export function createApp(options: AppOptions): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      options.logger.debug(
        { method: req.method, url: req.originalUrl, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        "request",
      );
    });
    next();
  });
  app.use(express.json({ limit: options.bodyLimitBytes, strict: false }));
  for (const router of options.routers) app.use(router);
  for (const router of options.v1) app.use("/v1", router);
  app.use((req, _res, next) => {
    next(new AuthzError("not_found", `no route ${req.method} ${req.path}`));
  });
  app.use(
    errorHandler((error) => {
      options.logger.error({ err: error, cause: error.cause }, "request failed");
    }),
  );
  return app;
}
