/**
 * Handing messages to the SMTP relay from the send queue (stored in the database): one attempt at a
 * time per message on any number of nodes (a lease), at most `concurrency` attempts at once and
 * `ratePerMinute` started per minute on this node, temporary refusals tried again on a schedule, until
 * the message is sent, bounces, or expires.
 *
 * Delivery is at least once: a node that dies after the relay's 250 and before recording it leaves
 * the message to be handed over again when its lease runs out. The Message-ID and the DSN envelope id
 * stay the same across attempts, so the relay (or the recipient's software) can tell the copies apart.
 *
 * An attempt:  lease (one UPDATE) -> checks (suppressed? -> blocked) -> 'sending' event -> relay ->
 *              one transaction: the outcome's events + the queue entry (sent / due again / bounced / expired)
 */
import type { SuppressionSettings } from '../core/suppression-rules.js';
import type { NewEvent } from '../core/events.js';
import type { Keyring } from '../core/tokens.js';
import { bounceAddress } from '../core/verp.js';
import { errorMessage } from '../core/errors.js';
import { recipientsOf, type MessageService } from './messages.js';
import type { CatalogStore, Clock, EventStore, Mailer, Message, OutgoingMail, SendLease, SendNext, SendOutcome, SendQueueStore } from './ports.js';
import { refusal, relayVerdict } from './relay-answers.js';
import type { MessageStatus } from '../core/message-status.js';
import { PollingWorker } from './polling-worker.js';

export interface SendPolicy {
  concurrency: number;
  ratePerMinute: number;
  /** Waits before the 2nd, 3rd, ... attempt; the last one repeats. */
  backoffMs: readonly number[];
  maxAttempts: number;
  /** Past this long after the message was queued, no attempt is made. */
  giveUpAfterMs: number;
  leaseMs: number;
}

/** The window the rate limit counts hand-overs in: SEND_RATE_PER_MINUTE. */
const RATE_WINDOW_MS = 60_000;

/** Due messages read per query by the worker. */
const DUE_BATCH = 100;

/** What an attempt ended with, as the API answers it. */
export interface SendResult {
  accepted: boolean;
  response: string;
  status: MessageStatus['state'];
}

/**
 * When the attempt after `attempt` (failed at `now`) is due, or null to give up: past maxAttempts, or
 * past giveUpAfterMs since the message was queued.
 */
export function nextAttemptAt(policy: Pick<SendPolicy, 'backoffMs' | 'maxAttempts' | 'giveUpAfterMs'>, attempt: number, enqueuedAt: number, now: number): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const at = now + policy.backoffMs[Math.min(attempt - 1, policy.backoffMs.length - 1)]!;
  return at - enqueuedAt > policy.giveUpAfterMs ? null : at;
}

/** A counting semaphore: at most `size` holders; the others wait in arrival order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** Hand-overs started in the last minute, by the injected clock (tests move it). */
class RateWindow {
  readonly #starts: number[] = [];

  constructor(private readonly perWindow: number) {}

