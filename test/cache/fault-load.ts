/**
 * Load for the fault tests: concurrent decision requests against running sidecars while a server is stopped,
 * frozen or restarted, each answer judged against what the data was while it was asked. A timeline records every
 * membership change (when its write started and ended); an answer is right when it is 503 `graph_unavailable`, or
 * a 200 whose decision matches a state the membership was in within the window the sidecar may lag by.
 */

export interface Member {
  user: string;
  /** Has the membership from the start. */
  initially: boolean;
}

interface Change {
  user: string;
  present: boolean;
  startedAt: number;
  endedAt: number;
  token?: string;
}

export interface Answer {
  sidecar: string;
  user: string;
  token?: string;
  startedAt: number;
  endedAt: number;
  status: number;
  decision?: string;
  code?: string;
}

export interface Verdict {
  answers: number;
  unavailable: number;
  wrong: (Answer & { expected: boolean[] })[];
}

export class Timeline {
  private readonly changes: Change[] = [];

  constructor(private readonly members: readonly Member[]) {}

  /** Records a write that made `user` a member (or not), with the graphToken it returned (none: a host's own SQL). */
  async record(user: string, present: boolean, write: () => Promise<unknown>): Promise<{ startedAt: number; endedAt: number }> {
    const startedAt = Date.now();
    const result = await write();
    const token = result && typeof result === "object" && "graphToken" in result && typeof result.graphToken === "string" ? result.graphToken : undefined;
    const change: Change = { user, present, startedAt, endedAt: Date.now(), ...(token ? { token } : {}) };
    this.changes.push(change);
    return change;
  }

  tokenOf(user: string): string | undefined {
    return this.changes.findLast((c) => c.user === user && c.token)?.token;
  }

  /**
   * The membership states `user` had at some time in [from, to]: the state in force at `from`, plus both sides of
   * every write in flight during the window.
   */
  possible(user: string, from: number, to: number): boolean[] {
    let current = this.members.find((m) => m.user === user)?.initially ?? false;
    const states = new Set<boolean>();
    for (const c of this.changes.filter((x) => x.user === user)) {
      if (c.endedAt < from) current = c.present;
      else if (c.startedAt <= to) {
        states.add(current);
        states.add(c.present);
        current = c.present;
      }
    }
    states.add(current);
    return [...states];
  }

  /**
   * Judges answers: without a token a sidecar may answer from data up to `stalenessMs` old; with one, from data at
   * least as new as the write that gave the token (and, for later writes, again up to `stalenessMs` old).
   */
  judge(answers: readonly Answer[], stalenessMs: number): Verdict {
    const wrong: Verdict["wrong"] = [];
    let unavailable = 0;
    for (const a of answers) {
      if (a.status === 503 && a.code === "graph_unavailable") {
        unavailable++;
        continue;
      }
      let from = a.startedAt - stalenessMs;
      const tokenWrite = a.token ? this.changes.find((c) => c.token === a.token) : undefined;
      if (tokenWrite) from = Math.max(from, tokenWrite.endedAt);
      const expected = this.possible(a.user, from, a.endedAt);
      const allowed = a.decision === "allow";
      if (a.status !== 200 || !expected.includes(allowed)) wrong.push({ ...a, expected });
    }
    return { answers: answers.length, unavailable, wrong };
  }
}

export interface Target {
  name: string;
  url: string;
  key: string;
}

export interface LoadOptions {
  targets: readonly Target[];
  timeline: Timeline;
  /** Users whose order.place in `org` is asked about; each request picks one (and sometimes its latest token). */
  users: readonly string[];
  org: string;
  concurrency: number;
}

/** A loop of concurrent checks until stopped; every answer is kept for judging. */
export class Load {
  readonly answers: Answer[] = [];
  private running = false;
  private workers: Promise<void>[] = [];
  private n = 0;

  constructor(private readonly options: LoadOptions) {}

  start(): void {
    this.running = true;
    this.workers = Array.from({ length: this.options.concurrency }, (_, i) => this.worker(i));
  }

  async stop(): Promise<Answer[]> {
    this.running = false;
    await Promise.all(this.workers);
    return this.answers;
  }

  /** Answers that started at or after `since`. */
  since(since: number): Answer[] {
    return this.answers.filter((a) => a.startedAt >= since);
  }

  private async worker(index: number): Promise<void> {
    const { targets, users, org, timeline } = this.options;
    while (this.running) {
      const n = this.n++;
      const target = targets[(n + index) % targets.length]!;
      const user = users[n % users.length]!;
      // Every other request for a changed user carries the token of its latest change.
      const token = (n >> 1) % 2 === 0 ? timeline.tokenOf(user) : undefined;
      this.answers.push(await ask(target, user, org, token));
    }
  }
}

export async function ask(target: Target, user: string, org: string, token?: string): Promise<Answer> {
  const body = {
    subject: { id: user },
    org,
    action: "order.place",
    ...(token ? { consistency: { atLeast: token } } : {}),
  };
  const startedAt = Date.now();
  let status = 0;
  let parsed: { decision?: string; error?: { code?: string } } = {};
  try {
    const res = await fetch(`${target.url}/v1/check`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.key}`, "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    status = res.status;
    parsed = (await res.json()) as typeof parsed;
  } catch {
    status = -1; // no answer at all: judged wrong (the sidecar must answer, if only 503)
  }
  return {
    sidecar: target.name,
    user,
    ...(token ? { token } : {}),
    startedAt,
    endedAt: Date.now(),
    status,
    ...(parsed.decision ? { decision: parsed.decision } : {}),
    ...(parsed.error?.code ? { code: parsed.error.code } : {}),
  };
}

/**
 * Polls until one full round of answers (every user, with and without its token, on every target) is a 200 with
 * the current decision; returns how long that took.
 */
export async function recovered(options: LoadOptions, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const round: Answer[] = [];
    for (const target of options.targets) {
      for (const user of options.users) {
        round.push(await ask(target, user, options.org));
        const token = options.timeline.tokenOf(user);
        if (token) round.push(await ask(target, user, options.org, token));
      }
    }
    // Current: with no lag allowed at all.
    if (options.timeline.judge(round, 0).wrong.length === 0 && round.every((a) => a.status === 200)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not recovered within ${timeoutMs} ms: ${JSON.stringify(round)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
