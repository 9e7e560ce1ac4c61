/**
 * The live feed: human opens and clicks of a campaign or a contact, pushed to whoever listens as they
 * are recorded. The database is the one source (hits may be written by any node), polled by one loop
 * per node: each poll reads the settled event id once, then each scope with listeners once from its
 * head, whatever the number of its listeners.
 *
 * Nothing is read past the settled event id (storage/settled-events.ts): on PostgreSQL a lower id may
 * commit after a higher one, and a listener that had been sent the higher one would never get it. So
 * a listener's position is one exact id: every hit of its scope at or below it has been sent, none
 * above. It is what the client resumes after (its SSE id), and a resumption repeats nothing and loses
 * nothing. Verdicts revised after a hit was sent (a hit judged human, then bot) are not sent again.
 *
 * A listener that joins behind the scope's head (it resumed from an older id) catches up on its own
 * range, a page per poll, without holding the others back; one that missed more than MAX_RESUME_HITS
 * starts from now instead, told so.
 */
import type { LiveFeedStore, LiveHit, LiveScope } from './ports.js';
import { PollingWorker } from './polling-worker.js';

/** How often the scopes with listeners are read, in ms. */
export const LIVE_POLL_MS = 500;
/** Hits read per query. */
const PAGE = 500;
/** Pages a scope reads per poll at most: past them (a burst of thousands of hits) it goes on at the next poll. */
const MAX_PAGES = 4;
/**
 * Hits a resuming client may have missed at most: a client back after a long time, or one asking for
 * ?lastEventId=0 on a large campaign, would otherwise be sent the campaign's whole history.
 */
export const MAX_RESUME_HITS = 1_000;

export interface LiveListener {
  /** Sends one hit; its event id becomes what the client resumes after. */
  send(hit: LiveHit): void;
  /** Makes `eventId` what the client resumes after, without a hit; `note` says why when the client missed some. */
  moveTo(eventId: number, note?: string): void;
}

interface Subscription {
  listener: LiveListener;
  /** Every hit of the scope at or below it has been sent, none above. */
  position: number;
}

/** Sends the rows above the listener's position, then moves it to `to` (the end of the range read). */
function deliver(subscription: Subscription, rows: readonly LiveHit[], to: number): void {
  for (const hit of rows) {
    if (hit.eventId <= subscription.position) continue;
    subscription.listener.send(hit);
    subscription.position = hit.eventId;
  }
  subscription.position = Math.max(subscription.position, to);
}

/** The listeners of one scope on this node. */
class ScopeFeed {
  readonly subscriptions = new Set<Subscription>();

  /** @param head every hit of the scope at or below it has been read for the listeners at or past it. */
  constructor(
    private readonly scope: LiveScope,
    private readonly store: LiveFeedStore,
    public head: number,
  ) {}

  /** One poll: the listeners behind the head catch up, then one read from the head for all. */
  async poll(settled: number): Promise<void> {
    for (const subscription of [...this.subscriptions]) {
      if (subscription.position < this.head) await this.#read(subscription.position, this.head, (rows, to) => this.#deliver([subscription], rows, to));
    }
    if (this.head >= settled) return;
    this.head = await this.#read(this.head, settled, (rows, to) => this.#deliver([...this.subscriptions].filter((s) => s.position >= this.head), rows, to));
  }

  /** Reads (from, upTo] a page at a time, up to MAX_PAGES, handing each page on; returns how far it read. */
  async #read(from: number, upTo: number, each: (rows: LiveHit[], to: number) => void): Promise<number> {
    let at = from;
    for (let page = 0; page < MAX_PAGES && at < upTo; page++) {
      const rows = await this.store.humanHits(this.scope, at, upTo, PAGE);
      const to = rows.length === PAGE ? rows.at(-1)!.eventId : upTo;
      each(rows, to);
      at = to;
    }
    return at;
  }

  #deliver(subscriptions: readonly Subscription[], rows: readonly LiveHit[], to: number): void {
    // A listener gone during the read is not written to.
    for (const subscription of subscriptions) if (this.subscriptions.has(subscription)) deliver(subscription, rows, to);
  }
}

export interface LiveFeedOptions {
  pollMs: number;
  onError(error: unknown, message: string): void;
}

export class LiveFeed {
  readonly #feeds = new Map<string, ScopeFeed>();
  readonly #worker: PollingWorker<void>;
  #closed = false;

  constructor(
    private readonly store: LiveFeedStore,
    private readonly options: LiveFeedOptions = { pollMs: LIVE_POLL_MS, onError: () => {} },
  ) {
    this.#worker = new PollingWorker(() => this.#poll(), (error) => options.onError(error, 'reading the live feed failed; trying again'));
  }

  /** Whether the campaign or contact exists: a feed of nothing is a 404, not an endless stream. */
  exists(scope: LiveScope): Promise<boolean> {
    return this.store.scopeExists(scope);
  }

  /**
   * Starts sending the scope's human hits after `afterId` (a client's Last-Event-ID) to the listener,
   * after telling it where it starts (listener.moveTo); without one, from now on. Returns what stops it.
   */
  async subscribe(scope: LiveScope, afterId: number | null, listener: LiveListener): Promise<() => void> {
    const settled = await this.store.settledEventId();
    // Nothing settled yet only while this process's first reading waits on a transaction left open:
    // the newest id stands in, the one case where a hit still committing below it is not sent.
    const now = settled > 0 ? settled : await this.store.newestEventId();
    const subscription: Subscription = { listener, position: afterId ?? now };
    listener.moveTo(subscription.position);
    if (afterId !== null && afterId < settled) {
      const missed = await this.store.humanHits(scope, afterId, settled, MAX_RESUME_HITS + 1);
      if (missed.length > MAX_RESUME_HITS) listener.moveTo(settled, `more than ${MAX_RESUME_HITS} hits since event ${afterId}: starting from now`);
      deliver(subscription, missed.length > MAX_RESUME_HITS ? [] : missed, settled);
    }
    if (this.#closed) return () => {};
    const key = 'campaignId' in scope ? `campaign:${scope.campaignId}` : `contact:${scope.contactId}`;
    let feed = this.#feeds.get(key);
    if (!feed) {
      // Never past what is settled: a listener resuming from an id ahead of it reads from there too.
      feed = new ScopeFeed(scope, this.store, Math.min(subscription.position, now));
      this.#feeds.set(key, feed);
    }
    feed.subscriptions.add(subscription);
    this.#worker.start(this.options.pollMs);
    const current = feed;
    return () => {
      current.subscriptions.delete(subscription);
      // The last listener gone: the scope is no longer read.
      if (current.subscriptions.size === 0 && this.#feeds.get(key) === current) this.#feeds.delete(key);
    };
  }

  /** One poll of every scope with listeners: the settled id read once for all. */
  async #poll(): Promise<void> {
    if (this.#feeds.size === 0) return;
    const settled = await this.store.settledEventId();
    await Promise.all(
      [...this.#feeds.values()].map((feed) => feed.poll(settled).catch((error: unknown) => this.options.onError(error, 'reading the live feed failed; trying again'))),
    );
  }

  /** Listeners on this node, over every scope. */
  get listeners(): number {
    let count = 0;
    for (const feed of this.#feeds.values()) count += feed.subscriptions.size;
    return count;
  }

  /** Scopes being read now (one query each per poll). */
  get scopes(): number {
    return this.#feeds.size;
  }

  /** Stops polling (the server closes); streams are ended by their owner. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#feeds.clear();
    await this.#worker.stop();
  }
}
