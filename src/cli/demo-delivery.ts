/**
 * What happens to each demo contact's newsletter on the way to the mailbox, decided by the contact's
 * place in the list so that every run (and a short run, as the CI test's) has each case: most are
 * delivered; a few addresses are refused at SMTP time by the sink standing in for the recipients'
 * servers (2% unknown users, 1% full mailboxes); a few bounce later, by a DSN; a few people complain.
 */
import nodemailer from 'nodemailer';
import type { ParsedMail } from 'mailparser';
import type { Clock } from '../app/ports.js';
import type { ReceivedEnvelope } from '../adapters/smtp/smtp-sink.js';
import type { TimedAction } from './demo-audience.js';
import { arfComplaint, outOfOffice, postfixDsn, type DsnFacts, type Original } from './demo-report-mail.js';

export type Fate =
  | 'delivered'
  /** Reported the spring newsletter as spam: suppressed before this send, so the message is blocked. */
  | 'complained-earlier'
  /** `550 5.1.1` at RCPT TO: a hard bounce the send queue records at once. */
  | 'unknown-at-smtp'
  /** `452 4.2.2` at the first attempt, accepted when the send queue tries again. */
  | 'full-once'
  /** `452 4.2.2` at every attempt: still being retried when the demo ends (status `sending`). */
  | 'full-always'
  /** Accepted and reported delivered, then the recipient's own server bounces it: 5.1.1 (hard). */
  | 'unknown-later'
  /** The relay reports it could not deliver: the mailbox is disabled, 5.2.1 (a soft bounce). */
  | 'disabled'
  /** The relay reports the recipient's server refused it as spam, 5.7.1 (a soft bounce). */
  | 'refused-as-spam'
  /** The relay warns it is still trying: 4.2.2 after acceptance (deferred). */
  | 'delayed'
  /** Delivered, then reported as spam through the provider's feedback loop (an ARF report). */
  | 'complains'
  /** Delivered; an out-of-office reply comes back to the return path. */
  | 'away';

/** The fate of the contact at this place in the list (0-based); the first three are the welcome mail's leavers. */
export function fateOf(index: number): Fate {
  if (index % 50 === 20) return 'unknown-at-smtp';
  if (index % 300 === 45) return 'full-always';
  // Complaints come from providers with a feedback loop (outlook.example: index % 6 === 1); Gmail sends no ARF.
  // Early in the list too, so that a short run (the browser tests' 40 contacts) has its complaint.
  if (index % 150 === 31) return 'complains';
  if (index % 300 === 13) return 'away';
  switch (index % 100) {
    case 10:
      return 'complained-earlier';
    case 28:
      return 'refused-as-spam';
    case 35:
      return 'full-once';
    case 52:
      return 'delayed';
    case 60:
      return 'disabled';
    case 77:
      return 'unknown-later';
    default:
      return 'delivered';
  }
}

/** The fates whose messages the recipients' servers accept and the relay reports delivered at once. */
export const DELIVERED_AT_ONCE: ReadonlySet<Fate> = new Set(['delivered', 'complains', 'away', 'unknown-later']);

