/**
 * A bounded map that forgets the least recently used entry first. Map keeps insertion order, so re-inserting on
 * a hit moves an entry to the back and the front is always the eviction candidate.
 */
export class Lru<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  /** Reads without touching recency (for invalidation and status). */
  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      if (old !== value) this.onEvict?.(key, old);
    }
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const first = this.entries.entries().next();
      if (first.done) break;
      const [k, v] = first.value;
      this.entries.delete(k);
      this.onEvict?.(k, v);
    }
  }

  delete(key: K): boolean {
    const value = this.entries.get(key);
    if (value === undefined) return false;
    this.entries.delete(key);
    this.onEvict?.(key, value);
    return true;
  }

  clear(): void {
    for (const [k, v] of [...this.entries]) {
      this.entries.delete(k);
      this.onEvict?.(k, v);
    }
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }

  values(): IterableIterator<V> {
    return this.entries.values();
  }
}
