/**
 * Recording hits on the tracking endpoints: verify the token (no database), find what it points to
 * (cached), and append the hit through group commit, so the answer goes out only once it is durable.
 * Each batch is classified in arrival order before it is written: new hits are stored with their
 * verdicts, and earlier hits whose verdict the new evidence changes are revised in the same
 * transaction.
 */
import type { HitDetail, NewEvent, StoredJudgement, VerdictRevision } from '../core/events.js';
import { HitClassifier } from '../core/nhi/hit-classifier.js';
import { truncateIp } from '../core/nhi/ip-address.js';
import type { HitFacts, HitKind, Judgement, MessageFacts } from '../core/nhi/verdict.js';
import { verifyToken, type Keyring, type TokenKind } from '../core/tokens.js';
import { GroupCommitQueue, type GroupCommitOptions } from './group-commit.js';
import { LruCache } from './lru-cache.js';
import type { CatalogStore, Clock, EventStore, MessageRoute, NetworkLookup } from './ports.js';

/** Routes of recently hit messages kept in memory: ~200 bytes each. */
const ROUTE_CACHE_SIZE = 100_000;
/** Link tables of recently hit executions kept in memory. */
const LINK_CACHE_SIZE = 2_000;
/**
 * A cached route that does not know its delivery time yet is re-read after this long: the delivery
 * may have been reported through another node.
 */
export const ROUTE_REFRESH_MS = 60_000;

export type HitRequest = Omit<HitDetail, 'linkOrdinal'>;

export type ClickOutcome = { kind: 'redirect'; destination: string } | { kind: 'honeypot' } | { kind: 'invalid' };

export type UnsubscribeOutcome = { kind: 'done'; alreadyUnsubscribed: boolean } | { kind: 'invalid' };

export interface TrackingOptions {
  groupCommit: GroupCommitOptions;
  /** `truncated` stores IPs as their /24 (IPv4) or /48 (IPv6) network, after classification saw them whole. */
  ipStorage: 'full' | 'truncated';
}

interface CachedRoute extends MessageRoute {
  loadedAt: number;
}

interface LinkTable {
  urls: ReadonlyMap<number, string>;
  /** Trackable links of the message: its HTML links, or its text links when it has no HTML part. */
  linkCount: number;
}

/** Where a hit's stored row is, once written, and the verdict it was stored with. */
interface HitRef {
  eventId: number | null;
  stored: StoredJudgement | null;
}

interface PendingHit {
  kind: 'hit';
  event: NewEvent;
  facts: HitFacts;
  message: MessageFacts;
  ref: HitRef;
}

/** A delivery time learnt after hits were judged: goes through the same queue, so verdicts change in order. */
interface PendingDelivery {
  kind: 'delivery';
  messageId: number;
  sentAt: number | null;
  deliveredAt: number | null;
}

type Pending = PendingHit | PendingDelivery;

export class TrackingService {
  readonly #routes = new LruCache<number, CachedRoute>(ROUTE_CACHE_SIZE);
  readonly #links = new LruCache<number, LinkTable>(LINK_CACHE_SIZE);
  readonly #classifier = new HitClassifier<HitRef>();
  readonly #queue: GroupCommitQueue<Pending>;

  constructor(
    private readonly keyring: () => Keyring,
    private readonly catalog: CatalogStore,
    private readonly events: EventStore,
    private readonly networks: () => NetworkLookup,
    private readonly clock: Clock,
    private readonly options: TrackingOptions,
  ) {
    this.#queue = new GroupCommitQueue((batch) => this.#write(batch), options.groupCommit);
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
    const destination = ordinal === 0 ? null : (links?.urls.get(ordinal) ?? null);
    if (ordinal !== 0 && destination === null) return { kind: 'invalid' };
    await this.#queue.enqueue(this.#pending(target, 'click', request, ordinal, links?.linkCount ?? 0));
    return destination === null ? { kind: 'honeypot' } : { kind: 'redirect', destination };
  }

  /** A view of the unsubscribe page: recorded as evidence, changes nothing (scanners follow links). */
  async unsubscribePage(token: string, request: HitRequest): Promise<boolean> {
    const target = await this.resolve(token, 'unsubscribe');
    if (!target) return false;
    await this.#queue.enqueue(this.#pending(target, 'unsubscribe_page', request, null, 0));
    return true;
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
      hit: { ...this.#keptRequest(request, target.route), linkOrdinal: null },
      anonymous: !target.route.consent,
      dedupeKey: `unsubscribe:${target.messageId}`,
    };
    const contact = target.route.contactId === null ? null : await this.catalog.getContact(target.route.contactId);
    // A message to several recipients cannot tell who unsubscribed: the event is kept, no address is suppressed.
    const suppression = contact ? { email: contact.email, reason: 'unsubscribed', source: 'unsubscribe', createdAt: event.at, expiresAt: null } : null;
    const inserted = await this.events.appendWithSuppression(event, suppression);
    return { kind: 'done', alreadyUnsubscribed: inserted === 0 };
  }

