import createClient from "openapi-fetch";
import type { paths } from "./api.generated.ts";
import { AuthzClientError, type AuthzErrorDetail } from "./errors.ts";
import { mergeGraphTokens } from "./graph-token.ts";
import { orderFilterSchema, type OrderFilter } from "./order-filter.ts";

type Json<P extends keyof paths, M extends "post" | "put" | "patch" | "delete" | "get"> = paths[P][M] extends {
  responses: { 200: { content: { "application/json": infer R } } };
}
  ? R
  : never;
type Body<P extends keyof paths, M extends "post" | "put" | "patch"> = paths[P][M] extends {
  requestBody: { content: { "application/json": infer B } };
}
  ? B
  : never;

export type CheckRequest = Body<"/v1/check", "post">;
export type Decision = Json<"/v1/check", "post">;
export type BatchRequest = Body<"/v1/check/batch", "post">;
export type BatchCheck = BatchRequest["checks"][number];
export type BatchDecision = Json<"/v1/check/batch", "post">["results"][number];
export type PermissionsRequest = Body<"/v1/permissions", "post">;
export type Permissions = Json<"/v1/permissions", "post">;
export type OrdersQueryRequest = Body<"/v1/orders/query", "post">;
export type OrdersQuery = Omit<Json<"/v1/orders/query", "post">, "filter"> & { filter: OrderFilter };
export type OrdersFilterRequest = Body<"/v1/orders/filter", "post">;
export type Subject = CheckRequest["subject"];
export type Consistency = NonNullable<CheckRequest["consistency"]>;

/** The sidecar's limits per request (src/decisions/decision-schemas.ts): the client splits past them. */
export const MAX_BATCH_CHECKS = 1000;
export const MAX_FILTER_ORDERS = 10_000;

export interface RetryOptions {
  /** Attempts in all for a decision (1 = no retry). Default 3. */
  attempts?: number;
  /** First backoff ceiling; each retry doubles it, up to maxDelayMs. Default 50. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

export interface AuthzClientOptions {
  /** The sidecar, e.g. http://127.0.0.1:8181 */
  baseUrl: string;
  apiKey: string;
  /** Per request; a decision that takes longer is a `timeout` error (default 2000). */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Writes name who acts (`user:alice`, `staff:ops-1`) per call, or this default. */
  actor?: string;
  fetch?: typeof globalThis.fetch;
}

type Attempt<T> = (signal: AbortSignal) => Promise<{ data?: T; error?: unknown; response: Response }>;

/**
 * A client of the sidecar. Decisions fail closed: any failure (timeout, connection, 503 after the retries, an answer
 * of the wrong shape) throws an AuthzClientError, never resolves to an allow. Decisions are retried with jittered
 * exponential backoff on 503 and connection errors, because asking again cannot change anything; writes are sent
 * once, since a write whose answer was lost may have been applied. The graphToken of every write is carried into
 * the following decisions (`consistency.atLeast`) unless a call names its own.
 */
export class AuthzClient {
  readonly #api: ReturnType<typeof createClient<paths>>;
  readonly #timeoutMs: number;
  readonly #retry: Required<RetryOptions>;
  readonly #actor: string | undefined;
  #graphToken: string | undefined;

