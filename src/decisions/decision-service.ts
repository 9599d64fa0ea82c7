import { randomUUID } from "node:crypto";
import { z } from "zod";
import { adminOperations } from "../model/policy-data.generated.ts";
import type { Config } from "../config.ts";
import { AuthzError, toAuthzError, type ErrorDetail } from "../errors.ts";
import type { Metrics } from "../metrics.ts";
import type { AdminDecision, Decision, EntrypointName, EntrypointResult } from "../policy/entrypoints.ts";
import { entrypoints } from "../policy/entrypoints.ts";
import type { PolicyEngine } from "../policy/policy-engine.ts";
import { parseOrThrow } from "../validation.ts";
import type { DecisionLog } from "./decision-log.ts";
import type { AdminSliceRequest, DecisionFacts, GraphSlice } from "./graph-port.ts";
import {
  batchRequestSchema,
  checkRequestSchema,
  permissionsRequestSchema,
  type BatchRequest,
  type CheckRequest,
  type CompileRequest,
  type OrdersFilterRequest,
  type OrdersQueryRequest,
  type PermissionsRequest,
  type Resource,
  type Subject,
} from "./decision-schemas.ts";
import { policyInputJson, policyInputOfText } from "./input-json.ts";
import type { ShadowEvaluation } from "./shadow-evaluation.ts";
import { TurnQueue } from "./turn-queue.ts";
import { filterToPredicate, filterToSql, orderFilter } from "./order-filter.ts";
import {
  compileFilter,
  DEFAULT_UNKNOWN,
  tableNames,
  targetDialectName,
  unknownPattern,
  type CompiledFilter,
  type CompileTarget,
  type TableNames,
} from "./compile-targets.ts";
import type { TreeLimitJudge } from "../model/tree-limits.ts";
import { policyTreeLimits } from "./tree-limits.ts";

export type { AdminOperation } from "./graph-port.ts";

export type StoreSettings = Pick<Config, "MAX_TREE_DEPTH" | "MAX_TREE_ORGS" | "BUYER_ORG_STATUS" | "BUYER_ORG_ROLE">;

interface Stamped {
  decisionId: string;
  policyRevision: string;
  graphToken: string;
}

/** Entry points the OPA Data API may evaluate, by path: the input each accepts and the slice it needs. */
const dataApiEntrypoints = new Map<string, { name: EntrypointName; input: z.ZodType<DataInput>; subtree: boolean }>([
  [entrypoints.check.path, { name: "check", input: checkRequestSchema, subtree: false }],
  [entrypoints.batch.path, { name: "batch", input: batchRequestSchema, subtree: false }],
  [entrypoints.orderScope.path, { name: "orderScope", input: permissionsRequestSchema, subtree: true }],
  [entrypoints.permissions.path, { name: "permissions", input: permissionsRequestSchema, subtree: false }],
]);

type DataInput = {
  subject: Subject;
  org: string;
  resource?: Resource | undefined;
  checks?: { resource?: Resource | undefined }[];
  consistency?: { atLeast: string } | undefined;
};

const UNKNOWN_ACTION = "unknown_action";

/** A compile's filters, one per target asked for, and the decision's stamp. */
export interface CompileAnswer {
  filters: { target: CompileTarget; filter: CompiledFilter }[];
  stamp: Stamped;
}

/** What a check's decision reads besides the subject and org: the resource's facts and its input; live and replayed alike. */
function checkFacts(request: CheckRequest) {
  return {
    resources: request.resource ? [request.resource] : [],
    input: { action: request.action, ...(request.resource ? { resource: request.resource } : {}) },
  };
}

/** The same for a batch: every check's resource, and the checks as the policy's input. */
function batchFacts(request: BatchRequest) {
  return { resources: request.checks.flatMap((c) => (c.resource ? [c.resource] : [])), input: { checks: request.checks } };
}

/**
 * A batch this long takes its turn like an order scope (src/decisions/turn-queue.ts): from about a hundred checks
 * its evaluation outlasts the extra turn of the event loop it waits for; a shorter one is answered at once.
 */
const LONG_BATCH_CHECKS = 100;

/** The logged entrypoints a decision can be replayed at (role validation and tree limits are not decisions). */
const replayable = new Map<string, Exclude<EntrypointName, "roleValidation" | "treeLimits">>(
  (["check", "batch", "orderScope", "permissions", "admin"] as const).map((name) => [entrypoints[name].path, name]),
);

