/**
 * The classifier's memory of recent hits: groups of hits by key (a message, or a campaign and an IP),
 * bounded in time, per group and in all, and able to take back what one batch changed.
 */

/** How long hits are kept in memory for revision, after the newest hit of their group. */
export const RETAIN_MS = 15 * 60_000;
/** Messages and campaign-IP groups kept in memory at most (least recently used go first). */
export const MAX_GROUPS = 100_000;
/**
 * Hits kept in the groups of each kind at most (least recently used groups go first): at most twice
 * this many distinct hits in all, about 300 MB at 550-950 bytes a hit. Without this bound, a large
 * campaign under a scanner flood could fill every message group (100,000 groups of 16 hits, over a
 * gigabyte).
 */
export const MAX_KEPT_HITS = 200_000;
/**
 * Hits kept per group at most (the newest). A message sees a handful of hits in life; a pixel
 * hammered thousands of times must not make each new hit cost more than the last.
 */
export const MAX_GROUP_HITS = 16;

/** What the memory needs of a hit: its time. */
interface Timed {
  readonly hit: { readonly at: number };
}

/** One group of recent hits, and when it was last added to (a count of adds: higher is more recent). */
interface Group<T> {
  hits: T[];
  used: number;
  /** The last batch that saved it (see HitGroups.begin). */
  saved: number;
}

/**
 * Recent hits by key (a message, or a campaign and an IP), bounded: hits older than RETAIN_MS
 * before the newest of their group go, a group keeps its newest MAX_GROUP_HITS, and the groups least
 * recently added to go first past MAX_GROUPS groups or `maxHits` hits.
 *
 * Within a batch (`begin`), each group is saved as it was before the batch first changed it (added
 * to, trimmed or evicted), so that `rollback` can put every group back as it was.
 */
export class HitGroups<K, T extends Timed> {
  /** Least recently used first: a group is re-inserted at each add, with a higher `used`. */
  readonly #groups = new Map<K, Group<T>>();
  #hits = 0;
  #uses = 0;
  #batches = 0;
  /** The open batch: each group as it was before the batch first changed it (null: created by the batch), and the hit count before it. */
  #batch: { saved: [K, Group<T> | null][]; hits: number } | null = null;

  constructor(private readonly maxHits: number) {}

  get hits(): number {
    return this.#hits;
  }

  get(key: K): T[] | undefined {
    return this.#groups.get(key)?.hits;
  }

  begin(): void {
    this.#batches++;
    this.#batch = { saved: [], hits: this.#hits };
  }

  commit(): void {
    this.#batch = null;
  }

  /** Puts every group the batch changed back as it was, in its place in the order of use. */
  rollback(): void {
    const batch = this.#batch!;
    this.#batch = null;
    if (batch.saved.length === 0) return;
    // Last saved first: a group evicted and then created again by the batch ends as it was at first.
    for (let i = batch.saved.length - 1; i >= 0; i--) {
      const [key, before] = batch.saved[i]!;
      if (before) this.#groups.set(key, before);
      else this.#groups.delete(key);
    }
    const groups = [...this.#groups].sort(([, a], [, b]) => a.used - b.used);
    this.#groups.clear();
    for (const [key, group] of groups) this.#groups.set(key, group);
    this.#hits = batch.hits;
  }

  /** Adds `entry` to the group of `key`; returns that group, the entry last. */
  add(key: K, entry: T): T[] {
    const group = this.#groups.get(key) ?? { hits: [], used: 0, saved: 0 };
    this.#save(key, group);
    const list = group.hits;
    const before = list.length;
    this.#groups.delete(key); // re-inserted: most recently used last
    // Trimmed in place: hits older than RETAIN_MS before the new one go, then the oldest beyond the cap.
    let kept = 0;
    for (const e of list) if (entry.hit.at - e.hit.at <= RETAIN_MS) list[kept++] = e;
    list.length = kept;
    if (list.length >= MAX_GROUP_HITS) list.splice(0, list.length - (MAX_GROUP_HITS - 1));
    list.push(entry);
    group.used = ++this.#uses;
    this.#groups.set(key, group);
    this.#hits += list.length - before;
    while (this.#groups.size > MAX_GROUPS || this.#hits > this.maxHits) {
      const [oldest, evicted] = this.#groups.entries().next().value!;
      if (oldest === key) break; // the group just added to is the only one left
      this.#save(oldest, evicted);
      this.#groups.delete(oldest);
      this.#hits -= evicted.hits.length;
    }
    return list;
  }

  /** Within a batch, keeps a copy of `group` as it was before the batch first changed it (no hits: it is new). */
  #save(key: K, group: Group<T>): void {
    if (this.#batch === null || group.saved === this.#batches) return;
    group.saved = this.#batches;
    this.#batch.saved.push([key, group.hits.length === 0 ? null : { hits: group.hits.slice(), used: group.used, saved: 0 }]);
  }
}