  constructor(options: AuthzClientOptions) {
    this.#api = createClient<paths>({
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
      headers: { authorization: `Bearer ${options.apiKey}` },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.#timeoutMs = options.timeoutMs ?? 2000;
    this.#retry = { attempts: 3, baseDelayMs: 50, maxDelayMs: 1000, ...options.retry };
    if (!Number.isInteger(this.#retry.attempts) || this.#retry.attempts < 1) throw new RangeError("retry.attempts must be an integer >= 1");
    this.#actor = options.actor;
  }

  /** The token decisions carry: every write's token merged, newest wins per key. */
  get graphToken(): string | undefined {
    return this.#graphToken;
  }

  /** Makes following decisions wait for data at least as new as a token obtained elsewhere (another client's write). */
  observeGraphToken(token: string): void {
    this.#graphToken = mergeGraphTokens(this.#graphToken, token);
  }

  // ---- decisions (retried, fail closed) ----

  async check(request: CheckRequest): Promise<Decision> {
    const body = this.#consistent(request);
    const decision = await this.#decide("POST /v1/check", (signal) => this.#api.POST("/v1/check", { body, signal }));
    return assertDecision(decision, "decision");
  }

  /**
   * Any number of checks for one subject in one org: split into requests of at most 1000 (the sidecar's limit),
   * sent one after another, the results reassembled in the order of `checks`. Any part failing fails the whole call.
   */
  async checkBatch(request: BatchRequest): Promise<{ results: BatchDecision[]; decisionIds: string[]; policyRevisions: string[]; graphToken: string }> {
    const body = this.#consistent(request);
    const results: BatchDecision[] = [];
    const decisionIds: string[] = [];
    const revisions = new Set<string>();
    let graphToken = "";
    for (const checks of chunks(body.checks, MAX_BATCH_CHECKS)) {
      const part = await this.#decide("POST /v1/check/batch", (signal) => this.#api.POST("/v1/check/batch", { body: { ...body, checks }, signal }));
      if (!Array.isArray(part.results) || part.results.length !== checks.length) {
        throw new AuthzClientError("invalid_response", `the batch answered ${String(part.results?.length)} results for ${checks.length} checks`);
      }
      part.results.forEach((result, i) => results.push(assertDecision(result, `results.${results.length + i}`)));
      decisionIds.push(part.decisionId);
      revisions.add(part.policyRevision);
      graphToken = part.graphToken;
    }
    return { results, decisionIds, policyRevisions: [...revisions], graphToken };
  }

  async permissions(request: PermissionsRequest): Promise<Permissions> {
    const body = this.#consistent(request);
    return this.#decide("POST /v1/permissions", (signal) => this.#api.POST("/v1/permissions", { body, signal }));
  }

  /** Which orders the subject may list, as the filter tree the ORM adapters compile (and the sidecar's own SQL). */
  async ordersQuery(request: OrdersQueryRequest): Promise<OrdersQuery> {
    const body = this.#consistent(request);
    const answer = await this.#decide("POST /v1/orders/query", (signal) => this.#api.POST("/v1/orders/query", { body, signal }));
    const filter = orderFilterSchema.safeParse(answer.filter);
    if (!filter.success) throw new AuthzClientError("invalid_response", "the order filter is not the documented tree", { cause: filter.error });
    return { ...answer, filter: filter.data };
  }

  /** The ids of the given orders the subject may view, split past 10000 orders per request. */
  async visibleOrders(request: OrdersFilterRequest): Promise<string[]> {
    const body = this.#consistent(request);
    const visible: string[] = [];
    for (const orders of chunks(body.orders, MAX_FILTER_ORDERS)) {
      const part = await this.#decide("POST /v1/orders/filter", (signal) => this.#api.POST("/v1/orders/filter", { body: { ...body, orders }, signal }));
      visible.push(...part.visible);
    }
    return visible;
  }

  // ---- writes (sent once, token carried; async so a missing actor rejects like any other failure) ----

  async createOrg(org: Body<"/v1/orgs", "post">, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write("POST /v1/orgs", (signal) => this.#api.POST("/v1/orgs", { params: { header }, body: org, signal }));
  }

  async updateOrg(id: string, patch: Body<"/v1/orgs/{id}", "patch">, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write(`PATCH /v1/orgs/${id}`, (signal) =>
      this.#api.PATCH("/v1/orgs/{id}", { params: { path: { id }, header }, body: patch, signal }),
    );
  }

  async setMembership(org: string, userId: string, membership: Body<"/v1/orgs/{id}/members/{userId}", "put">, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write(`PUT /v1/orgs/${org}/members/${userId}`, (signal) =>
      this.#api.PUT("/v1/orgs/{id}/members/{userId}", { params: { path: { id: org, userId }, header }, body: membership, signal }),
    );
  }

  async removeMembership(org: string, userId: string, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write(`DELETE /v1/orgs/${org}/members/${userId}`, (signal) =>
      this.#api.DELETE("/v1/orgs/{id}/members/{userId}", { params: { path: { id: org, userId }, header }, signal }),
    );
  }

  async upsertUser(id: string, user: Body<"/v1/users/{id}", "put">, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write(`PUT /v1/users/${id}`, (signal) => this.#api.PUT("/v1/users/{id}", { params: { path: { id }, header }, body: user, signal }));
  }

  async upsertRole(key: string, role: Body<"/v1/roles/{key}", "put">, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write(`PUT /v1/roles/${key}`, (signal) => this.#api.PUT("/v1/roles/{key}", { params: { path: { key }, header }, body: role, signal }));
  }

  async importGraph(document: Body<"/v1/import", "post">, actor?: string) {
    const header = this.#actorHeader(actor);
    return this.#write("POST /v1/import", (signal) => this.#api.POST("/v1/import", { params: { header }, body: document, signal }));
  }

  // ---- transport ----

  #consistent<R extends { consistency?: Consistency }>(request: R): R {
    if (request.consistency || this.#graphToken === undefined) return request;
    return { ...request, consistency: { atLeast: this.#graphToken } };
  }

  #actorHeader(actor: string | undefined): { "X-Actor": string } {
    const name = actor ?? this.#actor;
    if (!name) throw new AuthzClientError("invalid_request", "a write needs an actor (X-Actor): pass one or set options.actor", { details: [{ path: "actor", message: "Required" }] });
    return { "X-Actor": name };
  }

  async #write<T extends { graphToken: string }>(label: string, attempt: Attempt<T>): Promise<T> {
    const written = await this.#send(label, attempt, 1);
    if (typeof written.graphToken !== "string") throw new AuthzClientError("invalid_response", `${label} answered without a graphToken`);
    this.observeGraphToken(written.graphToken);
    return written;
  }

  #decide<T>(label: string, attempt: Attempt<T>): Promise<T> {
    return this.#send(label, attempt, this.#retry.attempts);
  }

  async #send<T>(label: string, attempt: Attempt<T>, attempts: number): Promise<T> {
    for (let n = 1; ; n++) {
      const signal = AbortSignal.timeout(this.#timeoutMs);
      let failure: AuthzClientError;
      try {
        const { data, error, response } = await attempt(signal);
        if (response.ok && data !== undefined) return data;
        failure = answeredError(label, response.status, error, n);
        if (response.status !== 503) throw failure;
      } catch (thrown) {
        if (thrown instanceof AuthzClientError) throw thrown;
        if (signal.aborted) {
          throw new AuthzClientError("timeout", `${label}: no answer within ${this.#timeoutMs} ms`, { cause: thrown, attempts: n });
        }
        failure = new AuthzClientError("connection_failed", `${label}: the sidecar could not be reached`, { cause: thrown, attempts: n });
      }
      if (n >= attempts) throw failure;
      // Full jitter: clients that failed together do not retry together.
      const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (n - 1));
      await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
    }
  }
}

function answeredError(label: string, status: number, body: unknown, attempts: number): AuthzClientError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const details = Array.isArray(error?.details) ? (error.details as AuthzErrorDetail[]) : [];
  if (status === 503) {
    const code = typeof error?.code === "string" ? error.code : "unavailable";
    return new AuthzClientError("unavailable", `${label}: the sidecar cannot decide (${code})`, {
      status,
      details: [{ path: "", message: code }, ...details],
      attempts,
    });
  }
  if (typeof error?.code === "string") {
    const message = typeof error.message === "string" ? error.message : `answered ${status}`;
    return new AuthzClientError(error.code, `${label}: ${message}`, { status, details, attempts });
  }
  return new AuthzClientError("invalid_response", `${label}: answered ${status} without the error shape`, { status, attempts });
}

/** `allow` is only ever true together with decision "allow": an answer that says otherwise is refused, not trusted. */
function assertDecision<D extends { decision?: unknown; allow?: unknown }>(decision: D, path: string): D {
  const valid = ["allow", "deny", "approval_required"].includes(decision.decision as string) && decision.allow === (decision.decision === "allow");
  if (!valid) throw new AuthzClientError("invalid_response", `${path} is not a decision`, { details: [{ path, message: "not a decision" }] });
  return decision;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length > 0 ? out : [[]];
}