/** An administration decision's input as it is logged: the actor as `subject` (see authorizeAdmin). */
const adminReplaySchema = z.object({
  subject: z.object({ id: z.string().min(1), kind: z.enum(["user", "staff"]).optional() }),
  operation: z.enum(adminOperations),
  org: z.string().min(1).optional(),
  change: z.unknown().optional(),
});

export type ReplayAnswer = { result: unknown; error?: undefined } | { result?: undefined; error: { code: string; message: string } };

export interface Replayed {
  name: EntrypointName;
  /** The input as the policy saw it, less the graph and settings. */
  requestInput: Record<string, unknown>;
  /** The root of the acting org's tree, or null when the org is unknown. */
  tree: string | null;
  /** One per engine, in order. */
  answers: ReplayAnswer[];
}

/**
 * Answers decisions: gathers the slice of the org graph, evaluates the policy, stamps the answer with a decision
 * id, the policy revision and the graph token, and writes one decision log event. Any failure is an AuthzError
 * (policy_unavailable, graph_unavailable, ...), never an allow.
 */
export class DecisionService {
  constructor(
    private readonly engine: PolicyEngine,
    private readonly facts: DecisionFacts,
    settings: StoreSettings,
    private readonly log: DecisionLog,
    private readonly metrics?: Metrics,
    private readonly shadow?: ShadowEvaluation,
  ) {
    this.treeLimits = policyTreeLimits(engine, settings);
    this.settingsJson = JSON.stringify({
      maxDepth: settings.MAX_TREE_DEPTH,
      maxOrgs: settings.MAX_TREE_ORGS,
      buyerOrgStatus: settings.BUYER_ORG_STATUS,
      buyerOrgRole: settings.BUYER_ORG_ROLE,
    });
  }

  /** The store settings as the policy reads them (`input.settings`), serialized once. */
  private readonly settingsJson: string;

  /** The policy's tree limits, for the store to judge an import's trees with under its locks. */
  readonly treeLimits: TreeLimitJudge;

  /** Evaluations over a whole subtree (order scopes) and batches take turns, so checks are not stuck behind them. */
  private readonly longTurns = new TurnQueue();

  private readonly boundMetrics = new Map<string, { count: { inc(): void }; seconds: { observe(value: number): void } }>();


  async check(request: CheckRequest): Promise<Decision & Stamped> {
    const { result, stamp } = await this.decide("check", "check", request, checkFacts(request));
    rejectUnknownActions([result], () => "action");
    return { ...result, ...stamp };
  }

  async batch(request: BatchRequest): Promise<{ results: Decision[] } & Stamped> {
    const { result, stamp } = await this.decide("batch", "batch", request, { ...batchFacts(request), long: request.checks.length >= LONG_BATCH_CHECKS });
    if (result.length !== request.checks.length) {
      throw new AuthzError("policy_unavailable", `batch answered ${result.length} results for ${request.checks.length} checks`);
    }
    rejectUnknownActions(result, (i) => `checks.${i}.action`);
    return { results: result, ...stamp };
  }

  async permissions(request: PermissionsRequest) {
    const { result, stamp } = await this.decide("permissions", "permissions", request, { input: {} });
    return { ...result, ...stamp };
  }

  /**
   * The subject's effective permissions at `request.org` and at every org below it, in tree order (parents before
   * children): one policy decision (b2b/permissions/effective) per org, each with its own decision id and log
   * event. The orgs come from the acting tree's subtree slice; every later slice is read at least as new as the
   * first, so the answers never mix an older view of the tree with a newer one.
   */
  async permissionsTree(request: PermissionsRequest) {
    const first = await this.gatherFor(request, { subtree: true })();
    const atLeast = { atLeast: first.graphToken };
    const orgs = Object.entries(first.graph.orgs)
      .filter(([, o]) => o.path.includes(request.org))
      .sort(([, a], [, b]) => comparePaths(a.path, b.path));
    const ids = orgs.length > 0 ? orgs.map(([id]) => id) : [request.org];
    const answers = [];
    let last: Stamped | undefined;
    for (const org of ids) {
      const { result, stamp } = await this.decide("permissions", "permissions.tree", { ...request, org, consistency: atLeast }, { input: {} });
      answers.push({ org, parent: first.graph.orgs[org]?.parent ?? null, ...result, decisionId: stamp.decisionId });
      last = stamp;
    }
    return { org: request.org, orgs: answers, policyRevision: last?.policyRevision ?? "", graphToken: last?.graphToken ?? first.graphToken };
  }

