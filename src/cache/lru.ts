/**
 * A bounded map that forgets entries not used lately first (second chance, or CLOCK). A hit only marks its entry
 * as used; eviction walks from the oldest insertion, gives a used entry one more round at the back and drops the
 * first unused one. A hit therefore never writes to the map: re-inserting on every hit stored the caller's
 * (young) key string in the long-lived map, and every scavenge then had to promote those strings.
 */
interface Slot<V> {
  value: V;
  used: boolean;
}

export class Lru<K, V> {
  private readonly entries = new Map<K, Slot<V>>();

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.entries.size;
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
      if (old.value !== value) this.onEvict?.(key, old.value);
    }
    this.entries.set(key, { value, used: false });
    this.evictOverCapacity(key);
  }

  delete(key: K): boolean {
    const slot = this.entries.get(key);
    if (slot === undefined) return false;
    this.entries.delete(key);
    this.onEvict?.(key, slot.value);
    return true;
  }

  clear(): void {
    for (const [k, slot] of [...this.entries]) {
      this.entries.delete(k);
      this.onEvict?.(k, slot.value);
    }
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }

  *values(): IterableIterator<V> {
    for (const slot of this.entries.values()) yield slot.value;
  }

  /** Never evicts `newest`, the entry just stored: it has not had its chance to be used yet. */
  private evictOverCapacity(newest: K): void {
    while (this.entries.size > this.capacity) {
      for (const [k, slot] of this.entries) {
        this.entries.delete(k);
        if (slot.used || k === newest) {
          slot.used = false;
          this.entries.set(k, slot); // its own key: one more round, at the back
          continue;
        }
        this.onEvict?.(k, slot.value);
        break;
      }
    }
  }
}
