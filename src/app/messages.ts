/**
 * Messages: one send of an execution to one contact (or to several recipients at once), the
 * instrumented content a sender sends, and the delivery facts reported about it.
 */
import { MailsightError, notFound } from '../core/errors.js';
import type { BounceDetail, NewEvent, StoredEvent, VerdictRevision } from '../core/events.js';
import { applyPlan, unsubscribeHeaders, type LinkOccurrence as RenderedLink } from '../core/instrument/index.js';
import { deriveStatus, hasInferredOpen, type MessageStatus, type StatusEvent } from '../core/message-status.js';
import { reportedTimeProblem } from '../core/reported-time.js';
import type { Keyring } from '../core/tokens.js';
import type { SuppressionSettings } from '../core/suppression-rules.js';
import { messageIdHeader } from '../core/verp.js';
import type { Verdict } from '../core/nhi/verdict.js';
import type { CampaignService } from './campaigns.js';
import type { Campaign, CatalogStore, Clock, Contact, EventStore, IdempotencyRecord, IdempotentRequest, Message, MessageDraft, MessageExtras, SendReservation, Suppression, WrittenMessage } from './ports.js';
import { messageUrls } from './tracking-urls.js';

export interface RecipientInput {
  email: string;
  attributes?: Record<string, unknown>;
  consent?: boolean;
}

export interface RenderedMessage {
  message: Message;
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
  links: RenderedLink[];
  /** The hidden honeypot link's URL when the campaign has one: no person can click it. */
  honeypotUrl: string | null;
  unsubscribeUrl: string;
}

export interface CreatedMessage extends RenderedMessage {
  status: MessageStatus;
  /** Recipients left out because their address is suppressed. */
  suppressed: Suppression[];
  /** True when an earlier request with the same Idempotency-Key created the message: nothing was created now. */
  replayed: boolean;
}

/** An event as the API shows it: a hit's verdict flattened beside its evidence. */
export type EventView = Omit<StoredEvent, 'judgement'> & { verdict: Verdict | null; reasons: string[]; verdictAt: number | null };

export interface MessageView {
  message: Message;
  contact: Contact | null;
  status: MessageStatus;
  inferredOpen: boolean;
  events: EventView[];
}

interface ReportBase {
  at?: number;
  /** The reporter's id for this fact: the same id twice is recorded once. */
  id?: string;
  /** Which recipient the fact is about, for a message sent to several at once. */
  recipient?: string;
}

export type DeliveryReport = ReportBase &
  (
    | { type: 'sent' | 'delivered'; detail?: Record<string, unknown> }
    | { type: 'deferred'; code?: number | null; status?: string | null; text?: string | null }
    | ({ type: 'bounced' } & BounceDetail)
    | { type: 'complained'; feedbackType?: string | null }
  );

/**
 * How long an Idempotency-Key is remembered: a day, as Stripe does, well past any client's retries.
 * A key used again after that creates a new message.
 */
export const IDEMPOTENCY_KEY_RETENTION_MS = 24 * 60 * 60 * 1000;

export interface MessageSettings {
  publicUrl: string;
  unsubscribeMailto: string | null;
  /** The suppression rules' settings (core/suppression-rules.ts) applied to every fact reported. */
  suppression: SuppressionSettings;
  /** The right side of Message-IDs: BOUNCE_DOMAIN, else PUBLIC_URL's host. */
  messageIdDomain: string;
  /** Told of every sent or delivered fact recorded here (the tracking service uses it for timing). */
  onDelivery?: (messageId: number, type: 'sent' | 'delivered', at: number) => Promise<void>;
  /** Learns the mailbox provider of an address's domain (app/mail-domains.ts) before its message is counted. */
  learnDomain?: (address: string) => Promise<void>;
}

/**
 * What a new message holds so that no later one repeats it: its caller's deduplication key within its
 * campaign, and each of its addresses within its execution unless the campaign allows duplicates. In
 * address order, so that two messages to the same people take them in one order (no deadlock).
 */
