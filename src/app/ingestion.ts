/**
 * Ingestion of delivery outcomes from any source: bounce and complaint mail (received over SMTP or
 * read from files) and providers' webhooks all end here, as ReportedOutcomes, and are matched to
 * messages, made events and recorded, one batch in one transaction. Nothing is dropped: what cannot
 * be parsed or matched, and what is not about delivery (authentication-failure reports,
 * auto-replies), is kept for review with the reason.
 *
 * Idempotent: a reporter's retry carries the same id and is stored once; the same final fact about
 * a recipient (a bounce, a complaint, a delivery, an unsubscribe) reported by two sources (a bounce
 * mail and a provider's webhook) has one dedupe key, so it is stored once too.
 */
import { createHash } from 'node:crypto';
import type { EventSource, EventType, NewEvent } from '../core/events.js';
import { MailsightError, notFound } from '../core/errors.js';
import { isProviderFlag } from '../core/outcomes/provider-flags.js';
import type { ReportedOutcome } from '../core/outcomes/reported-outcome.js';
import { reportedTimeProblem } from '../core/reported-time.js';
import type { Clock, Message } from './ports.js';
import type { SuppressionSettings } from '../core/suppression-rules.js';
import type { Keyring } from '../core/tokens.js';
import { readBounceToken, readMessageIdHeader } from '../core/verp.js';
import { BoundedCache } from './bounded-cache.js';

// The states live in core (pure) so the dashboard can import them; re-exported for the app's users.
import type { InboundState } from '../core/inbound-states.js';
export { INBOUND_STATES, type InboundState } from '../core/inbound-states.js';

export interface InboundReport {
  /** Stores the same report once: a hash of the raw mail, or the reporter's id of an outcome. */
  digest: string;
  receivedAt: number;
  origin: string;
  state: InboundState;
  reason: string;
  outcomes: ReportedOutcome[] | null;
  raw: Buffer | null;
}

export interface StoredInboundReport extends Omit<InboundReport, 'raw'> {
  id: number;
  /** Size of the raw mail kept, in bytes; null for webhook outcomes. */
  rawBytes: number | null;
}

/** A provider's id for a message, learned from a report that carried it beside a reference we resolved. */
export interface MessageRef {
  provider: string;
  ref: string;
  messageId: number;
}

/** One batch, written in one transaction: all of it or none. */
export interface IngestBatch {
  events: NewEvent[];
  refs: MessageRef[];
  inbound: InboundReport[];
}

export interface IngestionStore {
  getMessages(ids: readonly number[]): Promise<Map<number, Message>>;
  findRefs(provider: string, refs: readonly string[]): Promise<Map<string, number>>;
  /**
   * Writes the batch in one transaction: events whose dedupe key is stored already are skipped, and
   * the suppression rules applied to the new ones. Returns the events that were new.
   */
  record(batch: IngestBatch, now: number, suppression: SuppressionSettings): Promise<NewEvent[]>;
  listInbound(filter: { state?: InboundState; afterId?: number; limit: number }): Promise<StoredInboundReport[]>;
  /** The raw mail of a kept report: null when there is no such report, `raw: null` when it kept none. */
  getInboundRaw(id: number): Promise<{ raw: Buffer | null } | null>;
}

/**
 * Resolves the references that carry a signed token (core/verp.ts): the VERP return path's (or a
 * provider's custom argument's) token, the ENVID we sent, the Message-ID we gave. Each answers null
 * for a reference that is forged, altered or not ours.
 */
export interface ReferenceResolver {
  token(token: string): number | null;
  envelopeId(envelopeId: string): number | null;
  messageIdHeader(messageIdHeader: string): number | null;
}

/**
 * Verified references remembered, as the tracking service remembers its verified tokens: a token
 * comes back in every event of its message (processed, delivered, opens, clicks) and in every retry,
 * and verifying it (base32, HMAC, the id mask) is the largest cost of matching (bench:ingest). Enough
 * for every message of a large send; only what verified is kept, so forged tokens push out nothing.
 */
export const VERIFIED_REFERENCE_CACHE = 100_000;

/**
 * References read with the keyring in force (core/verp.ts): the token, the ENVID and the Message-ID
 * are one signed token. A verified one is remembered while the keyring stays the same.
 */
