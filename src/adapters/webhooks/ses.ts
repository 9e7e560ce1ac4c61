/**
 * Amazon SES events delivered by Amazon SNS over HTTPS.
 *
 * authenticate: the SNS envelope is the only thing read before the signature is checked (the
 * signature travels inside it). The topic must be one of ours, the Timestamp recent, the signing
 * certificate on an SNS host over https, and the signature (SignatureVersion 1: SHA1withRSA, 2:
 * SHA256withRSA) must verify over the envelope's "Key\nValue\n" pairs in SNS's documented order.
 *
 * parse: the envelope's Type, then the SES event inside a Notification's Message, by its
 * `eventType` (configuration-set event publishing) or `notificationType` (identity notifications).
 * One outcome per recipient the event names (bouncedRecipients, complainedRecipients, recipients,
 * delayedRecipients), never mail.destination[0] when the event says who.
 */
import { verify } from 'node:crypto';
import { z } from 'zod';
import { MAX_CLOCK_SKEW_MS } from '../../core/reported-time.js';
import { feedbackKind } from '../../core/bounces/feedback-report.js';
import type { BounceReason } from '../../core/outcomes/reasons.js';
import type { BounceFacts, MessageReference, ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { providerBounceFacts, stripAngles } from './bounce-text.js';
import { CertificateCache, CertificateFetchError, type CertificateCacheOptions } from './certificate-cache.js';
import { MailsightError } from '../../core/errors.js';
import {
  MAILSIGHT_TOKEN_ARGUMENT,
  MAILSIGHT_TOKEN_HEADER,
  WebhookAuthError,
  WebhookPayloadError,
  type HttpFetcher,
  type ParsedWebhook,
  type WebhookProvider,
  type WebhookRequest,
} from './provider.js';

export interface SesWebhookSettings {
  /** The SNS topics whose messages are accepted (full ARNs); anything else is refused. Must not be empty. */
  topicArns: readonly string[];
  /** Fetches signing certificates (cached here) from the SNS hosts. */
  fetcher: HttpFetcher;
  certificateCache?: CertificateCacheOptions;
}

/** The hosts AWS documents for SigningCertURL (and SubscribeURL): sns.<region>.amazonaws.com[.cn]. */
const SNS_HOST = /^sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com(\.cn)?$/;

/**
 * How old an SNS message may be (ms). SNS signs a message once, when it is published, and retries
 * its HTTPS delivery for at most 3,600 s (the ceiling of an HTTP/S delivery policy), so a validly
 * signed message older than that can only be a captured one played back.
 */
export const MAX_SNS_MESSAGE_AGE_MS = 60 * 60 * 1000;

const SIGNATURE_ALGORITHMS = { '1': 'sha1', '2': 'sha256' } as const;

/** The signed fields, in the order SNS signs them; a field absent from the message is skipped (Subject). */
const NOTIFICATION_SIGNED_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_SIGNED_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

const text = z.string().min(1);
const SignedEnvelope = {
  MessageId: text,
  TopicArn: text,
  Message: z.string(),
  Timestamp: text,
  SignatureVersion: z.enum(['1', '2']),
  Signature: text,
  SigningCertURL: text,
};
const SnsEnvelope = z.discriminatedUnion('Type', [
  z.object({ Type: z.literal('Notification'), Subject: z.string().nullish(), ...SignedEnvelope }),
  z.object({ Type: z.enum(['SubscriptionConfirmation', 'UnsubscribeConfirmation']), Token: text, SubscribeURL: text, ...SignedEnvelope }),
]);
type SnsEnvelope = z.infer<typeof SnsEnvelope>;

export function createSesWebhook(settings: SesWebhookSettings): WebhookProvider {
  const topicArns = new Set((settings.topicArns ?? []).filter((arn) => typeof arn === 'string' && arn.trim() !== ''));
  if (topicArns.size === 0) {
    throw new Error('ses webhook: setting topicArns is empty; without a pinned topic any SNS topic could post here');
  }
  if (settings.fetcher === undefined || settings.fetcher === null) throw new Error('ses webhook: setting fetcher is missing');
  const certificates = new CertificateCache(settings.fetcher, settings.certificateCache);

  return {
    name: 'ses',
    async authenticate(request: WebhookRequest): Promise<void> {
      const envelope = readEnvelope(request.rawBody, (message) => new WebhookAuthError(`ses: ${message}`));
      const announced = request.headers['x-amz-sns-message-type'];
      if (announced !== undefined && announced !== envelope.Type) {
        throw new WebhookAuthError(`ses: header x-amz-sns-message-type ${String(announced)} differs from the body's Type ${envelope.Type}`);
      }
      if (!topicArns.has(envelope.TopicArn)) throw new WebhookAuthError(`ses: TopicArn ${envelope.TopicArn} is not a configured topic`);
      const age = timestampAgeProblem(envelope.Timestamp, request.now);
      if (age !== null) throw new WebhookAuthError(`ses: Timestamp ${age}`);
      const certificateUrl = snsUrlProblem(envelope.SigningCertURL, true);
      if (certificateUrl !== null) throw new WebhookAuthError(`ses: SigningCertURL ${certificateUrl}`);

      let certificate;
      try {
        certificate = await certificates.get(envelope.SigningCertURL, request.now);
      } catch (error) {
        // A fetch that failed says nothing about the request: 503, so that SNS delivers it again
        // (it takes any 4xx as final, and the notification would be lost).
        if (error instanceof CertificateFetchError) throw new MailsightError('UNAVAILABLE', `ses: ${error.message}; try again later`);
        throw new WebhookAuthError(`ses: signing certificate unusable: ${(error as Error).message}`);
      }
      const signed = Buffer.from(stringToSign(envelope), 'utf8');
      const signature = Buffer.from(envelope.Signature, 'base64');
      let valid = false;
      try {
        valid = verify(SIGNATURE_ALGORITHMS[envelope.SignatureVersion], signed, certificate.publicKey, signature);
      } catch {
        valid = false;
      }
      if (!valid) throw new WebhookAuthError(`ses: signature (SignatureVersion ${envelope.SignatureVersion}) does not verify`);
    },

    parse(request: WebhookRequest): ParsedWebhook {
      const envelope = readEnvelope(request.rawBody, (message) => new WebhookPayloadError(`ses: ${message}`));
      switch (envelope.Type) {
        case 'SubscriptionConfirmation': {
          const problem = snsUrlProblem(envelope.SubscribeURL, false);
          if (problem !== null) throw new WebhookPayloadError(`ses: SubscribeURL ${problem}`);
          return { outcomes: [], confirmSubscriptionUrl: envelope.SubscribeURL };
        }
        case 'UnsubscribeConfirmation':
          // The topic stopped sending to us (someone unsubscribed the endpoint): nothing to record.
          return { outcomes: [] };
        case 'Notification':
          return { outcomes: parseSesMessage(envelope.Message, envelope.MessageId) };
        default:
          return unreachable(envelope, 'Type');
      }
    },
  };
}

function readEnvelope(rawBody: Buffer, fail: (message: string) => Error): SnsEnvelope {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw fail('body is not JSON');
  }
  const result = SnsEnvelope.safeParse(body);
  if (!result.success) throw fail(`not an SNS message: ${firstProblem(result.error, '')}`);
  return result.data;
}