function reservations(executionId: number, campaign: Campaign, recipients: readonly RecipientInput[], deduplicationKey: string | null): SendReservation[] {
  const held: SendReservation[] = [];
  if (deduplicationKey !== null) held.push({ scope: `campaign:${campaign.id}`, key: deduplicationKey, reason: 'duplicate-key', recipient: null });
  if (!campaign.allowDuplicates) {
    const addresses = [...new Set(recipients.map((r) => r.email.toLowerCase()))].sort();
    for (const address of addresses) held.push({ scope: `execution:${executionId}`, key: address, reason: 'duplicate', recipient: address });
  }
  return held;
}

/** Every address a message went to, To and CC. */
export function recipientsOf(message: Message): string[] {
  return [...message.recipients.to, ...message.recipients.cc];
}

export class MessageService {
  constructor(
    private readonly catalog: CatalogStore,
    private readonly events: EventStore,
    private readonly campaigns: CampaignService,
    private readonly keyring: () => Keyring,
    private readonly clock: Clock,
    private readonly settings: MessageSettings,
  ) {}

  /**
   * Creates a message, leaving out suppressed recipients. With an Idempotency-Key, a key already used
   * for the same request answers with the message it created, and for another request is refused.
   * Before sending, a message is blocked (recorded, never sent) when every To recipient is suppressed,
   * when one of its addresses already has a message of this execution (unless the campaign allows
   * duplicates), or when an earlier message of the campaign has the same deduplication key.
   */
  async createMessage(
    executionId: number,
    to: RecipientInput[],
    cc: RecipientInput[],
    idempotency: IdempotentRequest | null = null,
    options: { deduplicationKey: string | null } = { deduplicationKey: null },
  ): Promise<CreatedMessage> {
    if (to.length === 0) throw new MailsightError('VALIDATION', 'to: a message needs at least one recipient');
    const now = this.clock.now();
    const expiredBefore = now - IDEMPOTENCY_KEY_RETENTION_MS;
    if (idempotency) {
      const earlier = await this.catalog.findIdempotencyKey(idempotency.scope, idempotency.key, expiredBefore);
      if (earlier) return this.replay(idempotency, earlier);
    }
    const execution = await this.campaigns.requireExecution(executionId);
    const campaign = await this.campaigns.requireCampaign(execution.campaignId);
    // An execution whose messages cannot be rendered is refused before anything is written.
    await this.campaigns.planFor(campaign, execution);

    const suppressed: Suppression[] = [];
    const kept: { to: RecipientInput[]; cc: RecipientInput[] } = { to: [], cc: [] };
    for (const [field, list] of [['to', to], ['cc', cc]] as const) {
      for (const recipient of list) {
        const suppression = await this.catalog.findSuppression(recipient.email, now);
        if (suppression) suppressed.push(suppression);
        else kept[field].push(recipient);
      }
    }
    const everyone = [...to, ...cc];
    const blocked = kept.to.length === 0;
    // The message is counted under its first recipient's mailbox provider: known before it is written.
    const first = kept.to[0] ?? kept.cc[0];
    if (first && this.settings.learnDomain) await this.settings.learnDomain(first.email);
    // Every recipient gets a contact, which remembers the consent stated for it, written in the
    // message's transaction. A message is tracked by name only when all of them allow it: any one of
    // them may open it. Only a message to exactly one person attributes its hits to a contact.
    const draft: MessageDraft = {
      contacts: everyone,
      createdAt: now,
      make: (contacts) => ({
        executionId,
        campaignId: execution.campaignId,
        contactId: contacts.length === 1 ? contacts[0]!.id : null,
        recipients: { to: kept.to.map((r) => r.email), cc: kept.cc.map((r) => r.email) },
        recipientCount: everyone.length,
        createdAt: now,
        consent: contacts.every((c) => c.consent),
      }),
    };
    const firstEvents = [
      { type: 'queued' as const, at: now, source: 'api' as const, detail: suppressed.length > 0 ? { suppressed } : null },
      // One block per suppressed address, naming it and the suppression's reason.
      ...(blocked
        ? suppressed.map((suppression) => ({ type: 'blocked' as const, at: now, source: 'api' as const, recipient: suppression.email, reason: suppression.reason, detail: { suppression } }))
        : []),
    ];
    const extras: MessageExtras = {
      messageIdHeader: (id) => messageIdHeader(this.keyring(), id, this.settings.messageIdDomain),
      // A blocked message is never sent: it repeats nothing, and holds nothing.
      reservations: blocked ? [] : reservations(executionId, campaign, [...kept.to, ...kept.cc], options.deduplicationKey),
    };
    let written: WrittenMessage;
    if (idempotency) {
      const outcome = await this.catalog.createIdempotentMessage(draft, firstEvents, idempotency, expiredBefore, extras);
      if ('earlier' in outcome) return this.replay(idempotency, outcome.earlier);
      written = outcome.created;
    } else {
      written = await this.catalog.createMessage(draft, firstEvents, extras);
    }
    const { duplicateOf, ...message } = written;
    return this.answer(message, blocked || duplicateOf ? { state: 'blocked' } : { state: 'queued' }, suppressed, false);
  }

