import type { Metrics } from "../metrics.ts";
import type { EntrypointName } from "../policy/entrypoints.ts";
import type { PolicyEngine, PolicyInput } from "../policy/policy-engine.ts";
import { diffAnswers, type DecisionDiff } from "./decision-diff.ts";
import type { DecisionLog } from "./decision-log.ts";

const MAX_ACTION_LABELS = 256;
const OTHER_ACTIONS = "(other)";

/** One answered live decision, offered to the candidate. */
export interface ShadowJob {
  name: EntrypointName;
  decisionId: string;
  path: string;
  requestInput: Record<string, unknown>;
  input: PolicyInput;
  live: unknown;
  liveRevision: string | null;
}

export interface ShadowOptions {
  /** The candidate bundle's engine (its own watcher keeps it current); not loaded yet: nothing is shadowed. */
  candidate: PolicyEngine;
  /** Share of live decisions evaluated on the candidate, 0..1. */
  sample: number;
  /** Decisions waiting for the candidate; an offer over it is dropped and counted. */
  maxPending: number;
  log: DecisionLog;
  metrics?: Metrics | undefined;
  random?: () => number;
}

export interface ShadowStatus {
  revision: string | null;
  digest: string | null;
  source: string | null;
  sample: number;
  /** Decisions sampled and evaluated on the candidate, by outcome. */
  evaluated: number;
  agreed: number;
  disagreed: number;
  /** The candidate failed (policy_unavailable): counted, never served. */
  errors: number;
  /** Sampled but not evaluated: the queue was full. */
  dropped: number;
  pending: number;
  /** Differences by action and kind (a batch counts each of its checks that differs). */
  disagreements: Record<string, Record<string, number>>;
}

/**
 * Shadow evaluation: a candidate bundle answers a sample of the live decisions after the live answer has been
 * sent. The live path only pushes a job onto a bounded queue; the queue is worked one job per `setImmediate`, so a
 * candidate's evaluation runs after the turn that wrote the response and yields to I/O between jobs. Nothing the
 * candidate does (an answer, a throw, a slow rule) reaches a caller: it is compared, counted and logged.
 */
export class ShadowEvaluation {
  private readonly queue: ShadowJob[] = [];
  private scheduled = false;
  private readonly counts = { evaluated: 0, agreed: 0, disagreed: 0, errors: 0, dropped: 0 };
  private readonly byAction = new Map<string, Map<string, number>>();
  private readonly random: () => number;

  constructor(private readonly options: ShadowOptions) {
    this.random = options.random ?? Math.random;
  }

  /** Called on the live path for every answered decision: samples, and queues without evaluating. */
  offer(job: () => ShadowJob): void {
    if (this.options.sample <= 0 || this.options.candidate.revision === null) return;
    if (this.options.sample < 1 && this.random() >= this.options.sample) return;
    if (this.queue.length >= this.options.maxPending) {
      this.counts.dropped++;
      this.options.metrics?.shadowDropped.inc();
      return;
    }
    this.queue.push(job());
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.work);
    }
  }

  get status(): ShadowStatus {
    const candidate = this.options.candidate;
    const disagreements: ShadowStatus["disagreements"] = {};
    for (const [action, kinds] of this.byAction) disagreements[action] = Object.fromEntries(kinds);
    return {
      revision: candidate.revision,
      digest: candidate.digest,
      source: candidate.info?.source ?? null,
      sample: this.options.sample,
      ...this.counts,
      pending: this.queue.length,
      disagreements,
    };
  }

  private readonly work = (): void => {
    const job = this.queue.shift();
    try {
      if (job) this.evaluate(job);
    } catch {
      // Outside any request: whatever the comparison or its log line throws is the candidate's error, never the process's.
      this.counts.errors++;
      this.options.metrics?.shadowEvaluations.inc({ outcome: "error" });
    }
    if (this.queue.length > 0) setImmediate(this.work);
    else this.scheduled = false;
  };

  private evaluate(job: ShadowJob): void {
    const { candidate, log, metrics } = this.options;
    this.counts.evaluated++;
    let answer: unknown;
    try {
      answer = candidate.evaluateInput(job.name, job.input);
    } catch (thrown) {
      this.counts.errors++;
      metrics?.shadowEvaluations.inc({ outcome: "error" });
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      log.writeShadow({ ...this.event(job), candidate: null, differences: [], error: { code: "policy_unavailable", message } });
      return;
    }
    const differences = diffAnswers(job.name, job.requestInput, job.live, answer);
    if (differences.length === 0) {
      this.counts.agreed++;
      metrics?.shadowEvaluations.inc({ outcome: "agreed" });
      return;
    }
    this.counts.disagreed++;
    metrics?.shadowEvaluations.inc({ outcome: "disagreed" });
    for (const d of differences) this.count(d);
    log.writeShadow({ ...this.event(job), candidate: answer, differences });
  }

  private event(job: ShadowJob) {
    const { candidate } = this.options;
    return {
      decisionId: job.decisionId,
      path: job.path,
      input: job.requestInput,
      live: job.live,
      liveRevision: job.liveRevision,
      candidateRevision: candidate.revision,
      candidateDigest: candidate.digest,
    };
  }

  private count(diff: DecisionDiff): void {
    // Action codes come from callers: past a bound, further ones share one label, so no caller grows /metrics.
    const action = this.byAction.has(diff.action) || this.byAction.size < MAX_ACTION_LABELS ? diff.action : OTHER_ACTIONS;
    let kinds = this.byAction.get(action);
    if (!kinds) this.byAction.set(action, (kinds = new Map<string, number>()));
    kinds.set(diff.kind, (kinds.get(diff.kind) ?? 0) + 1);
    this.options.metrics?.shadowDisagreements.inc({ action, kind: diff.kind });
  }
}
