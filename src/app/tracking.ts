/**
 * Recording hits on the tracking endpoints: verify the token (no database), find what it points to
 * (cached), and hand the hit to the writer through group commit, so the answer goes out only once it
 * is durable. The writer (hit-writer.ts) classifies each batch and writes it in one transaction; it
 * may run on a thread of its own, so this side only deals in plain data.
 */
import type { HitDetail, NewEvent } from '../core/events.js';
import type { HitKind } from '../core/nhi/verdict.js';
import { HONEYPOT_ORDINAL, trackableLinkCount } from '../core/instrument/index.js';
import { parseAbsoluteHttpUrl } from '../core/instrument/url-rules.js';
import { verifyToken, type Keyring, type TokenClaims, type TokenKind } from '../core/tokens.js';
import type { SuppressionSettings } from '../core/suppression-rules.js';
import { GroupCommitQueue, type GroupCommitOptions } from './group-commit.js';
import { keptRequest, type HitWrite, type HitWriter } from './hit-writer.js';
import { BoundedCache } from './bounded-cache.js';
import type { CatalogStore, Clock, EventStore, MessageRoute } from './ports.js';

/** Routes of recently hit messages kept in memory: ~200 bytes each. */
const ROUTE_CACHE_SIZE = 100_000;
/** Tokens recently verified, kept with their claims: ~150 bytes each. */
const VERIFIED_TOKEN_CACHE_SIZE = 100_000;
/** Link tables of recently hit executions kept in memory. */
const LINK_CACHE_SIZE = 2_000;
/**
 * A cached route that does not know its delivery time yet is re-read after this long: the delivery
 * may have been reported through another node.
 */
export const ROUTE_REFRESH_MS = 60_000;

/**
 * Batches handed to a writer thread and not yet committed, at most: the one it commits and the next.
 * Each hand-off costs both threads a fixed price; more batches in flight only split the same hits
 * into more of them (A/B on bench:track: 0.53 on average with 2, 0.48 with no limit, 0.47 with 3).
 */
const HANDED_OVER_BATCHES = 2;

export type HitRequest = Omit<HitDetail, 'linkOrdinal'>;

/**
 * Where a click goes. `unrecorded` holds the error when the destination was known but the hit could
 * not be written: the person is still sent on (a tracked link must keep working), and the caller logs it.
 */
export type ClickOutcome = ({ kind: 'redirect'; destination: string } | { kind: 'honeypot' }) & { unrecorded?: unknown } | { kind: 'invalid' };

/**
 * Whether the unsubscribe page is shown. `unrecorded` holds the error when its page-view hit could not
 * be written: the page is still shown (the person came to unsubscribe), and the caller logs it.
 */
export type UnsubscribePageOutcome = { kind: 'page'; unrecorded?: unknown } | { kind: 'invalid' };

export type UnsubscribeOutcome = { kind: 'done'; alreadyUnsubscribed: boolean } | { kind: 'invalid' };

export interface TrackingOptions {
  groupCommit: GroupCommitOptions;
  /** Whether an address is one of the sender's own (SELF_ADDRESSES). */
  isSelfAddress: (email: string) => boolean;
  /** `truncated` stores IPs as their /24 (IPv4) or /48 (IPv6) network, after classification saw them whole. */
  ipStorage: 'full' | 'truncated';
  /** The suppression rules' settings (core/suppression-rules.ts). */
  suppression: SuppressionSettings;
  /** Told of failures no caller waits for (hits judged again in the background), to be logged. */
  onError: (error: unknown, message: string) => void;
}

interface CachedRoute extends MessageRoute {
  loadedAt: number;
  selfRecipient: boolean;
}

interface LinkTable {
  /** Each link's destination as a `Location` value (see redirectLocation), by ordinal. */
  urls: ReadonlyMap<number, string>;
  /** Trackable links of the message: its HTML links, or its text links when it has no HTML part. */
  linkCount: number;
}

export class TrackingService {
  readonly #routes = new BoundedCache<number, CachedRoute>(ROUTE_CACHE_SIZE);
  readonly #links = new BoundedCache<number, LinkTable>(LINK_CACHE_SIZE);
  /** Keyed by the token itself: a token carries its kind (open, click...), which its claims hold. */
  readonly #verified = new BoundedCache<string, { keyring: Keyring; claims: TokenClaims }>(VERIFIED_TOKEN_CACHE_SIZE);
  readonly #writer: HitWriter;
  readonly #queue: GroupCommitQueue<HitWrite>;

