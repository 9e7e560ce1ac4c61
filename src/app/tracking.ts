/**
 * Recording hits on the tracking endpoints: verify the token (no database), find what it points to
 * (cached), and append the hit through group commit, so the answer goes out only once it is durable.
 */
import type { HitDetail, NewEvent } from '../core/events.js';
import { verifyToken, type Keyring, type TokenKind } from '../core/tokens.js';
import type { GroupCommitQueue } from './group-commit.js';
import { LruCache } from './lru-cache.js';
import type { CatalogStore, Clock, EventStore, MessageRoute } from './ports.js';

/** Routes of recently hit messages kept in memory: ~100 bytes each. */
const ROUTE_CACHE_SIZE = 100_000;
/** Link tables of recently hit executions kept in memory. */
const LINK_CACHE_SIZE = 2_000;

export type HitRequest = Omit<HitDetail, 'linkOrdinal'>;

export type ClickOutcome =
  | { kind: 'redirect'; destination: string }
  | { kind: 'honeypot' }
  | { kind: 'invalid' };

export type UnsubscribeOutcome = { kind: 'done'; alreadyUnsubscribed: boolean } | { kind: 'invalid' };

export class TrackingService {
  readonly #routes = new LruCache<number, MessageRoute>(ROUTE_CACHE_SIZE);
  readonly #links = new LruCache<number, ReadonlyMap<number, string>>(LINK_CACHE_SIZE);

  constructor(
    private readonly keyring: () => Keyring,
    private readonly catalog: CatalogStore,
    private readonly events: EventStore,
    private readonly hits: GroupCommitQueue<NewEvent>,
    private readonly clock: Clock,
  ) {}

  /** Records an open when the token is valid; returns whether it did. Never throws for bad input. */
  async open(token: string, request: HitRequest): Promise<boolean> {
    const target = await this.resolve(token, 'open');
    if (!target) return false;
    await this.hits.enqueue(this.hitEvent(target, 'opened', 'pixel', request, null));
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
    let destination: string | null = null;
    if (ordinal !== 0) {
      const links = await this.#links.getOrLoad(target.route.executionId, async (id) => {
        const rows = await this.catalog.getLinks(id);
        return new Map(rows.map((l) => [l.ordinal, l.url]));
      });
      destination = links?.get(ordinal) ?? null;
      if (destination === null) return { kind: 'invalid' };
    }
    await this.hits.enqueue(this.hitEvent(target, 'clicked', 'redirect', request, ordinal));
    return destination === null ? { kind: 'honeypot' } : { kind: 'redirect', destination };
  }

  /** A view of the unsubscribe page: recorded as evidence, changes nothing (scanners follow links). */
  async unsubscribePage(token: string, request: HitRequest): Promise<boolean> {
    const target = await this.resolve(token, 'unsubscribe');
    if (!target) return false;
    await this.hits.enqueue(this.hitEvent(target, 'unsubscribe_page', 'unsubscribe', request, null));
    return true;
  }

  /** Unsubscribes (RFC 8058 one-click POST or the page's form): once per message, suppressing the contact. */
  async unsubscribe(token: string, request: HitRequest, via: 'one-click' | 'page'): Promise<UnsubscribeOutcome> {
    const target = await this.resolve(token, 'unsubscribe');
    if (!target) return { kind: 'invalid' };
    const event: NewEvent = {
      ...this.hitEvent(target, 'unsubscribed', 'unsubscribe', request, null),
      subtype: via,
      dedupeKey: `unsubscribe:${target.messageId}`,
    };
    const contact = target.route.contactId === null ? null : await this.catalog.getContact(target.route.contactId);
    // A message to several recipients cannot tell who unsubscribed: the event is kept, no address is suppressed.
    const suppression = contact ? { email: contact.email, reason: 'unsubscribed', source: 'unsubscribe', createdAt: event.at, expiresAt: null } : null;
    const inserted = await this.events.appendWithSuppression(event, suppression);
    return { kind: 'done', alreadyUnsubscribed: inserted === 0 };
  }

  private async resolve(token: string, kind: TokenKind): Promise<{ messageId: number; ordinal: number | null; route: MessageRoute } | null> {
    const verified = verifyToken(this.keyring(), token, kind);
    if (!verified.ok) return null;
    const { messageId, ordinal } = verified.claims;
    // A validly signed token for a message that no longer exists (or another install's) is no hit.
    const route = await this.#routes.getOrLoad(messageId, (id) => this.catalog.messageRoute(id));
    return route ? { messageId, ordinal, route } : null;
  }

  private hitEvent(
    target: { messageId: number; route: MessageRoute },
    type: NewEvent['type'],
    source: NewEvent['source'],
    request: HitRequest,
    linkOrdinal: number | null,
  ): NewEvent {
    return {
      messageId: target.messageId,
      campaignId: target.route.campaignId,
      type,
      at: this.clock.now(),
      source,
      hit: { ...request, linkOrdinal },
    };
  }
}
