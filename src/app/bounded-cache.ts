/**
 * A bounded map for hot-path lookups, that forgets what has not been used for longest, roughly:
 * entries live in two generations. New and looked-up entries go to the young one; when it holds half
 * the capacity, it becomes the old one and the old one is dropped. A hit in the young generation
 * changes nothing, so the common lookup is one Map read (an exact LRU moves the key on every hit).
 * At most `capacity` entries are kept; an entry used at least once per half-capacity insertions stays.
 */
export class BoundedCache<K, V> {
  #young = new Map<K, V>();
  #old = new Map<K, V>();
  readonly #generationSize: number;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 2) throw new Error(`a cache holds at least 2 entries, got ${capacity}`);
    this.#generationSize = Math.floor(capacity / 2);
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(key: K): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#keepYoung(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    this.#old.delete(key);
    this.#keepYoung(key, value);
  }

  /** Returns the cached value, or loads, caches and returns it; a null load is not cached. */
  async getOrLoad(key: K, load: (key: K) => Promise<V | null>): Promise<V | null> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    const loaded = await load(key);
    if (loaded !== null) this.set(key, loaded);
    return loaded;
  }

  #keepYoung(key: K, value: V): void {
    if (!this.#young.has(key) && this.#young.size >= this.#generationSize) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
