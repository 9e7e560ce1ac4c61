/**
 * Group commit: many callers each hand over one item and wait until it is durably written; items
 * arriving together are written in one transaction. An acknowledged item is therefore on disk,
 * while the cost of a commit (and its sync) is shared by a whole batch.
 */

export interface GroupCommitOptions {
  /** How long the first item of a batch may wait for company, in milliseconds. */
  maxDelayMs: number;
  /** A batch this large is written at once, without waiting. */
  maxBatch: number;
  /** Items accepted but not yet written; beyond this, callers wait for room (backpressure). */
  maxPending: number;
  /**
   * Batches handed to `write` and not yet committed, at most (1 when absent). More than one suits a
   * writer that only hands batches over to another thread, which merges them into its own commits:
   * the next batch then waits there, ready, while the previous one commits.
   */
  maxInFlight?: number;
}

export class QueueClosedError extends Error {
  constructor() {
    super('the write queue is closed');
  }
}

interface Pending<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommitQueue<T> {
  #pending: Pending<T>[] = [];
  /** Batches being written, and how many items they hold. */
  #writing = new Set<Promise<void>>();
  #inFlightItems = 0;
  /** Cancels the scheduled flush, when one is scheduled. */
  #cancelScheduled: (() => void) | null = null;
  #roomWaiters: (() => void)[] = [];
  #closed = false;

  constructor(
    private readonly write: (batch: T[]) => Promise<unknown>,
    private readonly options: GroupCommitOptions,
  ) {}

  /** Items accepted and not yet committed, waiting or being written. */
  get pending(): number {
    return this.#pending.length + this.#inFlightItems;
  }

  /** Resolves once the item is committed; rejects if its batch failed to commit. */
  async enqueue(item: T): Promise<void> {
    while (this.pending >= this.options.maxPending) {
      if (this.#closed) throw new QueueClosedError();
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
    if (this.#closed) throw new QueueClosedError();
    const done = new Promise<void>((resolve, reject) => this.#pending.push({ item, resolve, reject }));
    this.#schedule();
    return done;
  }

  /** Refuses new items and resolves once everything accepted so far is written. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wakeRoomWaiters();
    while (this.#pending.length > 0 || this.#writing.size > 0) {
      if (this.#writing.size > 0) await Promise.allSettled(this.#writing);
      else await this.#flush();
    }
  }

  get #full(): boolean {
    return this.#writing.size >= (this.options.maxInFlight ?? 1);
  }

  #schedule(): void {
    if (this.#full) return; // a running write picks the new items up when it ends
    if (this.#pending.length >= this.options.maxBatch) {
      void this.#flush();
    } else if (!this.#cancelScheduled && this.options.maxDelayMs === 0) {
      // No waiting for company: write what arrived in this turn of the event loop (a timer of 0 still waits ~1 ms).
      const immediate = setImmediate(() => void this.#flush());
      this.#cancelScheduled = () => clearImmediate(immediate);
    } else if (!this.#cancelScheduled) {
      const timer = setTimeout(() => void this.#flush(), this.options.maxDelayMs);
      this.#cancelScheduled = () => clearTimeout(timer);
    }
  }

  #flush(): Promise<void> {
    this.#cancelScheduled?.();
    this.#cancelScheduled = null;
    if (this.#full || this.#pending.length === 0) return this.#writing.size > 0 ? Promise.race(this.#writing) : Promise.resolve();
    const batch = this.#pending.splice(0, this.options.maxBatch);
    this.#inFlightItems += batch.length;
    let written!: () => void;
    const writing = new Promise<void>((resolve) => (written = resolve));
    this.#writing.add(writing);
    void (async () => {
      try {
        await this.write(batch.map((p) => p.item));
        for (const p of batch) p.resolve();
      } catch (error) {
        for (const p of batch) p.reject(error);
      } finally {
        this.#writing.delete(writing);
        this.#inFlightItems -= batch.length;
        written();
        this.#wakeRoomWaiters();
        // Whatever arrived during the write goes out now: it has already waited one commit.
        if (this.#pending.length > 0) void this.#flush();
      }
    })();
    // More may leave at once when several batches can be in flight.
    if (this.#pending.length > 0 && !this.#full) this.#schedule();
    return writing;
  }

  #wakeRoomWaiters(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
