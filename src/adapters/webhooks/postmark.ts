/**
 * Postmark webhooks (https://postmarkapp.com/developer/webhooks/webhooks-overview): one record per
 * request, `RecordType` Delivery, Bounce, SpamComplaint, Open, Click or SubscriptionChange. Postmark
 * signs nothing: the webhook URL carries basic auth credentials (`https://user:pass@host/...`) or
 * custom headers, checked by credentials.ts; Postmark's published source addresses may be a second check.
 *
 * References: `MessageID` is Postmark's id for the message; `Metadata.mailsight_token` the token,
 * when it was sent as metadata. Ids: bounces and complaints carry Postmark's bounce `ID` (int64,
 * kept as digits); the other records get one derived from their content.
 */
import type { BounceReason } from '../../core/outcomes/reasons.js';
import type { ReportedKind, ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { bounceFacts } from './bounce-text.js';
import { createCredentialCheck, type CredentialSettings } from './credentials.js';
import { TOKEN_ARGUMENT, tokenValue } from './custom-argument.js';
import type { ParsedWebhook, WebhookProvider, WebhookRequest } from './provider.js';
import { derivedEventId, EventFields, eventObjects, parseJsonBody, unreachable } from './webhook-json.js';

const PROVIDER = 'postmark';

export type PostmarkSettings = CredentialSettings;

export function createPostmarkWebhook(settings: PostmarkSettings): WebhookProvider {
  const check = createCredentialCheck(PROVIDER, settings);
  return {
    name: PROVIDER,
    authenticate: async (request) => check(request),
    parse: (request) => parsePostmark(request.rawBody),
  };
}

export const POSTMARK_RECORD_TYPES = ['Delivery', 'Bounce', 'SpamComplaint', 'Open', 'Click', 'SubscriptionChange'] as const;
type RecordType = (typeof POSTMARK_RECORD_TYPES)[number];

/** Postmark's bounce `Type` values (https://postmarkapp.com/developer/api/bounce-api#bounce-types). */
export const POSTMARK_BOUNCE_TYPES = [
  'HardBounce',
  'Transient',
  'Unsubscribe',
  'Subscribe',
  'AutoResponder',
  'AddressChange',
  'DnsError',
  'SpamNotification',
  'OpenRelayTest',
  'Unknown',
  'SoftBounce',
  'VirusNotification',
  'ChallengeVerification',
  'BadEmailAddress',
  'SpamComplaint',
  'ManuallyDeactivated',
  'Unconfirmed',
  'Blocked',
  'SMTPApiError',
  'InboxPlacement',
  'DMARCPolicy',
  'TemplateRenderingFailed',
] as const;
type BounceType = (typeof POSTMARK_BOUNCE_TYPES)[number];

/** The pure parser: the body of an authenticated request to outcomes, or WebhookPayloadError naming the field. */
export function parsePostmark(rawBody: WebhookRequest['rawBody']): ParsedWebhook {
  const records = eventObjects(PROVIDER, parseJsonBody(PROVIDER, rawBody));
  return { outcomes: records.flatMap((record, index) => recordOutcomes(new EventFields(PROVIDER, index, record))) };
}

function recordOutcomes(f: EventFields): ReportedOutcome[] {
  const recordType = f.oneOf('RecordType', POSTMARK_RECORD_TYPES);
  switch (recordType) {
    case 'Delivery': {
      const at = f.isoTime('DeliveredAt');
      return [outcome(f, recordType, 'delivered', f.recipient('Recipient'), at, derived(f, recordType, 'Recipient', 'DeliveredAt'), { details: f.optionalString('Details') })];
    }
    case 'Bounce':
      return bounceOutcomes(f);
    case 'SpamComplaint':
      return [{ ...outcome(f, recordType, 'complained', f.recipient('Email'), f.isoTime('BouncedAt'), bounceId(f)), feedbackType: 'abuse' }];
    case 'Open':
      return [{ ...outcome(f, recordType, 'opened', f.recipient('Recipient'), f.isoTime('ReceivedAt'), derived(f, recordType, 'Recipient', 'ReceivedAt'), openDetail(f)), ...engagement(f) }];
    case 'Click': {
      const url = f.string('OriginalLink');
      const detail = { clickLocation: f.optionalString('ClickLocation'), platform: f.optionalString('Platform') };
      return [{ ...outcome(f, recordType, 'clicked', f.recipient('Recipient'), f.isoTime('ReceivedAt'), derived(f, recordType, 'Recipient', 'ReceivedAt'), detail), ...engagement(f), url }];
    }
    case 'SubscriptionChange':
      return subscriptionOutcomes(f);
    default:
      return unreachable(recordType);
  }
}

/**
 * What each bounce type reports. Postmark files more than failures under bounces: auto-replies,
 * (un)subscribe requests, complaints, its own refusals before sending (blocked) and tests.
 */
type BounceHandling =
  | { kind: 'bounced' | 'deferred' | 'blocked'; reason: { known: BounceReason } | { fallback: BounceReason } }
  | { kind: 'complained' | 'unsubscribed' | 'auto-reply' }
  /** Not about this message's delivery to this recipient: no outcome. */
  | { kind: null };

function bounceHandling(type: BounceType): BounceHandling {
  switch (type) {
    // "unknown user, mailbox not found": the Details text may say better (a dead domain).
    case 'HardBounce':
      return { kind: 'bounced', reason: { fallback: 'userunknown' } };
    case 'BadEmailAddress':
      return { kind: 'bounced', reason: { known: 'userunknown' } };
    case 'AddressChange':
      return { kind: 'bounced', reason: { known: 'hasmoved' } };
    // Postmark documents DnsError as "a temporary DNS error": a lookup that failed, not a domain
    // known not to exist, so soft unless the text says the domain is gone.
    case 'DnsError':
      return { kind: 'bounced', reason: { fallback: 'networkerror' } };
    case 'SoftBounce':
    case 'Unknown':
      return { kind: 'bounced', reason: { fallback: 'undefined' } };
    case 'SpamNotification':
      return { kind: 'bounced', reason: { fallback: 'spamdetected' } };
    case 'VirusNotification':
      return { kind: 'bounced', reason: { known: 'virusdetected' } };
    case 'Blocked':
      return { kind: 'bounced', reason: { fallback: 'blocked' } };
    case 'DMARCPolicy':
      return { kind: 'bounced', reason: { known: 'authfailure' } };
    // "Message delayed": Postmark goes on trying.
    case 'Transient':
      return { kind: 'deferred', reason: { fallback: 'undefined' } };
    // Refused by Postmark before sending: an address it holds inactive, or a message it could not build.
    case 'ManuallyDeactivated':
    case 'Unconfirmed':
      return { kind: 'blocked', reason: { known: 'suppressed' } };
    case 'SMTPApiError':
      return { kind: 'blocked', reason: { fallback: 'systemerror' } };
    case 'TemplateRenderingFailed':
      return { kind: 'blocked', reason: { known: 'contenterror' } };
    case 'SpamComplaint':
      return { kind: 'complained' };
    case 'Unsubscribe':
      return { kind: 'unsubscribed' };
    // An automatic answer, including a challenge to prove the sender is a person: not a failure.
    case 'AutoResponder':
    case 'ChallengeVerification':
      return { kind: 'auto-reply' };
    // A subscribe request, a test of the receiving server, a seed-list placement test: nothing
    // happened to this message for this recipient.
    case 'Subscribe':
    case 'OpenRelayTest':
    case 'InboxPlacement':
      return { kind: null };
    default:
      return unreachable(type);
  }
}

function bounceOutcomes(f: EventFields): ReportedOutcome[] {
  const type = f.oneOf('Type', POSTMARK_BOUNCE_TYPES);
  const handling = bounceHandling(type);
  const recipient = f.recipient('Email');
  const at = f.isoTime('BouncedAt');
  const id = bounceId(f);
  if (handling.kind === null) return [];
  const detail = {
    type,
    description: f.optionalString('Description'),
    inactive: f.optionalBoolean('Inactive'),
    canActivate: f.optionalBoolean('CanActivate'),
  };
  const base = outcome(f, 'Bounce', handling.kind, recipient, at, id, detail);
  if (handling.kind === 'complained') return [{ ...base, feedbackType: 'abuse' }];
  if (!('reason' in handling)) return [base];
  return [{ ...base, bounce: bounceFacts(f.optionalString('Details'), handling.reason) }];
}

/**
 * SuppressSending true: Postmark will not send to the address any more. A manual suppression (the
 * recipient's unsubscribe link, or the sender's own) is an unsubscribe; one that follows a hard
 * bounce or a complaint adds nothing to the Bounce or SpamComplaint record that reported the fact,
 * so it gives no outcome (reporting it again would count one fact twice). SuppressSending false (a
 * reactivation) gives none either: a resubscribe is not a delivery outcome.
 */
function subscriptionOutcomes(f: EventFields): ReportedOutcome[] {
  const suppress = f.optionalBoolean('SuppressSending');
  if (suppress === null) throw f.error('SuppressSending', 'is missing');
  const recipient = f.recipient('Recipient');
  const at = f.isoTime('ChangedAt');
  const reason = f.has('SuppressionReason') ? f.oneOf('SuppressionReason', SUPPRESSION_REASONS) : null;
  if (!suppress) return [];
  if (reason === null) throw f.error('SuppressionReason', 'is missing while SuppressSending is true');
  switch (reason) {
    case 'ManualSuppression': {
      const detail = { suppressionReason: reason, origin: f.optionalString('Origin') };
      return [outcome(f, 'SubscriptionChange', 'unsubscribed', recipient, at, derived(f, 'SubscriptionChange', 'Recipient', 'ChangedAt'), detail)];
    }
    case 'HardBounce':
    case 'SpamComplaint':
      return [];
    default:
      return unreachable(reason);
  }
}

const SUPPRESSION_REASONS = ['ManualSuppression', 'HardBounce', 'SpamComplaint'] as const;

function outcome(
  f: EventFields,
  recordType: RecordType,
  kind: ReportedKind,
  recipient: string,
  at: number,
  id: string,
  detail: Record<string, unknown> = {},
): ReportedOutcome {
  const metadata = f.optionalObject('Metadata');
  // A subscription change made by hand in Postmark's interface concerns no message.
  const messageId = recordType === 'SubscriptionChange' ? f.optionalString('MessageID') : f.string('MessageID');
  return {
    kind,
    recipient,
    at,
    reporter: PROVIDER,
    id,
    reference: { token: tokenValue(metadata?.[TOKEN_ARGUMENT]), providerMessageId: messageId, messageIdHeader: null, envelopeId: null },
    detail: { event: recordType, tag: f.optionalString('Tag'), messageStream: f.optionalString('MessageStream'), ...detail },
  };
}

/** Opens and clicks: Postmark gives the reader's user agent and (in Geo) address, and no machine flag. */
function engagement(f: EventFields): Pick<ReportedOutcome, 'machine' | 'userAgent' | 'ip'> {
  const geo = f.optionalObject('Geo');
  const ip = geo?.['IP'];
  return { machine: null, userAgent: f.optionalString('UserAgent'), ip: typeof ip === 'string' && ip !== '' ? ip : null };
}

function openDetail(f: EventFields): Record<string, unknown> {
  return { firstOpen: f.optionalBoolean('FirstOpen'), readSeconds: f.optionalNumber('ReadSeconds'), platform: f.optionalString('Platform') };
}

/** Postmark's bounce ID: bounces and spam complaints share its numbering. */
function bounceId(f: EventFields): string {
  return `bounce-${f.integerId('ID')}`;
}

function derived(f: EventFields, recordType: RecordType, recipientField: string, timeField: string): string {
  return derivedEventId(PROVIDER, [recordType, f.optionalString('MessageID'), f.string(recipientField).toLowerCase(), f.string(timeField)]);
}
