import express, { type Router } from "express";
import type { Logger } from "pino";
import { AuthzError } from "../errors.ts";
import type { ApiKeys } from "./api-keys.ts";
import { errorHandler } from "./error-response.ts";
import { readJsonBody } from "./request-body.ts";
import { RequestTarget } from "./request-target.ts";

export interface AppOptions {
  logger: Logger;
  /** Largest accepted JSON body in bytes; larger bodies answer 413. */
  bodyLimitBytes: number;
  /** The routes, mounted at the root (src/http/express-routes.ts). */
  router: Router;
  /** Every route (OpenAPI paths), to name the path parameter a bad segment stands for. */
  routes: readonly { method: string; path: string }[];
  /** Every `/v1` route needs a key: a caller without a known one is refused before its body is read. */
  keys: ApiKeys;
}

/** The express application: request target checks, JSON parsing (request-body.ts), request logging, routes, one error handler. */
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
  const target = new RequestTarget(options.routes);
  app.use((req, _res, next) => {
    try {
      target.check(req.originalUrl);
    } catch (error) {
      next(error);
      return;
    }
    if (req.path.startsWith("/v1/") && !options.keys.isKnown(req.headers.authorization)) {
      req.resume();
      next(options.keys.check(req.headers.authorization, "check"));
      return;
    }
    readJsonBody(req, options.bodyLimitBytes).then((body) => {
      req.body = body;
      next();
    }, next);
  });
  app.use(options.router);
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