export function signedReferences(keyring: () => Keyring): ReferenceResolver {
  const known = new BoundedCache<string, { keyring: Keyring; messageId: number }>(VERIFIED_REFERENCE_CACHE);
  const remembered = (key: string, read: (ring: Keyring) => { messageId: number } | { problem: string }): number | null => {
    const ring = keyring();
    const hit = known.get(key);
    if (hit && hit.keyring === ring) return hit.messageId;
    const result = read(ring);
    if (!('messageId' in result)) return null;
    known.set(key, { keyring: ring, messageId: result.messageId });
    return result.messageId;
  };
  return {
    token: (token) => remembered(`t ${token}`, (ring) => readBounceToken(ring, token)),
    envelopeId: (envelopeId) => remembered(`t ${envelopeId}`, (ring) => readBounceToken(ring, envelopeId)),
    messageIdHeader: (header) => remembered(`m ${header}`, (ring) => readMessageIdHeader(ring, header)),
  };
}

export interface IngestResult {
  /** Outcomes in the batch. */
  received: number;
  /** New events recorded. */
  recorded: number;
  /** Outcomes matched but stored already (a retry, or the same fact from another source). */
  duplicates: number;
  /** Outcomes matched to no message, kept for review. */
  unmatched: number;
  /** Reports that are not about delivery (auth-failure, auto-reply), kept apart. */
  keptApart: number;
}

/** The event type an outcome becomes; null for reports kept apart. */
const EVENT_OF_KIND: Record<ReportedOutcome['kind'], EventType | null> = {
  sent: 'sent',
  delivered: 'delivered',
  deferred: 'deferred',
  bounced: 'bounced',
  blocked: 'blocked',
  complained: 'complained',
  unsubscribed: 'unsubscribed',
  opened: 'provider_opened',
  clicked: 'provider_clicked',
  'auth-failure': null,
  'auto-reply': null,
  'not-spam': null,
};

/**
 * Final facts about one recipient of one message: whoever reports one, it happened once, so its
 * dedupe key names the fact, not the reporter. Deferrals, sends and provider hits may happen many
 * times and are told apart by the reporter's id.
 */
const ONCE_PER_RECIPIENT: ReadonlySet<ReportedOutcome['kind']> = new Set(['bounced', 'complained', 'delivered', 'unsubscribed', 'blocked']);

function sourceOf(reporter: string): EventSource {
  if (reporter === 'dsn') return 'dsn';
  if (reporter === 'arf') return 'arf';
  if (reporter === 'smtp') return 'smtp';
  return 'webhook';
}

/**
 * The outcome with NUL characters replaced (U+FFFD) in every text: PostgreSQL's text holds none, and
 * a report carrying one (a forged Message-ID, a broken header) must still be matched and stored.
 */
function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replaceAll('\u0000', '\uFFFD') : value) as T;
  if (Array.isArray(value)) return value.map(withoutNul) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutNul(k), withoutNul(v)])) as T;
  return value;
}