  /** The answer to a request whose Idempotency-Key created a message before: that message, as it is now. */
  private async replay(request: IdempotentRequest, earlier: IdempotencyRecord): Promise<CreatedMessage> {
    if (earlier.fingerprint !== request.fingerprint) {
      throw new MailsightError(
        'CONFLICT',
        `Idempotency-Key ${JSON.stringify(request.key)} was used for a different request, which created message ${earlier.messageId}: use a new key for a new request`,
      );
    }
    const { message, status, events } = await this.view(earlier.messageId);
    const queued = events.find((e) => e.type === 'queued');
    const suppressed = (queued?.detail?.['suppressed'] as Suppression[] | undefined) ?? [];
    return this.answer(message, status, suppressed, true);
  }

  private async answer(message: Message, status: MessageStatus, suppressed: Suppression[], replayed: boolean): Promise<CreatedMessage> {
    if (message.recipients.to.length === 0) {
      const execution = await this.campaigns.requireExecution(message.executionId);
      return { message, subject: execution.subject, html: null, text: null, headers: {}, links: [], honeypotUrl: null, unsubscribeUrl: '', status, suppressed, replayed };
    }
    const rendered = await this.render(message);
    return { ...rendered, status, suppressed, replayed };
  }

  /** The message as it is to be sent: instrumented parts and list headers. Deterministic per key. */
  async render(message: Message): Promise<RenderedMessage> {
    const execution = await this.campaigns.requireExecution(message.executionId);
    const campaign = await this.campaigns.requireCampaign(message.campaignId);
    const urls = messageUrls(this.keyring(), campaign.trackingBaseUrl ?? this.settings.publicUrl, message.id);
    const result = applyPlan(await this.campaigns.planFor(campaign, execution), urls);
    // A message of before Message-IDs were kept gets its own now, kept from then on.
    const messageId = message.messageIdHeader ?? (await this.catalog.fillMessageIdHeader(message.id, messageIdHeader(this.keyring(), message.id, this.settings.messageIdDomain)));
    const headers = { 'Message-ID': messageId, ...unsubscribeHeaders({ httpsUrl: urls.unsubscribe(), mailto: this.settings.unsubscribeMailto }) };
    return {
      message,
      subject: execution.subject,
      html: result.html,
      text: result.text,
      headers,
      links: result.links,
      honeypotUrl: result.honeypot ? urls.honeypot() : null,
      unsubscribeUrl: urls.unsubscribe(),
    };
  }

  async requireMessage(id: number): Promise<Message> {
    const message = await this.catalog.getMessage(id);
    if (!message) throw notFound('message', id);
    return message;
  }

