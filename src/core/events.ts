import { HIT_KINDS, type HitKind, type Verdict } from './nhi/verdict.js';

/**
 * The normalized event model: every fact about a message, whoever reported it, is one of these.
 * Events are append-only; a message's status is derived from them (see message-status.ts).
 */

/**
 * Facts about getting the message to the mailbox, reported by the sender, a relay or a provider.
 * `sending` is our relay holding the message (handed over, no answer yet); `blocked` never sent.
 */
export const DELIVERY_EVENT_TYPES = ['queued', 'sending', 'sent', 'delivered', 'deferred', 'bounced', 'blocked', 'complained'] as const;
/**
 * Facts produced by the recipient's (or a machine's) requests to the tracking endpoints: for each kind
 * of hit (HIT_KINDS), the event type that records it and the endpoint it comes from. The one
 * definition: the lists and lookups of hit event types below are derived from it.
 */
export const HIT_EVENTS = {
  open: { type: 'opened', source: 'pixel' },
  click: { type: 'clicked', source: 'redirect' },
  unsubscribe_page: { type: 'unsubscribe_page', source: 'unsubscribe' },
} as const satisfies Record<HitKind, { type: string; source: EventSource }>;
export type HitEventType = (typeof HIT_EVENTS)[HitKind]['type'];
export const HIT_EVENT_TYPES: readonly HitEventType[] = HIT_KINDS.map((kind) => HIT_EVENTS[kind].type);
/** The kind of hit an event type records; absent for events that are not hits. */
export const HIT_KIND_OF_EVENT_TYPE: ReadonlyMap<string, HitKind> = new Map(HIT_KINDS.map((kind) => [HIT_EVENTS[kind].type, kind]));
/**
 * Opens and clicks a provider's own tracking reported (SendGrid, Mailgun, SES...): kept with their
 * source as evidence, never counted as opens or clicks, so they cannot double what our own
 * endpoints saw (a message tracked by both would count each open twice).
 */
export const PROVIDER_HIT_EVENT_TYPES = ['provider_opened', 'provider_clicked'] as const;
export const EVENT_TYPES = [...DELIVERY_EVENT_TYPES, ...HIT_EVENT_TYPES, 'unsubscribed', ...PROVIDER_HIT_EVENT_TYPES] as const;

export type DeliveryEventType = (typeof DELIVERY_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Where a fact came from: pixel and redirect are our tracking endpoints, unsubscribe our one-click
 * endpoint or confirmation page, smtp our own relay's answer, api a caller of the JSON API,
 * webhook a provider's report, dsn a bounce email's, arf a complaint email's (RFC 5965), inferred a
 * fact implied by another.
 */
export const EVENT_SOURCES = ['pixel', 'redirect', 'unsubscribe', 'smtp', 'api', 'webhook', 'dsn', 'arf', 'inferred'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export type BounceType = 'hard' | 'soft';

export interface BounceDetail {
  bounceType: BounceType;
  /** SMTP reply code, e.g. 550. */
  code?: number | null;
  /** Enhanced status code (RFC 3463), e.g. "5.1.1". */
  status?: string | null;
  text?: string | null;
}

/** Request facts kept for every hit; they are the evidence the classifier reads. */
export interface HitDetail {
  method: string;
  ip: string | null;
  userAgent: string | null;
  /** Only the headers that matter: Purpose, Sec-Purpose, X-Purpose, Referer, Accept-Language. */
  headers: Record<string, string>;
  linkOrdinal: number | null;
}

/** A HEAD request only probes a link (scanners check where it leads): a hit, never an open or a click. */
export const PROBE_METHOD = 'HEAD';

export const KEPT_HIT_HEADERS = ['purpose', 'sec-purpose', 'x-purpose', 'referer', 'accept-language', 'x-moz'] as const;

/** Longest user agent or header value kept; longer values are cut (they are evidence, not payload). */
export const MAX_KEPT_HEADER_LENGTH = 1024;

export function keptHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of KEPT_HIT_HEADERS) {
    const value = headers[name];
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (text !== undefined && text !== '') kept[name] = text.slice(0, MAX_KEPT_HEADER_LENGTH);
  }
  return kept;
}

/** A hit's verdict as stored: who was behind it, why, and since when. */
export interface StoredJudgement {
  verdict: Verdict;
  reasons: string[];
  at: number;
}

export interface NewEvent {
  messageId: number;
  campaignId: number;
  type: EventType;
  at: number;
  source: EventSource;
  /** hard/soft for bounces, the feedback type for complaints, one-click/page for unsubscribes. */
  subtype?: string | null;
  /** The recipient the fact is about, lower-cased, when the message went to several or the report names one. */
  recipient?: string | null;
  /** For bounces, deferrals and blocks: why (core/outcomes/reasons.ts for bounces; the suppression's reason for blocks). */
  reason?: string | null;
  hit?: HitDetail | null;
  detail?: Record<string, unknown> | null;
  /** Stable id for idempotent ingestion: the same report twice is stored once. */
  dedupeKey?: string | null;
  /** For hits: the classifier's verdict. */
  judgement?: StoredJudgement | null;
  /** The contact withheld consent: the hit counts, but is kept without IP, user agent or headers. */
  anonymous?: boolean;
  /** For hits: the writer that recorded it (several nodes may share a database). */
  writer?: string | null;
}

/** A change of an earlier hit's verdict, kept as history. */
export interface VerdictRevision {
  eventId: number;
  previous: StoredJudgement | null;
  next: StoredJudgement;
}

export interface StoredEvent extends NewEvent {
  id: number;
  recordedAt: number;
}