  constructor(
    private readonly keyring: () => Keyring,
    private readonly catalog: CatalogStore,
    private readonly events: EventStore,
    writer: HitWriter,
    private readonly clock: Clock,
    private readonly options: TrackingOptions,
  ) {
    this.#writer = writer;
    // A writer on another thread does its own group commit: a batch goes to it while it commits the
    // previous one, so that it always has the next at hand, and what arrives meanwhile gathers here.
    const queueOptions = writer.handsOver ? { ...options.groupCommit, maxDelayMs: 0, maxInFlight: HANDED_OVER_BATCHES } : options.groupCommit;
    this.#queue = new GroupCommitQueue((batch) => writer.write(batch, this.clock.now()), queueOptions);
  }

  /** Records an open when the token is valid; returns whether it did. */
  async open(token: string, request: HitRequest): Promise<boolean> {
    const target = await this.resolve(token, 'open');
    if (!target) return false;
    await this.#queue.enqueue(this.#pending(target, 'open', request, null, 0));
    return true;
  }

  /**
   * Records a click and returns where to send the person. The destination always comes from the
   * stored link occurrence, never from the URL, so the endpoint cannot serve as an open redirect.
   */
  async click(token: string, request: HitRequest): Promise<ClickOutcome> {
    const target = await this.resolve(token, 'click');
    if (!target) return { kind: 'invalid' };
    const ordinal = target.ordinal!;
    const links = await this.#linkTable(target.route.executionId);
    const destination = ordinal === HONEYPOT_ORDINAL ? null : (links?.urls.get(ordinal) ?? null);
    if (ordinal !== HONEYPOT_ORDINAL && destination === null) return { kind: 'invalid' };
    let unrecorded: unknown = undefined;
    try {
      await this.#queue.enqueue(this.#pending(target, 'click', request, ordinal, links?.linkCount ?? 0));
    } catch (error) {
      unrecorded = error;
    }
    const outcome = destination === null ? { kind: 'honeypot' as const } : { kind: 'redirect' as const, destination };
    return unrecorded === undefined ? outcome : { ...outcome, unrecorded };
  }

  /** A view of the unsubscribe page: recorded as evidence, changes nothing (scanners follow links). */
  async unsubscribePage(token: string, request: HitRequest): Promise<UnsubscribePageOutcome> {
    const target = await this.resolve(token, 'unsubscribe');
    if (!target) return { kind: 'invalid' };
    try {
      await this.#queue.enqueue(this.#pending(target, 'unsubscribe_page', request, null, 0));
    } catch (error) {
      return { kind: 'page', unrecorded: error };
    }
    return { kind: 'page' };
  }

  /** Unsubscribes (RFC 8058 one-click POST or the page's form): once per message, suppressing the contact. */
  async unsubscribe(token: string, request: HitRequest, via: 'one-click' | 'page'): Promise<UnsubscribeOutcome> {
    const target = await this.resolve(token, 'unsubscribe');
    if (!target) return { kind: 'invalid' };
    const event: NewEvent = {
      messageId: target.messageId,
      campaignId: target.route.campaignId,
      type: 'unsubscribed',
      subtype: via,
      at: this.clock.now(),
      source: 'unsubscribe',
      hit: { ...keptRequest(request, target.route.consent, this.options.ipStorage), linkOrdinal: null },
      anonymous: !target.route.consent,
      dedupeKey: `unsubscribe:${target.messageId}`,
    };
    // The rules suppress the message's one recipient for good (reason `unsubscribe`, this event's id).
    // A message to several cannot tell who unsubscribed: the event is kept, no address is suppressed.
    const { inserted } = await this.events.appendWithSuppressionRules(event, this.options.suppression);
    return { kind: 'done', alreadyUnsubscribed: !inserted };
  }

  /**
   * Learns a delivery fact reported through this node: later hits use it at once, and hits already
   * judged are judged again (a click before delivery was made in transit). Resolves once any
   * revision is written.
   *
   * The writer may hold the message's hits when this side has no route for it (after a restart, which
   * warms the writer from the database, or an eviction): the fact alone goes to the writer then, which
   * keeps the earliest time it knows. No route is read or cached for it: most messages have had no
   * hit when their delivery is reported, and their routes would push out the ones in use.
   */
  async noteDelivery(messageId: number, type: 'sent' | 'delivered', at: number): Promise<void> {
    const cached = this.#routes.get(messageId);
    if (!cached) {
      await this.#queue.enqueue({ kind: 'delivery', messageId, sentAt: type === 'sent' ? at : null, deliveredAt: type === 'delivered' ? at : null });
      return;
    }
    if (type === 'sent' && (cached.sentAt === null || at < cached.sentAt)) cached.sentAt = at;
    else if (type === 'delivered' && (cached.deliveredAt === null || at < cached.deliveredAt)) cached.deliveredAt = at;
    else return;
    await this.#judgeAgain(messageId, cached);
  }

