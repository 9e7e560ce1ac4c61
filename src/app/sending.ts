/**
 * Sending a message through the configured SMTP relay and recording what the relay answered:
 * sent on acceptance, deferred on a temporary refusal (or no answer), bounced on a permanent one.
 * A message is handed to the relay at most once: a claim in the database comes before the hand-over.
 */
import { createHash } from 'node:crypto';
import { errorMessage, MailsightError } from '../core/errors.js';
import type { NewEvent, StoredEvent } from '../core/events.js';
import { recipientsOf, type CreatedMessage, type MessageService, type RecipientInput } from './messages.js';
import type { CatalogStore, Clock, EventStore, Mailer, Message, SendOutcome } from './ports.js';
import type { MessageStatus } from '../core/message-status.js';

export interface SendResult {
  accepted: boolean;
  response: string;
  status: MessageStatus['state'];
}

/** A request to create a message, and to send it when `send` is set. */
export interface MessageRequest {
  executionId: number;
  to: RecipientInput[];
  cc: RecipientInput[];
  send: boolean;
}

export interface Submitted {
  created: CreatedMessage;
  /** The relay's answer when a send was asked for (and the message not blocked). */
  send: SendResult | null;
}

/** The request's fingerprint: a hash of its canonical JSON, so that key order never makes two requests differ. */
export function requestFingerprint(request: MessageRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class SendingService {
  constructor(
    private readonly messages: MessageService,
    private readonly catalog: CatalogStore,
    private readonly events: EventStore,
    private readonly mailer: Mailer | null,
    private readonly clock: Clock,
    private readonly from: string,
  ) {}

  /**
   * Creates a message and sends it when asked. A send that cannot happen (no relay) is refused before
   * anything is created. With an Idempotency-Key (`scope` is the API key), a retry gets the message
   * the first request created, sent now only if the relay has not taken it yet.
   */
  async submit(request: MessageRequest, idempotency: { scope: string; key: string } | null): Promise<Submitted> {
    if (request.send) this.requireMailer();
    const created = await this.messages.createMessage(
      request.executionId,
      request.to,
      request.cc,
      idempotency && { ...idempotency, fingerprint: requestFingerprint(request) },
    );
    if (!request.send || created.status.state === 'blocked') return { created, send: null };
    if (created.replayed) {
      const earlier = relayAnswer(await this.events.listForMessage(created.message.id));
      if (earlier?.accepted) return { created, send: earlier };
    }
    return { created, send: await this.send(created.message.id) };
  }

  async send(messageId: number): Promise<SendResult> {
    // A message that does not exist is a 404 whether or not a relay is configured.
    const message = await this.messages.requireMessage(messageId);
    const mailer = this.requireMailer();
    const recipients = recipientsOf(message);
    if (message.recipients.to.length === 0) throw new MailsightError('SUPPRESSED', `message ${messageId} has no recipient left to send to`);
    for (const email of recipients) {
      const suppression = await this.catalog.findSuppression(email, this.clock.now());
      if (suppression) throw new MailsightError('SUPPRESSED', `${email} is suppressed (${suppression.reason}); message ${messageId} was not sent`);
    }
    const events = await this.events.listForMessage(messageId);
    if (events.some((e) => e.type === 'sent')) throw new MailsightError('CONFLICT', `message ${messageId} was already sent`);
    const rendered = await this.messages.render(message);

    // The check above reads; this claim decides. Of two sends racing past the check (two requests,
    // two nodes), one inserts the claim and hands the message over, the other is refused here.
    if (!(await this.catalog.claimSend(messageId, this.clock.now()))) {
      throw new MailsightError('CONFLICT', `message ${messageId} is being sent by another request (or was sent): it is handed to the relay once`);
    }
    const outcome = await handOver(mailer, {
      from: this.from,
      to: message.recipients.to,
      cc: message.recipients.cc,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers: rendered.headers,
    });
    const event = outcomeEvent(message, outcome, this.clock.now());
    if (event.type === 'sent') {
      // The claim stays: the message was sent.
      await this.events.append([event]);
      await this.messages.notifyDelivery(messageId, 'sent', event.at);
    } else {
      await this.catalog.releaseSend(event);
    }
    return { accepted: outcome.accepted, response: outcome.response, status: event.type === 'sent' ? 'sent' : event.type === 'bounced' ? 'bounced' : 'deferred' };
  }

  private requireMailer(): Mailer {
    if (!this.mailer) throw new MailsightError('NOT_CONFIGURED', 'sending needs an SMTP relay: set SMTP_URL');
    return this.mailer;
  }
}

/** The relay's answer; a mailer that throws (no connection, a timeout) is a relay that did not answer. */
async function handOver(mailer: Mailer, mail: Parameters<Mailer['send']>[0]): Promise<SendOutcome> {
  try {
    return await mailer.send(mail);
  } catch (error) {
    return { accepted: false, code: null, response: `the relay did not answer: ${errorMessage(error)}` };
  }
}

function outcomeEvent(message: Message, outcome: SendOutcome, at: number): NewEvent {
  const base = { messageId: message.id, campaignId: message.campaignId, at, source: 'smtp' as const };
  if (outcome.accepted) return { ...base, type: 'sent', detail: { response: outcome.response, smtpMessageId: outcome.messageId } };
  // A relay's permanent refusal at submission is a bounce the sender must see; the address is not
  // suppressed, since the relay (not the mailbox) may be the cause.
  if (outcome.code !== null && outcome.code >= 500) return { ...base, type: 'bounced', subtype: 'soft', detail: { code: outcome.code, text: outcome.response } };
  return { ...base, type: 'deferred', detail: { code: outcome.code, text: outcome.response } };
}

/** The relay's last recorded answer about a message, read back from the events the sends recorded. */
function relayAnswer(events: readonly StoredEvent[]): SendResult | null {
  const last = events.filter((e) => e.source === 'smtp' && (e.type === 'sent' || e.type === 'deferred' || e.type === 'bounced')).at(-1);
  if (!last) return null;
  if (last.type === 'sent') return { accepted: true, response: String(last.detail?.['response'] ?? ''), status: 'sent' };
  return { accepted: false, response: String(last.detail?.['text'] ?? ''), status: last.type === 'bounced' ? 'bounced' : 'deferred' };
}
