/**
 * A bounded map that forgets entries not used lately first (second chance, or CLOCK). A hit only marks its entry
 * as used; eviction walks from the oldest insertion, gives a used entry one more round at the back and drops the
 * first unused one. A hit therefore never writes to the map: re-inserting on every hit stored the caller's
 * (young) key string in the long-lived map, and every scavenge then had to promote those strings.
 * Bounded by entry count, or by the sum of `weigh(value)` when given (the decision memo weighs characters).
 */
interface Slot<V> {
  value: V;
  used: boolean;
}

export class ClockCache<K, V> {
  private readonly entries = new Map<K, Slot<V>>();
  private total = 0;

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The sum of the entries' weights (their count when no `weigh` was given). */
  get weight(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    const slot = this.entries.get(key);
    if (slot === undefined) return undefined;
    slot.used = true;
    return slot.value;
  }

  /** Reads without touching recency (for invalidation and status). */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: K, value: V): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.total -= this.weigh(old.value);
      if (old.value !== value) this.onEvict?.(key, old.value);
    }
    this.entries.set(key, { value, used: false });
    this.total += this.weigh(value);
    this.evictOverCapacity(key);
  }

  delete(key: K): boolean {
    const slot = this.entries.get(key);
    if (slot === undefined) return false;
    this.remove(key, slot);
    return true;
  }

  clear(): void {
    for (const [k, slot] of [...this.entries]) this.remove(k, slot);
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.entries.values()) yield slot.value;
  }

  private remove(key: K, slot: Slot<V>): void {
    this.entries.delete(key);
    this.total -= this.weigh(slot.value);
    this.onEvict?.(key, slot.value);
  }

  /** Never evicts `newest`, the entry just stored: it has not had its chance to be used yet. */
  private evictOverCapacity(newest: K): void {
    while (this.total > this.capacity && this.entries.size > 1) {
      for (const [k, slot] of this.entries) {
        if (slot.used || k === newest) {
          slot.used = false;
          this.entries.delete(k);
          this.entries.set(k, slot); // its own key: one more round, at the back
          continue;
        }
        this.remove(k, slot);
        break;
      }
    }
  }
}
