import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Config, Scope } from "./config.ts";
import { DecisionLog } from "./decisions/decision-log.ts";
import { DecisionService } from "./decisions/decision-service.ts";
import { ApiKeys } from "./http/api-keys.ts";
import { createApp } from "./http/app.ts";
import { dataApiRoutes } from "./http/data-api-routes.ts";
import { answerClientError } from "./http/client-error.ts";
import { ConnectionDrain } from "./http/connection-drain.ts";
import { decisionFastPath } from "./http/decision-fast-path.ts";
import { managementRoutes, managementOperations } from "./http/management-routes.ts";
import { apiOperations } from "./http/api-operations.ts";
import { openApiDocument } from "./http/openapi.ts";
import { opsRoutes } from "./http/ops-routes.ts";
import type { Loggers } from "./logging/logger.ts";
import { createMetrics, registerMemoMetrics, type Metrics } from "./metrics.ts";
import { watchPolicyBundle } from "./policy/bundle-watcher.ts";
import { PolicyEngine } from "./policy/policy-engine.ts";
import { createOrgGraph, type OrgGraph } from "./graph/org-graph.ts";

export interface Sidecar {
  url: string;
  server: Server;
  engine: PolicyEngine;
  graph: OrgGraph;
  metrics: Metrics;
  /**
   * Stops accepting, answers in-flight and further requests on open connections with `connection: close`, closes
   * connections quiet for a second, force-closes the rest after `graceMs`, then closes the store.
   */
  close(graceMs?: number): Promise<void>;
}

export interface SidecarOptions {
  config: Config;
  loggers: Loggers;
  apiKeys: ReadonlyMap<string, ReadonlySet<Scope>>;
  version?: string;
}

/** Largest JSON body: 10,000 orders to filter fit well inside it. */
const BODY_LIMIT_BYTES = 4 * 1024 * 1024;

/** Starts one sidecar process: policy engine (watched), org graph store, HTTP server. */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const { config, loggers } = options;
  const logger = loggers.app;
  const startedAt = new Date();
  for (const { setting, replacement } of config.deprecated) {
    logger.warn({ setting, replacement }, `${setting} is deprecated: set ${replacement} instead`);
  }
  const metrics = createMetrics();
  const engine = await PolicyEngine.start(config.POLICY_BUNDLE, { logger, memoMaxChars: config.DECISION_MEMO_MAX_CHARS });
  registerMemoMetrics(metrics, () => engine.memoStats);
  const watcher = watchPolicyBundle(engine, config.POLICY_BUNDLE, config.POLICY_WATCH_INTERVAL_MS, logger, (outcome) =>
    metrics.policyReloads.inc({ outcome: outcome.status }),
  );
  let graph: OrgGraph;
  try {
    graph = await createOrgGraph(config, logger, metrics);
  } catch (error) {
    watcher.stop();
    throw error;
  }
  const keys = new ApiKeys(options.apiKeys);
  const decisions = new DecisionService(engine, graph, config, new DecisionLog(loggers.decisions, config.DECISION_LOG_MASK), metrics);
  const operations = apiOperations(managementOperations);
  const document = openApiDocument(operations, options.version ?? "0.0.0");
  const app = createApp({
    logger,
    bodyLimitBytes: BODY_LIMIT_BYTES,
    routes: operations,
    routers: [opsRoutes({ engine, graph, metrics, keys, openapi: () => document, startedAt })],
    v1: [dataApiRoutes(decisions, keys), managementRoutes({ decisions, graph, keys })],
  });
  const onInternal = (error: Error) => logger.error({ err: error }, "request failed");
  const server = createServer({ keepAliveTimeout: 65_000 });
  const drain = new ConnectionDrain(server);
  server.on("clientError", answerClientError);
  server.on("request", drain.track(decisionFastPath({ decisions, keys, bodyLimitBytes: BODY_LIMIT_BYTES, next: app, onInternal })));

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.PORT, config.HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  logger.info({ url, policyRevision: engine.revision }, "b2b-authz listening");

  let closing: Promise<void> | undefined;
  const close = (graceMs = 10_000) =>
    (closing ??= (async () => {
      watcher.stop();
      await drain.close(graceMs);
      await graph.close();
      logger.info("b2b-authz stopped");
    })());

  return { url, server, engine, graph, metrics, close };
}