  async ordersQuery(request: OrdersQueryRequest) {
    const { result, stamp } = await this.decide("orderScope", "orders.query", request, { subtree: true, input: {} });
    const filter = orderFilter(result, request.subject.id);
    return { kind: result.kind, scope: result.scope, reasons: result.reasons, filter, sql: filterToSql(filter, request.columns), ...stamp };
  }

  async ordersFilter(request: OrdersFilterRequest) {
    const { result, stamp } = await this.decide("orderScope", "orders.filter", request, { subtree: true, input: {} });
    const visible = filterToPredicate(orderFilter(result, request.subject.id));
    return { visible: request.orders.filter(visible).map((order) => order.id), kind: result.kind, ...stamp };
  }

  /**
   * OPA's Data API over the compiled entrypoints: the caller sends the request part of the input, the sidecar adds
   * the graph slice, so unmodified OPA clients get the same answers as the native endpoints.
   */
  async data(path: string, input: unknown): Promise<{ result: unknown; decision_id: string } & Omit<Stamped, "decisionId">> {
    const entry = dataApiEntrypoints.get(entrypointPath(path));
    if (!entry) {
      throw new AuthzError("not_found", `no decision at data path "${path}"`, {
        details: [{ path: "path", message: `one of: ${[...dataApiEntrypoints.keys()].join(", ")}` }],
      });
    }
    const request = parseOrThrow(entry.input, input, "input");
    const resources = [
      ...(request.resource ? [request.resource] : []),
      ...(request.checks ?? []).flatMap((c) => (c.resource ? [c.resource] : [])),
    ];
    const { consistency: _, ...policyInput } = request;
    const { result, stamp } = await this.decide(entry.name, `data.${entry.name}`, request, {
      resources,
      subtree: entry.subtree,
      long: (request.checks?.length ?? 0) >= LONG_BATCH_CHECKS,
      input: policyInput,
    });
    return { result, decision_id: stamp.decisionId, policyRevision: stamp.policyRevision, graphToken: stamp.graphToken };
  }

  /**
   * OPA's extended Compile API over order visibility: the filter of `/v1/orders/query`, compiled for each target
   * the caller asked for (`Accept`, `options.targetDialects`) with its table and column mappings. Logged as a
   * decision of b2b/orders/scope, with OPA's compile fields under `custom`.
   */
  async compile(path: string, request: CompileRequest, targets: readonly CompileTarget[]): Promise<CompileAnswer> {
    if (entrypointPath(path) !== entrypoints.orderScope.path) {
      throw new AuthzError("not_found", `no filter rule at compile path "${path}"`, {
        details: [{ path: "path", message: `must be ${entrypoints.orderScope.path}` }],
      });
    }
    const unknown = request.unknowns?.[0] ?? DEFAULT_UNKNOWN;
    const table = unknownPattern.exec(unknown)?.[1] ?? "orders";
    // Mappings are checked before the decision: a bad name is the caller's 400, not a logged decision.
    const names = targets.map((target) => tableNames(request.options.targetSQLTableMappings, target, table));
    const { input } = request;
    const { result, stamp } = await this.decide("orderScope", "compile", input, {
      subtree: true,
      input: {},
      custom: { type: "open-policy-agent/compile", unknowns: [unknown], targets: targets.map(targetDialectName) },
    });
    const filter = orderFilter(result, input.subject.id);
    return { filters: targets.map((target, i) => ({ target, filter: compileFilter(filter, target, names[i] as TableNames) })), stamp };
  }

  /**
   * Asks the policy whether `actor` may perform a management operation. Resolves with the decision (and its
   * effects) when allowed; otherwise throws the error class the policy's answer names (`error`: conflict for a
   * cycle, unprocessable for a tree limit, not_found for an org unknown to staff, forbidden otherwise), with the
   * policy's reasons as details.
   */
  async authorizeAdmin(request: AdminSliceRequest): Promise<AdminDecision & Stamped> {
    const input = {
      subject: request.actor,
      operation: request.operation,
      ...(request.org !== undefined ? { org: request.org } : {}),
      ...(request.change !== undefined ? { change: request.change } : {}),
    };
    const { result, stamp } = await this.evaluateLogged("admin", `admin.${request.operation}`, input, () =>
      this.facts.adminSlice(request),
    );
    if (result.allow) return { ...result, ...stamp };
    const details = result.reasons.map((r) => ({ path: r.code, message: r.message }));
    const summary = result.reasons.map((r) => r.message).join("; ") || "denied by policy";
    // The policy names the class of its refusal; the engine's schema holds every deny to naming one.
    throw new AuthzError(result.error ?? "forbidden", summary, { details });
  }

