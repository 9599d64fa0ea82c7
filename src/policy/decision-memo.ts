/**
 * Answers already computed by one loaded policy, keyed by entrypoint and the exact input JSON. The compiled policy
 * is a pure function of its input (no time, randomness or I/O builtins: policies.capabilities.json), and the input
 * holds every fact a decision reads (the graph slice at its versions included), so the same text gets the same
 * answer until the bundle changes, and a new bundle starts with a new memo. Bounded by the bytes of its keys, least
 * recently used first out; answers are frozen because every caller shares them.
 */
export interface MemoStats {
  entries: number;
  /** Characters of input JSON held as keys. */
  bytes: number;
  hits: number;
  misses: number;
}

export class DecisionMemo {
  private readonly entries = new Map<string, unknown>();
  private bytes = 0;
  private hitCount = 0;
  private missCount = 0;

  /** `maxBytes` 0 turns the memo off. An input over a sixteenth of it is never kept, so one request cannot flush it. */
  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  get stats(): MemoStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hitCount, misses: this.missCount };
  }

  get(key: string): unknown {
    const value = this.entries.get(key);
    if (value === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    // Map keeps insertion order: moving a hit to the back keeps the front the least recently used.
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: string, value: unknown): void {
    const size = key.length;
    if (size > this.maxBytes / 16 || this.entries.has(key)) return;
    this.entries.set(key, deepFreeze(value));
    this.bytes += size;
    for (const oldest of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= oldest.length;
    }
  }
}

/** Memo keys are entrypoint path and input, apart so no input text can pose as another entrypoint's. */
export function memoKey(path: string, inputJson: string): string {
  return `${path}\n${inputJson}`;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