  async view(id: number): Promise<MessageView> {
    const message = await this.requireMessage(id);
    const [events, contact] = await Promise.all([
      this.events.listForMessage(id),
      message.contactId === null ? null : this.catalog.getContact(message.contactId),
    ]);
    const statusEvents = events.map((e): StatusEvent => ({
      type: e.type,
      at: e.at,
      method: e.hit?.method ?? null,
      linkOrdinal: e.hit?.linkOrdinal ?? null,
      bounceType: e.type === 'bounced' ? (e.subtype === 'hard' ? 'hard' : 'soft') : null,
      verdict: e.judgement?.verdict ?? null,
      source: e.source,
    }));
    const views = events.map(({ judgement, ...event }): EventView => ({
      ...event,
      verdict: judgement?.verdict ?? null,
      reasons: judgement?.reasons ?? [],
      verdictAt: judgement?.at ?? null,
    }));
    return { message, contact, status: deriveStatus(statusEvents), inferredOpen: hasInferredOpen(statusEvents), events: views };
  }

  /** Every change of a hit's verdict, oldest first; empty when the first verdict still stands. */
  async verdictHistory(eventId: number): Promise<VerdictRevision[]> {
    const revisions = await this.events.listRevisions(eventId);
    // Other events (deliveries, bounces) have no verdict: for this question they do not exist.
    if (!revisions) throw notFound('hit', eventId);
    return revisions;
  }

  /**
   * Records a delivery fact reported through the API. A report carrying an id is stored once
   * however often it is sent (callers retry). A time in the future or in another unit is refused:
   * stored, it would misjudge every hit of the message (see reported-time.ts).
   */
  async recordDelivery(messageId: number, report: DeliveryReport): Promise<{ recorded: boolean }> {
    const problem = report.at === undefined ? null : reportedTimeProblem(report.at, this.clock.now());
    if (problem) throw new MailsightError('VALIDATION', `at: ${problem}`);
    const message = await this.requireMessage(messageId);
    const everyone = recipientsOf(message).map((r) => r.toLowerCase());
    if (report.recipient !== undefined && !everyone.includes(report.recipient.toLowerCase())) {
      throw new MailsightError('VALIDATION', `recipient: ${report.recipient} is not a recipient of message ${messageId}`);
    }
    if (message.recipients.to.length === 0) {
      throw new MailsightError('CONFLICT', `message ${messageId} was blocked (every recipient suppressed) and never sent: no delivery to report`);
    }
    const at = report.at ?? this.clock.now();
    const base = {
      messageId,
      campaignId: message.campaignId,
      at,
      source: 'api' as const,
      recipient: report.recipient?.toLowerCase() ?? null,
      dedupeKey: report.id ? `api:${messageId}:${report.id}` : null,
    };
    let event: NewEvent;
    switch (report.type) {
      case 'sent':
      case 'delivered':
        event = { ...base, type: report.type, detail: report.detail ?? null };
        break;
      case 'deferred':
        event = { ...base, type: 'deferred', detail: { code: report.code ?? null, status: report.status ?? null, text: report.text ?? null } };
        break;
      case 'bounced':
        event = { ...base, type: 'bounced', subtype: report.bounceType, detail: { code: report.code ?? null, status: report.status ?? null, text: report.text ?? null } };
        break;
      case 'complained':
        event = { ...base, type: 'complained', subtype: report.feedbackType ?? 'abuse' };
        break;
    }
    // The event and the suppression it calls for (core/suppression-rules.ts), in one transaction.
    const { inserted } = await this.events.appendWithSuppressionRules(event, this.settings.suppression);
    // A report already stored (the same id again) has been taken into account.
    if (inserted && (event.type === 'sent' || event.type === 'delivered')) await this.notifyDelivery(messageId, event.type, event.at);
    return { recorded: inserted };
  }

  async notifyDelivery(messageId: number, type: 'sent' | 'delivered', at: number): Promise<void> {
    await this.settings.onDelivery?.(messageId, type, at);
  }
}