export function digestOf(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One report to ingest: its outcomes, or (`keep`) a mail that yielded none, kept whole with the reason. */
export interface IngestItem {
  outcomes: readonly ReportedOutcome[];
  from: BatchOrigin;
  keep?: { state: 'unparseable' | 'not-a-report' | 'auto-reply'; reason: string };
}

interface Prepared {
  events: NewEvent[];
  refs: MessageRef[];
  inbound: InboundReport[];
  received: number;
  matched: number;
  unmatched: number;
  keptApart: number;
}

/** Where a batch came from, for the reports kept for review: 'smtp', 'file', 'webhook:<provider>'. */
export interface BatchOrigin {
  origin: string;
  /** The raw mail the outcomes were read from, kept with them when some cannot be matched. */
  raw?: Buffer | null;
}

export class IngestionService {
  constructor(
    private readonly store: IngestionStore,
    private readonly resolve: ReferenceResolver,
    private readonly clock: Clock,
    private readonly suppression: SuppressionSettings,
    private readonly onDelivery?: (messageId: number, type: 'sent' | 'delivered', at: number) => Promise<void>,
    private readonly onError?: (error: unknown, message: string) => void,
  ) {}

  /** Matches and records a batch of outcomes (one webhook request, one bounce mail): all of it or none. */
  async ingest(reported: readonly ReportedOutcome[], from: BatchOrigin): Promise<IngestResult> {
    return (await this.ingestAll([{ outcomes: reported, from }]))[0]!;
  }

  /**
   * Several reports (mails read from files) recorded in one transaction, all of them or none: one
   * commit for many mails instead of one each (bench:ingest). A report may also be a mail to keep
   * whole (`keep`), which yielded no outcome.
   */
  async ingestAll(reports: readonly IngestItem[]): Promise<IngestResult[]> {
    const now = this.clock.now();
    const prepared: Prepared[] = [];
    for (const report of reports) prepared.push(await this.prepare(report, now));
    // The same fact twice (a provider repeating an event, two mails of one bounce) is one event.
    const seen = new Set<string>();
    const events: NewEvent[] = [];
    const owner = new Map<NewEvent, number>();
    prepared.forEach((p, i) => {
      for (const event of p.events) {
        if (seen.has(event.dedupeKey!)) continue;
        seen.add(event.dedupeKey!);
        events.push(event);
        owner.set(event, i);
      }
    });
    const refs = new Map<string, MessageRef>();
    for (const p of prepared) for (const ref of p.refs) refs.set(`${ref.provider}\n${ref.ref}`, ref);
    const inserted = await this.store.record({ events, refs: [...refs.values()], inbound: prepared.flatMap((p) => p.inbound) }, now, this.suppression);
    await this.tellDeliveries(inserted);
    const recorded = prepared.map(() => 0);
    for (const event of inserted) recorded[owner.get(event)!]!++;
    return prepared.map((p, i) => ({ received: p.received, recorded: recorded[i]!, duplicates: p.matched - recorded[i]!, unmatched: p.unmatched, keptApart: p.keptApart }));
  }

  /** One report's events, provider ids and reports kept for review, before anything is written. */
  private async prepare(report: IngestItem, now: number): Promise<Prepared> {
    if (report.keep) {
      const { state, reason } = report.keep;
      const raw = report.from.raw ?? Buffer.alloc(0);
      const inbound: InboundReport = { digest: `${state}:${digestOf(raw)}`, receivedAt: now, origin: report.from.origin, state, reason: withoutNul(reason), outcomes: null, raw };
      return { events: [], refs: [], inbound: [inbound], received: 0, matched: 0, unmatched: 0, keptApart: 0 };
    }
    const from = report.from;
    const outcomes = report.outcomes.map((o) => withoutNul(o));
    const keptApart = outcomes.filter((o) => EVENT_OF_KIND[o.kind] === null);
    const facts = outcomes.filter((o) => EVENT_OF_KIND[o.kind] !== null);
    const matches = await this.match(facts);
    const messages = await this.store.getMessages([...new Set([...matches.values()].map((m) => m.messageId))]);

    const events: NewEvent[] = [];
    const unmatched: { outcome: ReportedOutcome; reason: string }[] = [];
    const refs: MessageRef[] = [];
    // Per message, the addresses this report names: one it did not go to is placed on its one
    // recipient only when the report names no other address for it (see recipientFor).
    const named = new Map<number, Set<string>>();
    for (const outcome of facts) {
      const id = matches.get(outcome)?.messageId;
      if (id !== undefined && outcome.recipient !== null) named.set(id, (named.get(id) ?? new Set()).add(outcome.recipient.toLowerCase()));
    }
    let matched = 0;
    for (const outcome of facts) {
      const match = matches.get(outcome);
      const message = match && messages.get(match.messageId);
      if (!match || !message) {
        unmatched.push({ outcome, reason: match ? `message ${match.messageId} does not exist` : unmatchedReason(outcome) });
        continue;
      }
      const recipient = recipientFor(message, outcome.recipient, named.get(message.id)?.size ?? 0);
      if ('problem' in recipient) {
        unmatched.push({ outcome, reason: recipient.problem });
        continue;
      }
      matched++;
      events.push(this.eventFor(outcome, message, recipient.email, now));
      const providerId = outcome.reference.providerMessageId;
      if (providerId && match.by !== 'providerMessageId') refs.push({ provider: outcome.reporter, ref: providerId, messageId: message.id });
    }
    const inbound = [...this.inboundFor(unmatched, 'unmatched', from, now), ...this.keptApartFor(keptApart, from, now)];
    return { events, refs, inbound, received: outcomes.length, matched, unmatched: unmatched.length, keptApart: keptApart.length };
  }

  /**
   * After the commit: what is recorded stays recorded, and a failure here (the tracking service
   * judging the message's hits again) must not make the reporter send it again. Started together,
   * awaited together: the tracking writer takes them in a few batches, not one round trip each (half
   * the webhook route's time otherwise, bench:ingest --http).
   */
  private async tellDeliveries(inserted: readonly NewEvent[]): Promise<void> {
    const onDelivery = this.onDelivery;
    if (!onDelivery) return;
    const deliveries = inserted.filter((e): e is NewEvent & { type: 'sent' | 'delivered' } => e.type === 'sent' || e.type === 'delivered');
    const settled = await Promise.allSettled(deliveries.map((e) => onDelivery(e.messageId, e.type, e.at)));
    settled.forEach((result, i) => {
      if (result.status === 'rejected') this.onError?.(result.reason, `message ${deliveries[i]!.messageId}: its hits could not be judged again after the ${deliveries[i]!.type} report`);
    });
  }

  /** Keeps a report that yielded no outcome (mail that could not be parsed, or is not a report). */
  async keep(state: 'unparseable' | 'not-a-report' | 'auto-reply', reason: string, raw: Buffer, origin: string): Promise<void> {
    await this.ingestAll([{ outcomes: [], from: { origin, raw }, keep: { state, reason } }]);
  }

  listInbound(filter: { state?: InboundState; afterId?: number; limit: number }): Promise<StoredInboundReport[]> {
    return this.store.listInbound(filter);
  }

  async getInboundRaw(id: number): Promise<Buffer> {
    const report = await this.store.getInboundRaw(id);
    if (!report) throw notFound('inbound report', id);
    if (!report.raw) throw new MailsightError('NOT_FOUND', `inbound report ${id} kept no mail: it holds a webhook's outcomes (GET /api/inbound-reports shows them)`);
    return report.raw;
  }

  /** Each outcome's message, by the first reference that resolves: token, envelope id, Message-ID, the provider's id. */
  private async match(outcomes: readonly ReportedOutcome[]): Promise<Map<ReportedOutcome, { messageId: number; by: string }>> {
    const found = new Map<ReportedOutcome, { messageId: number; by: string }>();
    const byReporter = new Map<string, ReportedOutcome[]>();
    for (const outcome of outcomes) {
      const signed = this.signedReference(outcome);
      if (signed) found.set(outcome, signed);
      else if (outcome.reference.providerMessageId) byReporter.set(outcome.reporter, [...(byReporter.get(outcome.reporter) ?? []), outcome]);
    }
    for (const [reporter, list] of byReporter) {
      const refs = await this.store.findRefs(reporter, [...new Set(list.map((o) => o.reference.providerMessageId!))]);
      for (const outcome of list) {
        const id = refs.get(outcome.reference.providerMessageId!);
        if (id !== undefined) found.set(outcome, { messageId: id, by: 'providerMessageId' });
      }
    }
    return found;
  }

  private signedReference(outcome: ReportedOutcome): { messageId: number; by: string } | null {
    const { token, envelopeId, messageIdHeader } = outcome.reference;
    const tried: [string, string | null | undefined, (v: string) => number | null][] = [
      ['token', token, (v) => this.resolve.token(v)],
      ['envelopeId', envelopeId, (v) => this.resolve.envelopeId(v)],
      ['messageIdHeader', messageIdHeader, (v) => this.resolve.messageIdHeader(v)],
    ];
    for (const [by, value, resolve] of tried) {
      const messageId = value ? resolve(value) : null;
      if (messageId !== null) return { messageId, by };
    }
    return null;
  }

  private eventFor(outcome: ReportedOutcome, message: Message, recipient: string, now: number): NewEvent {
    const type = EVENT_OF_KIND[outcome.kind]!;
    // A reporter's clock ahead of ours, or a date the mail got wrong, must not place the fact in the
    // future (it would misjudge every hit after it): such a time is replaced by the time it arrived.
    const at = outcome.at !== null && reportedTimeProblem(outcome.at, now) === null ? outcome.at : now;
    const bounce = outcome.bounce ?? null;
    const dedupeKey = ONCE_PER_RECIPIENT.has(outcome.kind)
      ? `outcome:${message.id}:${recipient}:${outcome.kind}${outcome.kind === 'bounced' ? `:${bounce?.hard ? 'hard' : 'soft'}` : ''}`
      : `${outcome.reporter}:${outcome.id}`;
    const detail: Record<string, unknown> = { reporter: outcome.reporter, reportId: outcome.id };
    if (outcome.at !== null && at !== outcome.at) detail['reportedAt'] = outcome.at;
    if (bounce) Object.assign(detail, { status: bounce.status, code: bounce.replyCode, text: bounce.diagnostic });
    for (const key of ['machine', 'url', 'userAgent', 'ip'] as const) if (outcome[key] != null) detail[key] = outcome[key];
    if (outcome.reference.providerMessageId) detail['providerMessageId'] = outcome.reference.providerMessageId;
    if (outcome.detail) detail['report'] = outcome.detail;
    return {
      messageId: message.id,
      campaignId: message.campaignId,
      type,
      at,
      source: sourceOf(outcome.reporter),
      subtype: subtypeOf(outcome),
      recipient,
      // A provider's machine or bot flag on an open or a click is its reason (core/outcomes/provider-flags.ts):
      // the report compares it with mailsight's verdict on the same open or click.
      reason: bounce?.reason ?? ((outcome.kind === 'opened' || outcome.kind === 'clicked') && isProviderFlag(outcome.flag) ? outcome.flag : null),
      detail,
      dedupeKey,
    };
  }

  private inboundFor(list: readonly { outcome: ReportedOutcome; reason: string }[], state: InboundState, from: BatchOrigin, now: number): InboundReport[] {
    if (list.length === 0) return [];
    // A mail is kept whole, once, with the outcomes that could not be placed; a webhook's outcomes one by one.
    if (from.raw) {
      const reason = [...new Set(list.map((u) => u.reason))].join('; ');
      return [{ digest: `${state}:${digestOf(from.raw)}`, receivedAt: now, origin: from.origin, state, reason, outcomes: list.map((u) => u.outcome), raw: from.raw }];
    }
    return list.map(({ outcome, reason }) => ({
      digest: `${state}:${digestOf(`${outcome.reporter}\n${outcome.id}`)}`,
      receivedAt: now,
      origin: from.origin,
      state,
      reason,
      outcomes: [outcome],
      raw: null,
    }));
  }

  private keptApartFor(list: readonly ReportedOutcome[], from: BatchOrigin, now: number): InboundReport[] {
    const byState = (kind: 'auth-failure' | 'auto-reply' | 'not-spam', reason: string) =>
      this.inboundFor(
        list.filter((o) => o.kind === kind).map((outcome) => ({ outcome, reason })),
        kind,
        from,
        now,
      );
    return [
      ...byState('auth-failure', 'an authentication-failure report (RFC 6591): about the sender\'s SPF/DKIM/DMARC, not a complaint'),
      ...byState('auto-reply', 'an auto-reply (RFC 3834): the message was delivered; not a bounce'),
      ...byState('not-spam', 'a not-spam report: the recipient says the message is wanted; it suppresses nothing'),
    ];
  }
}

function subtypeOf(outcome: ReportedOutcome): string | null {
  switch (outcome.kind) {
    case 'bounced':
      return outcome.bounce?.hard ? 'hard' : 'soft';
    case 'complained':
      return outcome.feedbackType ?? 'abuse';
    case 'unsubscribed':
      return outcome.reporter;
    default:
      return null;
  }
}

function unmatchedReason(outcome: ReportedOutcome): string {
  const r = outcome.reference;
  const tried = [
    r.token && `token ${r.token}`,
    r.envelopeId && `envelope id ${r.envelopeId}`,
    r.messageIdHeader && `Message-ID <${r.messageIdHeader}>`,
    r.providerMessageId && `${outcome.reporter} message id ${r.providerMessageId}`,
  ].filter(Boolean);
  return tried.length === 0 ? 'the report names no message (no VERP token, envelope id, Message-ID or provider id)' : `no message matches ${tried.join(', ')}`;
}

/**
 * The message's recipient the outcome is about. A report naming an address the message did not go
 * to (a forwarding address in a DSN's Final-Recipient) is placed on the message's one recipient when
 * it had one and the batch names no other address for the message (`named`: how many it names);
 * otherwise (several recipients, or a report listing other addresses too) it cannot be placed and is
 * kept for review.
 */
function recipientFor(message: Message, reported: string | null, named: number): { email: string } | { problem: string } {
  const everyone = [...message.recipients.to, ...message.recipients.cc].map((e) => e.toLowerCase());
  const wanted = reported?.toLowerCase() ?? null;
  if (wanted !== null && everyone.includes(wanted)) return { email: wanted };
  if (everyone.length === 1 && (wanted === null || named <= 1)) return { email: everyone[0]! };
  if (everyone.length === 1) return { problem: `${wanted} is not the recipient of message ${message.id} (${everyone[0]}), and the report names other addresses for it` };
  if (everyone.length === 0) return { problem: `message ${message.id} was blocked and never sent to anyone` };
  return { problem: wanted === null ? `message ${message.id} went to ${everyone.length} recipients and the report names none` : `${wanted} is not a recipient of message ${message.id}` };
}