  /** Takes a place in the window at `now`; false when the window is full. */
  take(now: number): boolean {
    while (this.#starts.length > 0 && this.#starts[0]! <= now - RATE_WINDOW_MS) this.#starts.shift();
    if (this.#starts.length >= this.perWindow) return false;
    this.#starts.push(now);
    return true;
  }

  /** Gives back the place taken last (its hand-over did not start). */
  untake(): void {
    this.#starts.pop();
  }
}

export interface SendQueueDeps {
  store: SendQueueStore;
  messages: MessageService;
  catalog: CatalogStore;
  events: EventStore;
  mailer: Mailer;
  keyring: () => Keyring;
  clock: Clock;
  /** The From header (MAIL_FROM). */
  from: string;
  /** BOUNCE_DOMAIN: VERP return paths when set. */
  bounceDomain: string | null;
  /** The suppression rules applied to the outcomes of an attempt (a hard bounce at RCPT suppresses). */
  suppression: SuppressionSettings;
  onError: (error: unknown, message: string) => void;
}

/** Why a direct send did not start an attempt. */
export type NotStarted = { notStarted: 'held' } | { notStarted: 'rate-limited' };

export class SendQueue {
  readonly #slots: Slots;
  readonly #rate: RateWindow;
  readonly #worker: PollingWorker<number>;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly deps: SendQueueDeps,
    private readonly policy: SendPolicy,
  ) {
    this.#slots = new Slots(policy.concurrency);
    this.#rate = new RateWindow(policy.ratePerMinute);
    this.#worker = new PollingWorker(() => this.#runDue(), (error) => deps.onError(error, 'sending due messages failed'));
  }

  /** Queues the message (or makes it due now) and attempts it at once, unless another attempt holds it or the rate limit is reached. */
  async sendNow(messageId: number): Promise<SendResult | NotStarted> {
    const { store, clock } = this.deps;
    await store.enqueue(messageId, clock.now());
    const lease = await store.lease(messageId, clock.now(), this.policy.leaseMs);
    if (!lease) return { notStarted: 'held' };
    // No await between the lease and the rate check: both are decided together on this node.
    if (!this.#rate.take(clock.now())) {
      await store.release(lease, clock.now());
      return { notStarted: 'rate-limited' };
    }
    await this.#slots.acquire();
    return this.#track(this.#attempt(lease).finally(() => this.#slots.release()));
  }

  /**
   * Attempts every due message, within the concurrency and rate limits, and waits for those attempts;
   * returns how many were started. The worker loop calls it; tests call it after moving the clock.
   */
  runDue(): Promise<number> {
    return this.#worker.run();
  }

  async #runDue(): Promise<number> {
    const { store, clock } = this.deps;
    const started: Promise<unknown>[] = [];
    let count = 0;
    batches: while (!this.#worker.stopped) {
      const ids = await store.due(clock.now(), DUE_BATCH);
      let leased = 0;
      for (const id of ids) {
        await this.#slots.acquire();
        const lease = this.#worker.stopped ? null : await store.lease(id, clock.now(), this.policy.leaseMs);
        if (!lease) {
          this.#slots.release();
          if (this.#worker.stopped) break batches;
          continue;
        }
        if (!this.#rate.take(clock.now())) {
          await store.release(lease, clock.now());
          this.#slots.release();
          break batches;
        }
        leased++;
        count++;
        started.push(this.#track(this.#attempt(lease).finally(() => this.#slots.release())).catch(() => {}));
      }
      if (leased === 0) break;
    }
    await Promise.all(started);
    return count;
  }

  /** Starts the worker loop: runDue every `intervalMs` (0: never), one run at a time. */
  start(intervalMs: number): void {
    this.#worker.start(intervalMs);
  }

  /** Stops the loop and waits for the attempts in progress: their outcomes are recorded before the database closes. */
  async stop(): Promise<void> {
    await this.#worker.stop();
    await Promise.allSettled([...this.#inFlight]);
  }

  #track<T>(attempt: Promise<T>): Promise<T> {
    this.#inFlight.add(attempt);
    void attempt.finally(() => this.#inFlight.delete(attempt)).catch(() => {});
    return attempt;
  }

  /** One attempt under its lease; an error (the database) leaves the lease to run out, and the message is tried again then. */
  async #attempt(lease: SendLease): Promise<SendResult> {
    const { messages, catalog, store, clock } = this.deps;
    try {
      const message = await messages.requireMessage(lease.messageId);
      const base = { messageId: message.id, campaignId: message.campaignId, source: 'smtp' as const };

      // Before sending: an address suppressed since the message was created is not sent to.
      const blocked: NewEvent[] = [];
      for (const email of recipientsOf(message)) {
        const suppression = await catalog.findSuppression(email, clock.now());
        if (suppression) blocked.push({ ...base, type: 'blocked', at: clock.now(), reason: suppression.reason, recipient: email.toLowerCase(), detail: { suppression } });
      }
      if (blocked.length > 0) {
        await store.finish(lease, blocked, { state: 'blocked' }, clock.now(), this.deps.suppression);
        return { accepted: false, response: `not sent: ${blocked.map((b) => `${b.recipient} is suppressed (${b.reason})`).join(', ')}`, status: 'blocked' };
      }

      const mail = await this.#outgoing(message);
      await this.deps.events.append([{ ...base, type: 'sending', at: clock.now(), detail: { attempt: lease.attempt, returnPath: mail.returnPath, messageIdHeader: mail.messageId } }]);
      const outcome = await handOver(this.deps.mailer, mail);
      return await this.#record(lease, message, outcome);
    } catch (error) {
      this.deps.onError(error, `sending message ${lease.messageId} failed; it is tried again when its lease ends`);
      throw error;
    }
  }

  async #outgoing(message: Message): Promise<OutgoingMail> {
    const rendered = await this.deps.messages.render(message);
    const { 'Message-ID': messageId, ...headers } = rendered.headers;
    // The envelope id is the Message-ID's left part: the message's bounce token, read by core/verp.ts.
    const envelopeId = messageId!.slice(1, messageId!.indexOf('@'));
    return {
      from: this.deps.from,
      returnPath: this.deps.bounceDomain ? bounceAddress(this.deps.keyring(), message.id, this.deps.bounceDomain) : null,
      messageId: messageId!,
      envelopeId,
      to: message.recipients.to,
      cc: message.recipients.cc,
      subject: rendered.subject,
      html: rendered.html,
      text: rendered.text,
      headers,
    };
  }

  /** Records what the relay answered, with what becomes of the message, in one transaction. */
  async #record(lease: SendLease, message: Message, outcome: SendOutcome): Promise<SendResult> {
    const { store, clock } = this.deps;
    const at = clock.now();
    const base = { messageId: message.id, campaignId: message.campaignId, source: 'smtp' as const, at };
    const verdict = relayVerdict(outcome);
    let events: NewEvent[];
    let next: SendNext;
    let status: SendResult['status'];
    if (verdict.kind === 'sent') {
      const accepted = outcome as Extract<SendOutcome, { accepted: true }>;
      events = [{ ...base, type: 'sent', detail: { response: accepted.response, smtpMessageId: accepted.messageId, attempt: lease.attempt } }];
      // Recipients the relay refused while taking the message for the others bounce on their own.
      for (const refused of accepted.refused ?? []) {
        const facts = refusal(refused.code, refused.response);
        const hard = relayVerdict({ accepted: false, code: refused.code, response: refused.response });
        events.push({
          ...base,
          type: 'bounced',
          subtype: hard.kind === 'bounce' && hard.hard ? 'hard' : 'soft',
          recipient: refused.recipient.toLowerCase(),
          reason: facts.reason,
          detail: { code: facts.code, status: facts.status, text: facts.text },
        });
      }
      next = { state: 'sent' };
      status = 'sent';
    } else if (verdict.kind === 'bounce') {
      events = [{ ...base, type: 'bounced', subtype: verdict.hard ? 'hard' : 'soft', reason: verdict.reason, detail: { code: verdict.code, status: verdict.status, text: verdict.text, attempt: lease.attempt } }];
      next = { state: 'bounced' };
      status = 'bounced';
    } else {
      const detail = { code: verdict.code, status: verdict.status, text: verdict.text, attempt: lease.attempt };
      const retryAt = nextAttemptAt(this.policy, lease.attempt, lease.enqueuedAt, at);
      if (retryAt === null) {
        // Given up: the last temporary refusal becomes a soft bounce, as a relay's own queue would end it.
        events = [
          { ...base, type: 'deferred', reason: verdict.reason, detail: { ...detail, nextAttemptAt: null } },
          { ...base, type: 'bounced', subtype: 'soft', reason: 'expired', detail: { ...detail, attempts: lease.attempt } },
        ];
        next = { state: 'expired' };
        status = 'bounced';
      } else {
        events = [{ ...base, type: 'deferred', reason: verdict.reason, detail: { ...detail, nextAttemptAt: retryAt } }];
        next = { state: 'pending', nextAttemptAt: retryAt };
        status = 'deferred';
      }
    }
    const kept = await store.finish(lease, events, next, at, this.deps.suppression);
    if (!kept) this.deps.onError(null, `message ${message.id}: the lease ran out during the hand-over and another attempt took it; the relay's answer is recorded all the same`);
    if (verdict.kind === 'sent') await this.deps.messages.notifyDelivery(message.id, 'sent', at);
    return { accepted: outcome.accepted, response: outcome.response, status };
  }
}

/** The relay's answer; a mailer that throws (no connection, a timeout) is a relay that did not answer. */
async function handOver(mailer: Mailer, mail: OutgoingMail): Promise<SendOutcome> {
  try {
    return await mailer.send(mail);
  } catch (error) {
    return { accepted: false, code: null, response: `the relay did not answer: ${errorMessage(error)}` };
  }
}
