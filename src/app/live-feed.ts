/**
 * The live feed: human opens and clicks of a campaign or a contact, pushed to whoever listens as they
 * are recorded. The database is the one source (hits may be written by any node), polled: one query
 * per poll for each scope that has listeners on this node, whatever their number.
 *
 * Ids may commit out of order. On PostgreSQL several nodes write hits, and an id is taken when a row
 * is inserted, not when it commits: id 101 may be visible before id 100. A listener therefore keeps,
 * besides its cursor (the highest id sent), a floor: ids at or below it are settled and never read
 * again. Each poll reads every hit after the lowest floor of the scope's listeners, and a listener
 * skips the ids it already sent. The floor moves up to the newest hit read that was recorded at least
 * LATE_COMMIT_MS ago: a row recorded before then had that long to commit. The limit: a hit whose
 * commit takes longer than LATE_COMMIT_MS after its recording time (or whose writer's clock is behind
 * by as much) is missed once a later hit of the scope has settled past it. Rows between the floor and
 * the cursor are read again at each poll: a few seconds of one scope's human hits.
 */
import type { Clock, LiveFeedStore, LiveHit, LiveHitRow, LiveScope } from './ports.js';

/** How often a scope with listeners is read, in ms. */
export const LIVE_POLL_MS = 500;
/** How long after its recording a hit may still commit and be sent, in ms (see above). */
export const LATE_COMMIT_MS = 10_000;
/** Hits read per poll at most: a listener resuming far behind catches up over several polls. */
const POLL_LIMIT = 500;

export interface LiveListener {
  /**
   * Sends one hit to the client, never twice the same. `resumeAfter` is what the client resumes after
   * (its SSE id): the hit's id, except for a hit that committed late, below hits already sent, which
   * carries the highest id sent, so that a reconnection does not repeat those.
   */
  send(hit: LiveHit, resumeAfter: number): void;
}

interface Subscription {
  listener: LiveListener;
  /** The highest id sent (or the resume point). */
  cursor: number;
  /** Ids at or below are settled: never read again for this listener. */
  floor: number;
  /** Ids sent above the floor: skipped when read again. */
  sent: Set<number>;
}

/** The listeners of one scope on this node and its one poll loop. */
class ScopeFeed {
  readonly subscriptions = new Set<Subscription>();
  #timer: NodeJS.Timeout | null = null;
  #polling: Promise<void> | null = null;

  constructor(
    private readonly scope: LiveScope,
    private readonly store: LiveFeedStore,
    private readonly clock: Clock,
    private readonly options: LiveFeedOptions,
  ) {}

  start(): void {
    if (this.#timer || this.#polling) return;
    this.#timer = setTimeout(() => this.#tick(), this.options.pollMs);
  }

  /** Stops polling; a poll in progress finishes first. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#polling;
  }

  #tick(): void {
    this.#timer = null;
    this.#polling = this.poll()
      .catch((error: unknown) => this.options.onError(error, 'reading the live feed failed; trying again'))
      .finally(() => {
        this.#polling = null;
        if (this.subscriptions.size > 0) this.start();
      });
  }

  /** One read for every listener of the scope. */
  async poll(): Promise<void> {
    // Listeners that join while the read is in progress wait for the next: the rows below the read's
    // start would otherwise reach them after later ones.
    const subscriptions = [...this.subscriptions];
    if (subscriptions.length === 0) return;
    const from = Math.min(...subscriptions.map((s) => s.floor));
    const rows = await this.store.humanHits(this.scope, from, POLL_LIMIT);
    const settledBefore = this.clock.now() - LATE_COMMIT_MS;
    let settled = 0;
    for (const row of rows) if (row.recordedAt <= settledBefore) settled = row.eventId;
    for (const subscription of subscriptions) if (this.subscriptions.has(subscription)) deliver(subscription, rows, settled);
  }
}

/** Sends the rows the listener has not had, then moves its floor up to `settled`. */
function deliver(subscription: Subscription, rows: readonly LiveHitRow[], settled: number): void {
  for (const row of rows) {
    if (row.eventId <= subscription.floor || subscription.sent.has(row.eventId)) continue;
    const { recordedAt: _recorded, ...hit } = row;
    subscription.sent.add(row.eventId);
    subscription.cursor = Math.max(subscription.cursor, row.eventId);
    subscription.listener.send(hit, subscription.cursor);
  }
  // Never past the cursor: ids above it were not read for this listener yet.
  const floor = Math.min(Math.max(subscription.floor, settled), subscription.cursor);
  if (floor === subscription.floor) return;
  subscription.floor = floor;
  for (const id of subscription.sent) if (id <= floor) subscription.sent.delete(id);
}

export interface LiveFeedOptions {
  pollMs: number;
  onError(error: unknown, message: string): void;
}

export class LiveFeed {
  readonly #feeds = new Map<string, ScopeFeed>();
  #closed = false;

  constructor(
    private readonly store: LiveFeedStore,
    private readonly clock: Clock,
    private readonly options: LiveFeedOptions = { pollMs: LIVE_POLL_MS, onError: () => {} },
  ) {}

  /** Whether the campaign or contact exists: a feed of nothing is a 404, not an endless stream. */
  exists(scope: LiveScope): Promise<boolean> {
    return this.store.scopeExists(scope);
  }

  /**
   * Starts sending the scope's human hits after `afterId` (a client's Last-Event-ID) to the listener;
   * without one, only hits recorded from now on. Returns what stops it.
   */
  async subscribe(scope: LiveScope, afterId: number | null, listener: LiveListener): Promise<() => void> {
    const start = afterId ?? (await this.store.newestEventId());
    if (this.#closed) return () => {};
    const key = 'campaignId' in scope ? `campaign:${scope.campaignId}` : `contact:${scope.contactId}`;
    let feed = this.#feeds.get(key);
    if (!feed) {
      feed = new ScopeFeed(scope, this.store, this.clock, this.options);
      this.#feeds.set(key, feed);
    }
    const subscription: Subscription = { listener, cursor: start, floor: start, sent: new Set() };
    feed.subscriptions.add(subscription);
    feed.start();
    const current = feed;
    return () => {
      current.subscriptions.delete(subscription);
      // The last listener gone: the scope is no longer read.
      if (current.subscriptions.size === 0 && this.#feeds.get(key) === current) {
        this.#feeds.delete(key);
        void current.stop();
      }
    };
  }

  /** Listeners on this node, over every scope. */
  get listeners(): number {
    let count = 0;
    for (const feed of this.#feeds.values()) count += feed.subscriptions.size;
    return count;
  }

  /** Scopes being read now (one poll loop each). */
  get scopes(): number {
    return this.#feeds.size;
  }

  /** Stops every poll (the server closes); streams are ended by their owner. */
  async close(): Promise<void> {
    this.#closed = true;
    const feeds = [...this.#feeds.values()];
    this.#feeds.clear();
    await Promise.all(feeds.map((feed) => feed.stop()));
  }
}