  /**
   * Learns a delivery fact reported through this node: later hits use it at once, and hits already
   * judged are judged again (a click before delivery was made in transit). Resolves once any
   * revision is written.
   */
  async noteDelivery(messageId: number, type: 'sent' | 'delivered', at: number): Promise<void> {
    const route = this.#routes.get(messageId);
    if (!route) return;
    if (type === 'sent' && (route.sentAt === null || at < route.sentAt)) route.sentAt = at;
    else if (type === 'delivered' && (route.deliveredAt === null || at < route.deliveredAt)) route.deliveredAt = at;
    else return;
    await this.#queue.enqueue({ kind: 'delivery', messageId, sentAt: route.sentAt, deliveredAt: route.deliveredAt });
  }

  /** Writes every accepted hit, then refuses new ones. */
  close(): Promise<void> {
    return this.#queue.close();
  }

  private async resolve(token: string, kind: TokenKind): Promise<{ messageId: number; ordinal: number | null; route: CachedRoute } | null> {
    const verified = verifyToken(this.keyring(), token, kind);
    if (!verified.ok) return null;
    const { messageId, ordinal } = verified.claims;
    // A validly signed token for a message that no longer exists (or another install's) is no hit.
    const now = this.clock.now();
    let route = this.#routes.get(messageId) ?? null;
    if (!route || (route.deliveredAt === null && now - route.loadedAt > ROUTE_REFRESH_MS)) {
      const loaded = await this.catalog.messageRoute(messageId);
      route = loaded ? { ...loaded, loadedAt: now } : null;
      if (route) this.#routes.set(messageId, route);
    }
    return route ? { messageId, ordinal, route } : null;
  }

  async #linkTable(executionId: number): Promise<LinkTable | null> {
    return this.#links.getOrLoad(executionId, async (id) => {
      const rows = await this.catalog.getLinks(id);
      const html = rows.filter((l) => l.part === 'html').length;
      return { urls: new Map(rows.map((l) => [l.ordinal, l.url])), linkCount: html > 0 ? html : rows.length };
    });
  }

  #pending(target: { messageId: number; route: CachedRoute }, kind: HitKind, request: HitRequest, linkOrdinal: number | null, linkCount: number): PendingHit {
    const { route } = target;
    const at = this.clock.now();
    const facts: HitFacts = {
      kind,
      at,
      method: request.method,
      ip: request.ip,
      userAgent: request.userAgent,
      headers: request.headers,
      linkOrdinal,
      networks: request.ip ? this.networks().match(request.ip) : [],
    };
    const type = kind === 'open' ? 'opened' : kind === 'click' ? 'clicked' : 'unsubscribe_page';
    const source = kind === 'open' ? 'pixel' : kind === 'click' ? 'redirect' : 'unsubscribe';
    return {
      kind: 'hit',
      facts,
      message: { messageId: target.messageId, campaignId: route.campaignId, sentAt: route.sentAt, deliveredAt: route.deliveredAt, linkCount },
      ref: { eventId: null, stored: null },
      event: {
        messageId: target.messageId,
        campaignId: route.campaignId,
        type,
        at,
        source,
        hit: { ...this.#keptRequest(request, route), linkOrdinal },
        anonymous: !route.consent,
      },
    };
  }

  /** What is stored of a request: nothing identifying without consent, a truncated IP if so configured. */
  #keptRequest(request: HitRequest, route: MessageRoute): HitRequest {
    if (!route.consent) return { method: request.method, ip: null, userAgent: null, headers: {} };
    if (this.options.ipStorage === 'truncated' && request.ip) return { ...request, ip: truncateIp(request.ip) };
    return request;
  }

  async #write(pending: Pending[]): Promise<void> {
    const at = this.clock.now();
    const latest = new Map<HitRef, Judgement>();
    const batch: PendingHit[] = [];
    for (const p of pending) {
      if (p.kind === 'delivery') {
        for (const r of this.#classifier.noteDelivery(p.messageId, p)) latest.set(r.ref, r.judgement);
        continue;
      }
      batch.push(p);
      const observation = this.#classifier.observe(p.ref, p.facts, p.message);
      latest.set(p.ref, observation.judgement);
      for (const r of observation.revised) latest.set(r.ref, r.judgement);
    }
    const events = batch.map((p) => ({ ...p.event, judgement: { ...latest.get(p.ref)!, at } }));
    // Hits written earlier whose verdict changed; hits of this batch are simply written as they now stand.
    const revised: [HitRef, VerdictRevision][] = [];
    for (const [ref, judgement] of latest) {
      if (ref.eventId === null || sameJudgement(ref.stored, judgement)) continue;
      revised.push([ref, { eventId: ref.eventId, previous: ref.stored, next: { ...judgement, at } }]);
    }
    const ids = await this.events.appendHits(events, revised.map(([, revision]) => revision));
    batch.forEach((p, i) => {
      p.ref.eventId = ids[i]!;
      p.ref.stored = events[i]!.judgement;
    });
    for (const [ref, revision] of revised) ref.stored = revision.next;
  }
}

function sameJudgement(stored: StoredJudgement | null, next: Judgement): boolean {
  return stored !== null && stored.verdict === next.verdict && stored.reasons.length === next.reasons.length && stored.reasons.every((r, i) => r === next.reasons[i]);
}