  /** The built-in role templates shipped in the policy bundle, by key. */
  builtInRoles(): Record<string, unknown> | undefined {
    const roles = this.engine.bundleData("b2b.templates.roles");
    return roles !== null && typeof roles === "object" ? (roles as Record<string, unknown>) : undefined;
  }

  /** The active bundle's permission catalog (`b2b.catalog`: codes, levels, aliases), for the platform importers. */
  catalogData(): unknown {
    return this.engine.bundleData("b2b.catalog");
  }

  /** Checks a role definition against the permission catalog; invalid roles are unprocessable, naming each field. */
  validateRole(role: unknown, where = "role"): void {
    const verdict = this.engine.evaluate("roleValidation", { role });
    if (verdict.valid) return;
    const details = verdict.errors.map((e) => ({ path: e.field === "role" ? where : `${where}.${e.field}`, message: e.message }));
    throw new AuthzError("unprocessable", `invalid role: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, {
      details,
    });
  }

  /**
   * Re-evaluates a logged decision (its entrypoint path and request input, as a decision log event holds them)
   * against the graph as it is now, on each of `engines`, with the facts gathered once: what impact analysis
   * compares. The input is validated as a request of that entrypoint; an engine's failure is its answer's error.
   */
  async replay(path: string, input: unknown, engines: readonly PolicyEngine[]): Promise<Replayed> {
    const name = replayable.get(path);
    if (!name) throw new AuthzError("invalid_request", `no replayable decision at path "${path}"`, { details: [{ path: "path", message: `one of: ${[...replayable.keys()].join(", ")}` }] });
    let requestInput: Record<string, unknown>;
    let gather: () => Promise<GraphSlice>;
    if (name === "admin") {
      const request = parseOrThrow(adminReplaySchema, input, "input");
      requestInput = request;
      gather = () => this.facts.adminSlice({ actor: request.subject, operation: request.operation, org: request.org, change: request.change });
    } else if (name === "check" || name === "batch") {
      const request = name === "check" ? parseOrThrow(checkRequestSchema, input, "input") : parseOrThrow(batchRequestSchema, input, "input");
      const facts = "checks" in request ? batchFacts(request) : checkFacts(request);
      requestInput = { subject: request.subject, org: request.org, ...facts.input };
      gather = this.gatherFor(request, facts);
    } else {
      const request = parseOrThrow(permissionsRequestSchema, input, "input");
      requestInput = { subject: request.subject, org: request.org };
      gather = this.gatherFor(request, { subtree: name === "orderScope" });
    }
    const slice = await gather();
    const json = policyInputJson(requestInput, this.settingsJson, slice.graph);
    const answers = engines.map((engine): ReplayAnswer => {
      try {
        return { result: engine.evaluateJson(name, json) };
      } catch (thrown) {
        const error = toAuthzError(thrown, "policy_unavailable", `evaluating ${path} failed`);
        return { error: { code: error.code, message: error.message } };
      }
    });
    return { name, requestInput, tree: slice.graph.tree?.root ?? null, answers };
  }

  /** The slice for a decision about `request`, reaching the resources' orgs and, if asked, the subtree. */
  private gatherFor(
    request: { subject: Subject; org: string; consistency?: { atLeast: string } | undefined },
    options: { resources?: Resource[]; subtree?: boolean },
  ): () => Promise<GraphSlice> {
    const resourceOrgs = [...new Set((options.resources ?? []).flatMap((r) => (r.org && r.org !== request.org ? [r.org] : [])))];
    return () =>
      this.facts.slice({
        subject: request.subject,
        org: request.org,
        ...(resourceOrgs.length > 0 ? { resourceOrgs } : {}),
        ...(options.subtree ? { subtree: true } : {}),
        ...(request.consistency ? { atLeast: request.consistency.atLeast } : {}),
      });
  }

  private decide<E extends EntrypointName>(
    name: E,
    endpoint: string,
    request: { subject: Subject; org: string; consistency?: { atLeast: string } | undefined },
    options: { resources?: Resource[]; subtree?: boolean; long?: boolean; input: Record<string, unknown>; custom?: Record<string, unknown> },
  ): Promise<{ result: EntrypointResult<E>; stamp: Stamped }> {
    const requestInput = { subject: request.subject, org: request.org, ...options.input };
    const gather = this.gatherFor(request, options);
    if (!options.subtree && !options.long) return this.evaluateLogged(name, endpoint, requestInput, gather, options.custom);
    // The slice is gathered first (it may wait for I/O), then the evaluation waits for its turn.
    return this.evaluateLogged(name, endpoint, requestInput, async () => {
      const slice = await gather();
      await this.longTurns.turn();
      return slice;
    }, options.custom);
  }

  /** Gathers the facts, evaluates, logs one decision event and observes metrics; failures are logged and rethrown typed. */
  private async evaluateLogged<E extends EntrypointName>(
    name: E,
    endpoint: string,
    requestInput: Record<string, unknown>,
    gather: () => Promise<GraphSlice>,
    custom?: Record<string, unknown>,
  ): Promise<{ result: EntrypointResult<E>; stamp: Stamped }> {
    const started = performance.now();
    const decisionId = randomUUID();
    const path = entrypoints[name].path;
    let graphToken: string | null = null;
    try {
      const slice = await gather();
      graphToken = slice.graphToken;
      // One serialization of the request serves the policy input and the decision log line.
      const inputJson = JSON.stringify(requestInput);
      const input = policyInputOfText(inputJson, this.settingsJson, slice.graph);
      const result = this.engine.evaluateInput(name, input);
      const policyRevision = this.engine.revision ?? "";
      const durationNs = Math.round((performance.now() - started) * 1e6);
      if (this.log.enabled) {
        this.log.write({ decisionId, path, input: requestInput, inputJson, result, revision: policyRevision, digest: this.engine.digest, graphToken, durationNs, custom });
      }
      this.observe(endpoint, outcomeOf(result), durationNs);
      // Only queued here: the candidate answers after this answer has been sent (shadow-evaluation.ts).
      this.shadow?.offer(() => ({ name, decisionId, path, requestInput, input, live: result, liveRevision: policyRevision }));
      return { result, stamp: { decisionId, policyRevision, graphToken } };
    } catch (thrown) {
      const error = toAuthzError(thrown, "internal", `${endpoint} failed`);
      const durationNs = Math.round((performance.now() - started) * 1e6);
      this.log.write({
        decisionId,
        path,
        input: requestInput,
        result: null,
        revision: this.engine.revision,
        digest: this.engine.digest,
        graphToken,
        durationNs,
        custom,
        error: { code: error.code, message: error.message },
      });
      this.observe(endpoint, "error", durationNs);
      throw error;
    }
  }

  private observe(endpoint: string, result: string, durationNs: number): void {
    const metrics = this.metrics;
    if (!metrics) return;
    // prom-client hashes a label object on every call: keep each label set's children instead.
    const key = `${endpoint} ${result}`;
    let bound = this.boundMetrics.get(key);
    if (!bound) {
      bound = { count: metrics.decisions.labels({ endpoint, result }), seconds: metrics.decisionSeconds.labels({ endpoint }) };
      this.boundMetrics.set(key, bound);
    }
    bound.count.inc();
    bound.seconds.observe(durationNs / 1e9);
  }
}

/** Tree order: an org's path sorts before its descendants' and after its elder siblings' subtrees. */
function comparePaths(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}
/** An OPA API path (`/b2b/orders/scope/`) as the entrypoint it names. */
const entrypointPath = (path: string) => path.replace(/^\/+|\/+$/g, "");

function outcomeOf(result: unknown): string {
  if (Array.isArray(result)) return "batch";
  const r = result as { decision?: unknown; kind?: unknown };
  if (typeof r.decision === "string") return r.decision;
  if (typeof r.kind === "string") return r.kind;
  return "answered";
}

/** An unknown action code is the caller's mistake (400), not a deny: README, API (unknown action codes). */
function rejectUnknownActions(results: readonly Decision[], pathOf: (index: number) => string): void {
  const details: ErrorDetail[] = [];
  results.forEach((result, index) => {
    const reason = result.reasons.find((r) => r.code === UNKNOWN_ACTION);
    if (reason) details.push({ path: pathOf(index), message: reason.message });
  });
  if (details.length > 0) {
    throw new AuthzError("invalid_request", `unknown action code: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, {
      details,
    });
  }
}