/** The sink's answer to RCPT TO for an address of this fate, at this attempt (from 1); null: accepted. */
export function smtpRefusal(fate: Fate, address: string, attempt: number): { code: number; message: string } | null {
  if (fate === 'unknown-at-smtp') return { code: 550, message: `5.1.1 <${address}>: Recipient address rejected: User unknown in virtual mailbox table` };
  if (fate === 'full-always' || (fate === 'full-once' && attempt === 1)) return { code: 452, message: `4.2.2 <${address}>: Mailbox full, try again later` };
  return null;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The relay of the demo's DSNs, and the recipient's servers behind it. */
const RELAY = 'relay.demo.test';
const mxOf = (address: string) => `mx1.${address.slice(address.indexOf('@') + 1)}`;

export type ReportMail = { kind: 'dsn'; at: number; facts: Omit<DsnFacts, 'at'> } | { kind: 'arf'; at: number; domain: string } | { kind: 'auto-reply'; at: number };

/** The report mail a fate brings, and when (epoch ms); null when none. `deliveredAt` is the relay's delivery report's time. */
export function reportMailOf(
  fate: Fate,
  address: string,
  sentAt: number,
  deliveredAt: number,
  random: () => number,
): ReportMail | null {
  const domain = address.slice(address.indexOf('@') + 1);
  switch (fate) {
    case 'unknown-later': {
      // The domain's MX took it (so the relay reported it delivered); its mailbox store then refused it.
      const at = deliveredAt + 10 * MINUTE + random() * 30 * MINUTE;
      return { kind: 'dsn', at, facts: { reportingMta: mxOf(address), remoteMta: `store.${domain}`, remoteIp: '10.0.4.25', action: 'failed', status: '5.1.1', reply: `550 5.1.1 <${address}>: Recipient address rejected: User unknown` } };
    }
    case 'disabled':
      return { kind: 'dsn', at: sentAt + 1 * MINUTE + random() * 2 * MINUTE, facts: { reportingMta: RELAY, remoteMta: mxOf(address), remoteIp: '203.0.113.25', action: 'failed', status: '5.2.1', reply: `550 5.2.1 <${address}>: Mailbox disabled, not accepting messages` } };
    case 'refused-as-spam':
      return { kind: 'dsn', at: sentAt + 1 * MINUTE + random() * 2 * MINUTE, facts: { reportingMta: RELAY, remoteMta: mxOf(address), remoteIp: '203.0.113.26', action: 'failed', status: '5.7.1', reply: `554 5.7.1 <${address}>: Message refused as spam` } };
    case 'delayed': {
      // Postfix warns after delay_warning_time (4 hours) and keeps trying for 5 days.
      const at = sentAt + 4 * HOUR + random() * 10 * MINUTE;
      return { kind: 'dsn', at, facts: { reportingMta: RELAY, remoteMta: mxOf(address), remoteIp: '203.0.113.27', action: 'delayed', status: '4.2.2', reply: `452 4.2.2 <${address}>: Mailbox full, try again later`, retryUntil: sentAt + 5 * 24 * HOUR } };
    }
    case 'complains':
      return { kind: 'arf', at: deliveredAt + 3 * HOUR + random() * 20 * HOUR, domain };
    case 'away':
      return { kind: 'auto-reply', at: deliveredAt + 30_000 + random() * 60_000 };
    default:
      return null;
  }
}

/** How long the play lasts on the demo clock, from the send. */
export const PLAY_MS = 2 * 24 * HOUR;

/**
 * How often, on the demo clock, the send queue's worker looks for due retries during the play. Its
 * own timer counts real time, which the play compresses, so the demo polls in its place; the first
 * retry is due 5 minutes after a deferral (SEND_RETRY_BACKOFF's default).
 */
export const WORKER_POLL_MS = 5 * MINUTE;

export interface DeliveryPlay {
  sentAt: number;
  /** Newsletter messages by recipient address (lower case), blocked ones left out. */
  messageIds: ReadonlyMap<string, number>;
  fates: ReadonlyMap<string, Fate>;
  /** What the sink took, by recipient address. */
  received: ReadonlyMap<string, { mail: ParsedMail; envelope: ReceivedEnvelope }>;
  /** When the relay reported each message delivered, by recipient address. */
  delivered: ReadonlyMap<string, number>;
  random: () => number;
  clock: Clock;
  /** The bounce receiver's port (startInboundSmtp). */
  inboundPort: number;
  queue: { runDue(): Promise<number> };
  reportDelivered(email: string, id: number, at: number): Promise<void>;
}

/**
 * What happens on the delivery side during the play, each at its time: the worker's polls (a retry
 * the sink takes is reported delivered then), and the report mail the fates bring, sent over SMTP to
 * the bounce receiver as the relay, the recipients' servers and the feedback loops would send it.
 */
export function deliveryActions(play: DeliveryPlay): { timed: TimedAction[]; sent: Record<ReportMail['kind'], number>; retries(): number; close(): Promise<void> } {
  const timed: TimedAction[] = [];
  const sent: Record<ReportMail['kind'], number> = { dsn: 0, arf: 0, 'auto-reply': 0 };
  let retries = 0;
  for (let at = play.sentAt + WORKER_POLL_MS; at <= play.sentAt + PLAY_MS; at += WORKER_POLL_MS) {
    timed.push({
      at,
      run: async () => {
        retries += await play.queue.runDue();
        for (const [email, id] of play.messageIds) {
          if (play.fates.get(email) === 'full-once' && play.received.has(email) && !play.delivered.has(email)) await play.reportDelivered(email, id, play.clock.now());
        }
      },
    });
  }

  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: play.inboundPort, secure: false, ignoreTLS: true });
  for (const email of play.messageIds.keys()) {
    const got = play.received.get(email);
    const mail = got && reportMailOf(play.fates.get(email)!, email, play.sentAt, play.delivered.get(email) ?? play.sentAt, play.random);
    if (!got || !mail || !got.envelope.mailFrom) continue;
    const original: Original = {
      returnPath: got.envelope.mailFrom.address,
      envelopeId: got.envelope.dsn?.envid ?? null,
      recipient: email,
      headerLines: got.mail.headerLines.map((h) => h.line),
      arrivedAt: play.sentAt,
    };
    const bounceDomain = original.returnPath.slice(original.returnPath.lastIndexOf('@') + 1);
    timed.push({
      at: mail.at,
      run: async () => {
        const at = Math.round(mail.at);
        if (mail.kind === 'dsn') await transport.sendMail({ envelope: { from: '', to: [original.returnPath] }, raw: postfixDsn(original, { ...mail.facts, at }) });
        // A feedback loop sends to the address the sender registered with it, not to the return path.
        else if (mail.kind === 'arf') await transport.sendMail({ envelope: { from: `fbl@${mail.domain}`, to: [`fbl@${bounceDomain}`] }, raw: arfComplaint(original, { domain: mail.domain, at, sourceIp: '127.0.0.1' }) });
        else await transport.sendMail({ envelope: { from: '', to: [original.returnPath] }, raw: outOfOffice(original, at) });
        sent[mail.kind]++;
      },
    });
  }
  return { timed, sent, retries: () => retries, close: async () => transport.close() };
}