  /** Hands the message's times to the writer, which judges its hits again with them. */
  #judgeAgain(messageId: number, route: CachedRoute): Promise<void> {
    return this.#queue.enqueue({ kind: 'delivery', messageId, sentAt: route.sentAt, deliveredAt: route.deliveredAt });
  }

  /** Writes every accepted hit, then refuses new ones. */
  async close(): Promise<void> {
    try {
      await this.#queue.close();
    } finally {
      await this.#writer.close();
    }
  }

  /**
   * The claims of a valid token. A token is hit again and again (prefetch and refetch, scanners, the
   * reader coming back), so verified tokens are remembered, for as long as the keyring is the same.
   */
  #verify(token: string, kind: TokenKind): TokenClaims | null {
    const keyring = this.keyring();
    const known = this.#verified.get(token);
    if (known && known.keyring === keyring && known.claims.kind === kind) return known.claims;
    const verified = verifyToken(keyring, token, kind);
    if (!verified.ok) return null;
    this.#verified.set(token, { keyring, claims: verified.claims });
    return verified.claims;
  }

  private async resolve(token: string, kind: TokenKind): Promise<{ messageId: number; ordinal: number | null; route: CachedRoute } | null> {
    const claims = this.#verify(token, kind);
    if (!claims) return null;
    const { messageId, ordinal } = claims;
    // A validly signed token for a message that no longer exists (or another install's) is no hit.
    const now = this.clock.now();
    let route = this.#routes.get(messageId) ?? null;
    if (!route || (route.deliveredAt === null && now - route.loadedAt > ROUTE_REFRESH_MS)) {
      const cached = route;
      route = await this.#loadRoute(messageId, now);
      // Times reported through another node: the hits this node judged without them are judged again.
      // The hit at hand does not wait for that, so nobody else would hear of a failure: it is logged.
      if (cached && route && (cached.sentAt !== route.sentAt || cached.deliveredAt !== route.deliveredAt)) {
        this.#judgeAgain(messageId, route).catch((error: unknown) => this.options.onError(error, `judging the hits of message ${messageId} again failed`));
      }
    }
    return route ? { messageId, ordinal, route } : null;
  }

  /** Reads a message's route and caches it; null when the message does not exist. */
  async #loadRoute(messageId: number, now: number): Promise<CachedRoute | null> {
    const loaded = await this.catalog.messageRoute(messageId);
    if (!loaded) return null;
    const route = { ...loaded, loadedAt: now, selfRecipient: loaded.contactEmail !== null && this.options.isSelfAddress(loaded.contactEmail) };
    this.#routes.set(messageId, route);
    return route;
  }

  async #linkTable(executionId: number): Promise<LinkTable | null> {
    return this.#links.getOrLoad(executionId, async (id) => {
      const rows = await this.catalog.getLinks(id);
      // Serialized once per link, here, rather than on every click.
      return { urls: new Map(rows.map((l) => [l.ordinal, redirectLocation(l.url)])), linkCount: trackableLinkCount(rows) };
    });
  }

  #pending(target: { messageId: number; route: CachedRoute }, kind: HitKind, request: HitRequest, linkOrdinal: number | null, linkCount: number): HitWrite {
    const { route } = target;
    return {
      kind: 'hit',
      hit: {
        kind,
        at: this.clock.now(),
        method: request.method,
        ip: request.ip,
        userAgent: request.userAgent,
        headers: request.headers,
        linkOrdinal,
        messageId: target.messageId,
        campaignId: route.campaignId,
        sentAt: route.sentAt,
        deliveredAt: route.deliveredAt,
        linkCount,
        consent: route.consent,
        selfRecipient: route.selfRecipient,
      },
    };
  }
}

/** Characters that cannot stand in a `Location` header as they are: anything but visible ASCII. */
const NOT_VISIBLE_ASCII = /[^\x21-\x7e]/gu;

/**
 * A stored destination as a `Location` value: the WHATWG URL serialization (punycode host,
 * percent-encoded UTF-8 path, query and fragment, tabs and line breaks dropped), which is what a
 * browser would have requested had the link not been tracked. A header may carry only visible ASCII:
 * a raw `Москва` or `€` would fail the response or reach the browser as Latin-1 bytes. Destinations
 * are stored only once they parse (url-rules.ts); should one not, each character outside visible
 * ASCII is percent-encoded as UTF-8, so the answer is still a valid header.
 */
export function redirectLocation(destination: string): string {
  const url = parseAbsoluteHttpUrl(destination);
  if (url !== null) return url.href;
  return destination.replace(NOT_VISIBLE_ASCII, (c) => (c.length === 1 && c >= '\ud800' && c <= '\udfff' ? '%EF%BF%BD' : encodeURIComponent(c)));
}
