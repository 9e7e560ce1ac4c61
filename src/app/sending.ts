/**
 * Creating a message and sending it through the configured SMTP relay when asked: the message is put
 * in the send queue and attempted at once (send-queue.ts), and the answer says what the relay did with
 * this attempt. Temporary refusals are tried again by the queue's worker.
 */
import { createHash } from 'node:crypto';
import { MailsightError } from '../core/errors.js';
import type { StoredEvent } from '../core/events.js';
import type { CreatedMessage, MessageService, RecipientInput } from './messages.js';
import type { EventStore, SendQueueStore } from './ports.js';
import type { SendQueue, SendResult } from './send-queue.js';

export type { SendResult };

/** A request to create a message, and to send it when `send` is set. */
export interface MessageRequest {
  executionId: number;
  to: RecipientInput[];
  cc: RecipientInput[];
  send: boolean;
  /** The caller's deduplication key: a later message of the campaign with the same key is blocked. */
  deduplicationKey?: string | undefined;
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
    private readonly events: EventStore,
    private readonly store: SendQueueStore,
    /** Null when no relay is configured. */
    private readonly queue: SendQueue | null,
  ) {}

  /**
   * Creates a message and sends it when asked. A send that cannot happen (no relay) is refused before
   * anything is created. With an Idempotency-Key (`scope` is the API key), a retry gets the message
   * the first request created, sent now only if the relay has not taken it yet.
   */
  async submit(request: MessageRequest, idempotency: { scope: string; key: string } | null): Promise<Submitted> {
    if (request.send) this.requireQueue();
    const created = await this.messages.createMessage(
      request.executionId,
      request.to,
      request.cc,
      idempotency && { ...idempotency, fingerprint: requestFingerprint(request) },
      { deduplicationKey: request.deduplicationKey ?? null },
    );
    if (!request.send || created.status.state === 'blocked') return { created, send: null };
    if (created.replayed) {
      const earlier = relayAnswer(await this.events.listForMessage(created.message.id));
      if (earlier?.accepted) return { created, send: earlier };
    }
    try {
      return { created, send: await this.send(created.message.id) };
    } catch (error) {
      // The request that created the message raced its own retries (same Idempotency-Key), and one of
      // them holds the send: the message is being handed over once, by that one. Created here: 201.
      if (created.replayed || !(error instanceof MailsightError) || error.code !== 'CONFLICT' || (await this.store.get(created.message.id))?.state !== 'pending') throw error;
      return { created, send: { accepted: false, response: 'a retry of this request is handing it to the relay now', status: 'sending' } };
    }
  }

  /**
   * Queues the message and attempts it now. Refused when it was blocked (422), was sent already or
   * another attempt holds it (409); answered `queued` when the rate limit leaves it to the worker.
   */
  async send(messageId: number): Promise<SendResult> {
    // A message that does not exist is a 404 whether or not a relay is configured.
    const message = await this.messages.requireMessage(messageId);
    const queue = this.requireQueue();
    const events = await this.events.listForMessage(messageId);
    const blocked = events.filter((e) => e.type === 'blocked');
    if (message.recipients.to.length === 0 || blocked.length > 0) {
      const why = blocked.map((e) => e.reason ?? 'suppressed').join(', ') || 'every recipient suppressed';
      throw new MailsightError('SUPPRESSED', `message ${messageId} was blocked (${why}) and is not sent`);
    }
    if (events.some((e) => e.type === 'sent')) throw new MailsightError('CONFLICT', `message ${messageId} was already sent`);

    const result = await queue.sendNow(messageId);
    if ('notStarted' in result) {
      if (result.notStarted === 'rate-limited') {
        return { accepted: false, response: 'queued: the rate limit (SEND_RATE_PER_MINUTE) is reached; the worker sends it when it allows', status: 'queued' };
      }
      const entry = await this.store.get(messageId);
      if (entry?.state === 'sent') throw new MailsightError('CONFLICT', `message ${messageId} was already sent`);
      throw new MailsightError('CONFLICT', `message ${messageId} is being sent by another request (or node): it is handed to the relay by one attempt at a time`);
    }
    if (result.status === 'blocked') throw new MailsightError('SUPPRESSED', `message ${messageId} was blocked: ${result.response}`);
    return result;
  }

  private requireQueue(): SendQueue {
    if (!this.queue) throw new MailsightError('NOT_CONFIGURED', 'sending needs an SMTP relay: set SMTP_URL');
    return this.queue;
  }
}

/** The relay's last recorded answer about a message, read back from the events the sends recorded. */
function relayAnswer(events: readonly StoredEvent[]): SendResult | null {
  const last = events.filter((e) => e.source === 'smtp' && (e.type === 'sent' || e.type === 'deferred' || e.type === 'bounced')).at(-1);
  if (!last) return null;
  if (last.type === 'sent') return { accepted: true, response: String(last.detail?.['response'] ?? ''), status: 'sent' };
  return { accepted: false, response: String(last.detail?.['text'] ?? ''), status: last.type === 'bounced' ? 'bounced' : 'deferred' };
}
