/**
 * Answers already computed by one loaded policy, keyed by entrypoint and a key that determines the input (its JSON
 * text, or a short form of it: input-json.ts). The compiled policy is a pure function of its input (no time,
 * randomness or I/O builtins: policies.capabilities.json), and the input holds every fact a decision reads (the
 * graph slice at its versions included), so the same input gets the same answer until the bundle changes, and a
 * new bundle starts with a new memo. Bounded by the characters of its keys and of its answers as JSON; entries not
 * used lately go first (the second-chance ClockCache: a hit writes nothing to the map, so the caller's fresh key string
 * never lands in it). Answers are frozen because every caller shares them.
 *
 * An answer is kept only the second time its key misses (a doorkeeper, as in TinyLFU): traffic that never repeats
 * (every checkout has its own order id and total) would otherwise pay to serialize, freeze and store each answer,
 * about a sixth of a unique check's CPU, and keep the old generation full of entries that are evicted unread
 * (BENCHMARKS.md). A repeated request is answered from the memo from its third time.
 */
import { ClockCache } from "../cache/clock-cache.ts";
import { deepFreeze } from "../model/deep-frozen.ts";

export interface MemoStats {
  entries: number;
  /** Characters held: keys plus answers as JSON. */
  chars: number;
  hits: number;
  misses: number;
}

/**
 * Fingerprints of keys that missed once, one 32-bit slot each by hash: a key is admitted when its slot already holds
 * its fingerprint. A collision only admits an entry early or forgets a sighting; answers always come from full keys.
 */
const DOORKEEPER_SLOTS = 1 << 16;

/** FNV-1a over the key's UTF-16 code units: a fingerprint, not a defence (a collision costs one stored answer). */
function fingerprint(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0 || 1;
}

interface Entry {
  value: unknown;
  /** Characters: the key plus the answer as JSON. */
  size: number;
}

export class DecisionMemo {
  private readonly entries: ClockCache<string, Entry>;
  private hitCount = 0;
  private missCount = 0;
  private readonly seenOnce = new Uint32Array(DOORKEEPER_SLOTS);

  /** `maxChars` 0 turns the memo off. An entry over a sixteenth of it is never kept, so one request cannot flush it. */
  constructor(private readonly maxChars: number) {
    this.entries = new ClockCache<string, Entry>(maxChars, undefined, (entry) => entry.size);
  }

  get enabled(): boolean {
    return this.maxChars > 0;
  }

  get stats(): MemoStats {
    return { entries: this.entries.size, chars: this.entries.weight, hits: this.hitCount, misses: this.missCount };
  }

  get(key: string): unknown {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.missCount++;
      return undefined;
    }
    this.hitCount++;
    return entry.value;
  }

  /** Keeps `value` as the answer to `key` if the key missed before (see the doorkeeper above). */
  set(key: string, value: unknown): void {
    if (!this.admit(key)) return;
    if (this.entries.peek(key) !== undefined) return;
    const size = key.length + (JSON.stringify(value)?.length ?? 0);
    if (size > this.maxChars / 16) return;
    this.entries.set(key, { value: deepFreeze(value), size });
  }

  /** Whether `key` missed before: the first miss only leaves its fingerprint. */
  private admit(key: string): boolean {
    const print = fingerprint(key);
    const slot = print & (DOORKEEPER_SLOTS - 1);
    if (this.seenOnce[slot] === print) return true;
    this.seenOnce[slot] = print;
    return false;
  }
}

/** Memo keys are entrypoint path and input key, apart so no input can pose as another entrypoint's. */
export function memoKey(path: string, inputKey: string): string {
  return `${path}\n${inputKey}`;
}