function stringToSign(envelope: SnsEnvelope): string {
  const fields: readonly string[] = envelope.Type === 'Notification' ? NOTIFICATION_SIGNED_FIELDS : CONFIRMATION_SIGNED_FIELDS;
  const values = envelope as unknown as Record<string, string | null | undefined>;
  let out = '';
  for (const field of fields) {
    const value = values[field];
    if (value !== undefined && value !== null) out += `${field}\n${value}\n`;
  }
  return out;
}

function timestampAgeProblem(timestamp: string, now: number): string | null {
  const at = Date.parse(timestamp);
  if (Number.isNaN(at)) return `${timestamp} is not a date`;
  if (now - at > MAX_SNS_MESSAGE_AGE_MS) return `${timestamp} is more than ${MAX_SNS_MESSAGE_AGE_MS / 60_000} minutes old`;
  if (at - now > MAX_CLOCK_SKEW_MS) return `${timestamp} is in the future`;
  return null;
}

/** Why a URL is not one SNS would give (https on an SNS host, and for a certificate a .pem path), or null. */
function snsUrlProblem(value: string, certificate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${value} is not a URL`;
  }
  if (url.protocol !== 'https:') return `${value} is not https`;
  if (url.username !== '' || url.password !== '' || url.port !== '') return `${value} carries credentials or a port`;
  if (!SNS_HOST.test(url.hostname)) return `${value} is not on an SNS host`;
  if (certificate && !url.pathname.endsWith('.pem')) return `${value} is not a .pem certificate`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// The SES event inside a Notification.

const SES_EVENT_TYPES = ['Send', 'Reject', 'Bounce', 'Complaint', 'Delivery', 'Open', 'Click', 'Rendering Failure', 'DeliveryDelay', 'Subscription'] as const;
/** Identity notifications: Bounce, Complaint, Delivery, and the test message SES sends when the topic is set up. */
const SES_NOTIFICATION_TYPES = ['Bounce', 'Complaint', 'Delivery', 'AmazonSnsSubscriptionSucceeded'] as const;
type SesEventName = (typeof SES_EVENT_TYPES)[number] | (typeof SES_NOTIFICATION_TYPES)[number];

const Mail = z.object({
  messageId: text,
  timestamp: z.string().optional(),
  destination: z.array(z.string()).default([]),
  headers: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
  commonHeaders: z.object({ messageId: z.string().optional() }).optional(),
  tags: z.record(z.string(), z.array(z.string())).optional(),
});
type Mail = z.infer<typeof Mail>;

const Bounce = z.object({
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']),
  bounceSubType: z.string(),
  bouncedRecipients: z
    .array(z.object({ emailAddress: text, status: z.string().nullish(), diagnosticCode: z.string().nullish(), action: z.string().nullish() }))
    .min(1),
  timestamp: text,
  feedbackId: text,
});
const Complaint = z.object({
  complainedRecipients: z.array(z.object({ emailAddress: text })).min(1),
  timestamp: text,
  feedbackId: text,
  complaintFeedbackType: z.string().nullish(),
  complaintSubType: z.string().nullish(),
  userAgent: z.string().nullish(),
});
const Delivery = z.object({ recipients: z.array(text).min(1), timestamp: text, smtpResponse: z.string().nullish() });
const DeliveryDelay = z.object({
  delayType: z.string(),
  timestamp: text,
  delayedRecipients: z.array(z.object({ emailAddress: text, status: z.string().nullish(), diagnosticCode: z.string().nullish() })).min(1),
});
const Open = z.object({ timestamp: text, ipAddress: z.string().nullish(), userAgent: z.string().nullish() });
const Click = Open.extend({ link: text });
const Reject = z.object({ reason: z.string().nullish() });
const RenderingFailure = z.object({ errorMessage: z.string().nullish(), templateName: z.string().nullish() });
const Preferences = z.object({
  unsubscribeAll: z.boolean().optional(),
  topicSubscriptionStatus: z.array(z.object({ topicName: z.string(), subscriptionStatus: z.string() })).optional(),
});
const Subscription = z.object({ timestamp: text, contactList: z.string().nullish(), newTopicPreferences: Preferences });

/** The delay types SES reports for a DeliveryDelay, in the taxonomy's words; the others read the diagnostic. */
const DELAY_REASONS: Readonly<Record<string, BounceReason>> = {
  MailboxFull: 'mailboxfull',
  SpamDetected: 'spamdetected',
  RecipientServerError: 'systemerror',
  TransientCommunicationFailure: 'networkerror',
  IPFailure: 'blocked',
  SendingDeferral: 'speeding',
};

/** The bounce subtypes SES reports, in the taxonomy's words; General and Undetermined read the diagnostic. */
const BOUNCE_SUBTYPE_REASONS: Readonly<Record<string, BounceReason>> = {
  NoEmail: 'userunknown',
  Suppressed: 'suppressed',
  OnAccountSuppressionList: 'suppressed',
  MailboxFull: 'mailboxfull',
  MessageTooLarge: 'mesgtoobig',
  ContentRejected: 'contenterror',
  AttachmentRejected: 'contenterror',
  UnsupportedAttachmentType: 'contenterror',
};

/** The outcomes of one SES event (the Message of an SNS Notification). Pure. */
export function parseSesMessage(message: string, snsMessageId: string): ReportedOutcome[] {
  let event: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(message);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    event = parsed as Record<string, unknown>;
  } catch {
    throw new WebhookPayloadError('ses: Message is not a JSON object');
  }
  const name = sesEventName(event);
  if (name === 'AmazonSnsSubscriptionSucceeded') return [];

  const mail = read(Mail, event['mail'], 'mail');
  const reference = mailReference(mail);
  const one: Emit = (fields, idBase) => ({
    reporter: 'ses',
    id: `${idBase}:${fields.recipient ?? '-'}`,
    reference,
    ...fields,
    detail: { event: name, ...fields.detail },
  });
  const mailAt = mail.timestamp === undefined ? null : timeOf(mail.timestamp, 'mail.timestamp');
  /** For events about the message as a whole (opens, clicks): the recipient only when there was one. */
  const soleRecipient = mail.destination.length === 1 ? address(mail.destination[0]!) : null;

  switch (name) {
    case 'Send':
      return mail.destination.map((to) => one({ kind: 'sent', recipient: address(to), at: mailAt }, snsMessageId));
    case 'Reject': {
      // SES refuses to send a message in which it found a virus.
      const reject = read(Reject, event['reject'], 'reject');
      const bounce = facts(false, 'virusdetected', null, null, reject.reason ?? null);
      return mail.destination.map((to) => one({ kind: 'blocked', recipient: address(to), at: mailAt, bounce }, snsMessageId));
    }
    case 'Rendering Failure': {
      const failure = read(RenderingFailure, event['failure'], 'failure');
      const bounce = facts(false, 'contenterror', null, null, failure.errorMessage ?? null);
      const detail = { templateName: failure.templateName ?? null };
      return mail.destination.map((to) => one({ kind: 'blocked', recipient: address(to), at: mailAt, bounce, detail }, snsMessageId));
    }
    case 'Bounce':
      return bounceOutcomes(event['bounce'], one);
    case 'Complaint':
      return complaintOutcomes(event['complaint'], one);
    case 'Delivery': {
      const delivery = read(Delivery, event['delivery'], 'delivery');
      const at = timeOf(delivery.timestamp, 'delivery.timestamp');
      const detail = { smtpResponse: delivery.smtpResponse ?? null };
      return delivery.recipients.map((to) => one({ kind: 'delivered', recipient: address(to), at, detail }, snsMessageId));
    }
    case 'DeliveryDelay': {
      const delay = read(DeliveryDelay, event['deliveryDelay'], 'deliveryDelay');
      const at = timeOf(delay.timestamp, 'deliveryDelay.timestamp');
      const detail = { delayType: delay.delayType };
      return delay.delayedRecipients.map((r) => {
        const bounce = providerBounceFacts(false, DELAY_REASONS[delay.delayType] ?? null, r.status ?? null, r.diagnosticCode ?? null);
        return one({ kind: 'deferred', recipient: address(r.emailAddress), at, bounce, detail }, snsMessageId);
      });
    }
    case 'Open': {
      const open = read(Open, event['open'], 'open');
      const at = timeOf(open.timestamp, 'open.timestamp');
      return [one({ kind: 'opened', recipient: soleRecipient, at, ip: open.ipAddress ?? null, userAgent: open.userAgent ?? null }, snsMessageId)];
    }
    case 'Click': {
      const click = read(Click, event['click'], 'click');
      const at = timeOf(click.timestamp, 'click.timestamp');
      const fields = { ip: click.ipAddress ?? null, userAgent: click.userAgent ?? null, url: click.link };
      return [one({ kind: 'clicked', recipient: soleRecipient, at, ...fields }, snsMessageId)];
    }
    case 'Subscription':
      return subscriptionOutcomes(event['subscription'], mail.destination, (fields) => one(fields, snsMessageId));
    default:
      return unreachable(name, 'eventType');
  }
}

/** Completes an outcome of the event being read: reporter, reference, `${idBase}:${recipient}` as its id. */
type Emit = (fields: Omit<ReportedOutcome, 'reporter' | 'reference' | 'id'>, idBase: string) => ReportedOutcome;

/** One outcome per bounced recipient; the feedbackId is the same in every copy SES publishes of the bounce. */
function bounceOutcomes(value: unknown, one: Emit): ReportedOutcome[] {
  const bounce = read(Bounce, value, 'bounce');
  const at = timeOf(bounce.timestamp, 'bounce.timestamp');
  const subtypeReason = BOUNCE_SUBTYPE_REASONS[bounce.bounceSubType];
  const detail = { bounceType: bounce.bounceType, bounceSubType: bounce.bounceSubType };
  return bounce.bouncedRecipients.map((r) => {
    const recipient = address(r.emailAddress);
    // Suppressed: SES did not send at all, because the address is on a suppression list.
    if (subtypeReason === 'suppressed') {
      const suppressed = facts(false, 'suppressed', r.status ?? null, null, r.diagnosticCode ?? null);
      return one({ kind: 'blocked', recipient, at, bounce: suppressed, detail }, bounce.feedbackId);
    }
    const reported = providerBounceFacts(bounce.bounceType === 'Permanent', subtypeReason ?? null, r.status ?? null, r.diagnosticCode ?? null);
    return one({ kind: 'bounced', recipient, at, bounce: reported, detail }, bounce.feedbackId);
  });
}

function complaintOutcomes(value: unknown, one: Emit): ReportedOutcome[] {
  const complaint = read(Complaint, value, 'complaint');
  const at = timeOf(complaint.timestamp, 'complaint.timestamp');
  // OnAccountSuppressionList: SES did not send the message; no one complained about it.
  if (complaint.complaintSubType === 'OnAccountSuppressionList') {
    const bounce = facts(false, 'suppressed', null, null, null);
    return complaint.complainedRecipients.map((r) => one({ kind: 'blocked', recipient: address(r.emailAddress), at, bounce }, complaint.feedbackId));
  }
  const fields = { feedbackType: complaint.complaintFeedbackType ?? null, userAgent: complaint.userAgent ?? null };
  // SES passes the ARF Feedback-Type on: not-spam and auth-failure are no complaints (core/bounces).
  const kind = complaint.complaintFeedbackType ? feedbackKind(complaint.complaintFeedbackType) : 'complained';
  return complaint.complainedRecipients.map((r) => one({ kind, recipient: address(r.emailAddress), at, ...fields }, complaint.feedbackId));
}

/**
 * Only an opt-out is an outcome. An opt-in (or a change that opts out of nothing) is not one, and a
 * resubscription never lifts an unsubscription by itself: that is the sender's call.
 */
function subscriptionOutcomes(value: unknown, destination: readonly string[], one: (fields: Parameters<Emit>[0]) => ReportedOutcome): ReportedOutcome[] {
  const subscription = read(Subscription, value, 'subscription');
  const preferences = subscription.newTopicPreferences;
  const optedOut = (preferences.topicSubscriptionStatus ?? []).filter((t) => t.subscriptionStatus === 'OptOut').map((t) => t.topicName);
  if (preferences.unsubscribeAll !== true && optedOut.length === 0) return [];
  const at = timeOf(subscription.timestamp, 'subscription.timestamp');
  const detail = { contactList: subscription.contactList ?? null, unsubscribeAll: preferences.unsubscribeAll === true, topics: optedOut };
  return destination.map((to) => one({ kind: 'unsubscribed', recipient: address(to), at, detail }));
}

function sesEventName(event: Record<string, unknown>): SesEventName {
  const eventType = event['eventType'];
  if (typeof eventType === 'string') {
    if ((SES_EVENT_TYPES as readonly string[]).includes(eventType)) return eventType as SesEventName;
    throw new WebhookPayloadError(`ses: eventType ${JSON.stringify(eventType)} is not an SES event type`);
  }
  const notificationType = event['notificationType'];
  if (typeof notificationType === 'string') {
    if ((SES_NOTIFICATION_TYPES as readonly string[]).includes(notificationType)) return notificationType as SesEventName;
    throw new WebhookPayloadError(`ses: notificationType ${JSON.stringify(notificationType)} is not an SES notification type`);
  }
  throw new WebhookPayloadError('ses: Message has neither eventType nor notificationType');
}

function mailReference(mail: Mail): MessageReference {
  const header = (name: string): string | null => mail.headers?.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value ?? null;
  const token = mail.tags?.[MAILSIGHT_TOKEN_ARGUMENT]?.[0] ?? header(MAILSIGHT_TOKEN_HEADER);
  const messageId = header('Message-ID') ?? mail.commonHeaders?.messageId ?? null;
  return { token: token ?? null, providerMessageId: mail.messageId, messageIdHeader: messageId === null ? null : stripAngles(messageId) };
}

function read<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new WebhookPayloadError(`ses: ${firstProblem(result.error, field)}`);
}

/** "bounce.bouncedRecipients.0.emailAddress: Invalid input: expected string, received undefined" */
function firstProblem(error: z.ZodError, root: string): string {
  const issue = error.issues[0];
  if (issue === undefined) return `${root}: invalid`;
  return `${[root, ...issue.path.map(String)].filter((part) => part !== '').join('.')}: ${issue.message}`;
}

function timeOf(value: string, field: string): number {
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new WebhookPayloadError(`ses: ${field} ${JSON.stringify(value)} is not a date`);
  return at;
}

function address(value: string): string {
  const angled = /<([^<>]+)>\s*$/.exec(value);
  return (angled?.[1] ?? value).trim().toLowerCase();
}


function unreachable(value: never, field: string): never {
  throw new WebhookPayloadError(`ses: unexpected ${field} ${JSON.stringify(value)}`);
}

function facts(hard: boolean, reason: BounceReason, status: string | null, replyCode: number | null, diagnostic: string | null): BounceFacts {
  return { hard, reason, status, replyCode, diagnostic };
}
