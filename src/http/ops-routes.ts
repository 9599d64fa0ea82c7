import { z } from "zod";
import type { Metrics } from "../metrics.ts";
import { bundleRefusalReasons } from "../policy/bundle-refusal.ts";
import type { BundleSourceStatus } from "../policy/bundle-status.ts";
import type { ShadowStatus } from "../decisions/shadow-evaluation.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import type { ApiKeys } from "./api-keys.ts";
import { defineRoute, type Route } from "./route.ts";

/** What operations need from the org graph store: whether it answers, and what it holds. */
export interface GraphHealth {
  status(): Promise<{ reachable: boolean } & Record<string, unknown>>;
}

const partSchema = z.looseObject({ ready: z.boolean() });

const bundleStatusSchema = z.object({
  source: z.string(),
  kind: z.enum(["file", "http"]),
  signed: z.boolean(),
  etag: z.string().nullable(),
  servedFrom: z.enum(["source", "persisted"]).nullable(),
  lastSuccessAt: z.string().nullable(),
  lastError: z.object({ at: z.string(), reason: z.enum(bundleRefusalReasons), message: z.string() }).nullable(),
  nextPollAt: z.string().nullable(),
}) satisfies z.ZodType<BundleSourceStatus>;

/** /health, /health/ready, /metrics and /openapi.json (no key); /v1/status (any key). */
export function opsRoutes(options: {
  engine: PolicyEngine;
  bundleStatus: () => BundleSourceStatus;
  /** The shadow candidate's state, when POLICY_SHADOW_BUNDLE is set. */
  shadow?: { readonly status: ShadowStatus } | undefined;
  graph: GraphHealth;
  metrics: Metrics;
  keys: ApiKeys;
  openapi: () => unknown;
  startedAt: Date;
}): Route[] {
  const { engine, bundleStatus, shadow, graph, metrics, keys, openapi, startedAt } = options;
  return [
    defineRoute({
      method: "get",
      path: "/health",
      summary: "Process is up",
      scope: null,
      response: z.object({ status: z.literal("ok") }),
      handler: () => Promise.resolve({ body: { status: "ok" as const } }),
    }),
    // Without a key, readiness says only ready or not and which part is down: counts, driver errors and the store's
    // address are for callers holding a valid key (any scope).
    defineRoute({
      method: "get",
      path: "/health/ready",
      summary: "Policy loaded and org graph store reachable (503 otherwise, saying which)",
      scope: null,
      response: z.object({ status: z.enum(["ready", "not_ready"]), policy: partSchema, graph: partSchema }),
      handler: async ({ req }) => {
        const detailed = keys.isKnown(req.headers.authorization);
        const store = await graph.status();
        const policy = engine.info;
        const ready = policy !== null && store.reachable;
        const parts = { policy: { ready: policy !== null }, graph: { ready: store.reachable } };
        return {
          status: ready ? 200 : 503,
          body: {
            status: ready ? ("ready" as const) : ("not_ready" as const),
            ...(detailed
              ? {
                  policy: policy ? { ready: true, revision: policy.revision } : { ready: false, error: "no policy loaded" },
                  graph: { ...parts.graph, ...store },
                }
              : parts),
          },
        };
      },
    }),
    defineRoute({
      method: "get",
      path: "/v1/status",
      summary: "Policy revision, bundle source (ETag, last success, last error, next poll), store and cache state, counts",
      scope: "any",
      response: z.object({
        policy: z
          .object({ revision: z.string(), digest: z.string(), source: z.string(), activatedAt: z.string(), entrypoints: z.array(z.string()) })
          .nullable(),
        bundle: bundleStatusSchema,
        shadow: z
          .object({
            revision: z.string().nullable(),
            digest: z.string().nullable(),
            source: z.string().nullable(),
            sample: z.number(),
            evaluated: z.number().int(),
            agreed: z.number().int(),
            disagreed: z.number().int(),
            errors: z.number().int(),
            dropped: z.number().int(),
            pending: z.number().int(),
            disagreements: z.record(z.string(), z.record(z.string(), z.number().int())),
          })
          .nullable(),
        graph: z.looseObject({ reachable: z.boolean() }),
        process: z.object({ pid: z.number(), startedAt: z.string(), uptimeSeconds: z.number() }),
      }),
      handler: async () => ({
        body: {
          policy: engine.info,
          bundle: bundleStatus(),
          shadow: shadow?.status ?? null,
          graph: await graph.status(),
          process: { pid: process.pid, startedAt: startedAt.toISOString(), uptimeSeconds: Math.round(process.uptime()) },
        },
      }),
    }),
    defineRoute({
      method: "get",
      path: "/metrics",
      summary: "Prometheus metrics",
      scope: null,
      produces: "text/plain",
      handler: async () => ({ text: await metrics.registry.metrics(), contentType: metrics.registry.contentType }),
    }),
    defineRoute({
      method: "get",
      path: "/openapi.json",
      summary: "This document",
      scope: null,
      response: z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) }),
      handler: () => Promise.resolve({ body: openapi() as { openapi: string; paths: Record<string, unknown> } }),
    }),
  ];
}
