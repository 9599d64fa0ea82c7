import { createServer, type Server } from "node:http";
import { Router } from "express";
import type { AddressInfo } from "node:net";
import type { Config, Scope } from "./config.ts";
import { DecisionLog } from "./decisions/decision-log.ts";
import { DecisionService } from "./decisions/decision-service.ts";
import { ShadowEvaluation } from "./decisions/shadow-evaluation.ts";
import { ApiKeys } from "./http/api-keys.ts";
import { createApp } from "./http/app.ts";
import { answerClientError } from "./http/client-error.ts";
import { ConnectionDrain } from "./http/connection-drain.ts";
import { decisionFastPath } from "./http/decision-fast-path.ts";
import { apiRoutes } from "./http/api-routes.ts";
import { explorerPage } from "./http/explorer-page.ts";
import { expressRoutes } from "./http/express-routes.ts";
import type { Route } from "./http/route.ts";
import type { Loggers } from "./logging/logger.ts";
import { createMetrics, registerDecisionLogMetrics, registerMemoMetrics, type Metrics } from "./metrics.ts";
import type { PolicyEngine } from "./policy/policy-engine.ts";
import { startPolicyEngine, startShadowEngine } from "./policy-source.ts";
import { createOrgGraph, type OrgGraph } from "./graph/org-graph.ts";

export interface Sidecar {
  url: string;
  server: Server;
  engine: PolicyEngine;
  graph: OrgGraph;
  metrics: Metrics;
  /** The route table this sidecar serves (src/http/api-routes.ts). */
  routes: readonly Route[];
  /**
   * Stops accepting, answers in-flight and further requests on open connections with `connection: close`, closes
   * connections quiet for a second, force-closes the rest after `graceMs`, then writes out the decision log (every
   * answered decision's event is in its destination) and closes the store.
   */
  close(graceMs?: number): Promise<void>;
}

export interface SidecarOptions {
  config: Config;
  loggers: Loggers;
  apiKeys: ReadonlyMap<string, ReadonlySet<Scope>>;
  version?: string;
  /**
   * Serve the decision endpoints from the node:http fast path in front of express (the default). Tests turn it off
   * to run the same suite through the express routes of the same route table.
   */
  fastPath?: boolean;
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
  const { engine, watch: watcher } = await startPolicyEngine(config, logger, (outcome) => metrics.policyReloads.inc({ outcome: outcome.status }));
  registerMemoMetrics(metrics, () => engine.memoStats);
  registerDecisionLogMetrics(metrics, () => loggers.decisionSink.dropped);
  let graph: OrgGraph;
  try {
    graph = await createOrgGraph(config, logger, metrics);
  } catch (error) {
    watcher.stop();
    throw error;
  }
  const keys = new ApiKeys(options.apiKeys);
  const decisionLog = new DecisionLog(loggers.decisionSink, config.DECISION_LOG_MASK);
  const candidate = await startShadowEngine(config, logger);
  const shadow = candidate && {
    watcher: candidate.watch,
    evaluation: new ShadowEvaluation({ candidate: candidate.engine, sample: config.POLICY_SHADOW_SAMPLE, maxPending: config.POLICY_SHADOW_QUEUE, log: decisionLog, metrics }),
  };
  const decisions = new DecisionService(engine, graph, config, decisionLog, metrics, shadow?.evaluation);
  const routes = apiRoutes({
    decisions,
    graph,
    engine,
    bundleStatus: () => watcher.status(),
    shadow: shadow?.evaluation,
    metrics,
    keys,
    startedAt,
    version: options.version ?? "0.0.0",
  });
  const app = createApp({ logger, bodyLimitBytes: BODY_LIMIT_BYTES, routes, keys, router: Router().use(explorerPage(), expressRoutes(routes, keys)) });
  const onInternal = (error: Error) => logger.error({ err: error }, "request failed");
  const server = createServer({ keepAliveTimeout: 65_000 });
  const drain = new ConnectionDrain(server);
  server.on("clientError", answerClientError);
  const listener = options.fastPath === false ? app : decisionFastPath({ routes, keys, bodyLimitBytes: BODY_LIMIT_BYTES, next: app, onInternal });
  server.on("request", drain.track(listener));

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
      shadow?.watcher.stop();
      await drain.close(graceMs);
      // Every answered decision's event is in its destination before the process may exit.
      await loggers.decisionSink.close();
      await graph.close();
      logger.info("b2b-authz stopped");
    })());

  return { url, server, engine, graph, metrics, routes, close };
}
