/**
 * Mailjet's Event API (https://dev.mailjet.com/email/guides/webhooks/): events sent, open, click,
 * bounce, blocked, spam and unsub, one object per request or an array when grouping is on. Mailjet
 * signs nothing: basic auth in the webhook URL or a secret in its query, checked by credentials.ts.
 *
 * References: `MessageID` is an int64 (19 digits): kept as its digits, never a rounded number.
 * The token comes back in `Payload` (the Event payload, X-MJ-EventPayload) or `CustomID`
 * (X-MJ-CustomID) as `mailsight_token=TOKEN` or a JSON object. Mailjet gives no event id: one is
 * derived from the event, the MessageID, the address and the time (and the URL for clicks, so
 * two links clicked in the same second stay two clicks).
 */
import type { BounceReason } from '../../core/outcomes/reasons.js';
import type { ReportedKind, ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { bounceFacts } from './bounce-text.js';
import { createCredentialCheck, type CredentialSettings } from './credentials.js';
import { tokenInText } from './custom-argument.js';
import type { ParsedWebhook, WebhookProvider, WebhookRequest } from './provider.js';
import { derivedEventId, EventFields, eventObjects, parseJsonBody, unreachable } from './webhook-json.js';

const PROVIDER = 'mailjet';

export type MailjetSettings = CredentialSettings;

export function createMailjetWebhook(settings: MailjetSettings): WebhookProvider {
  const check = createCredentialCheck(PROVIDER, settings);
  return {
    name: PROVIDER,
    authenticate: async (request) => check(request),
    parse: (request) => parseMailjet(request.rawBody),
  };
}

export const MAILJET_EVENTS = ['sent', 'open', 'click', 'bounce', 'blocked', 'spam', 'unsub'] as const;
type MailjetEvent = (typeof MAILJET_EVENTS)[number];

/**
 * Mailjet's `error` values for bounce and blocked events (its table of errors, by error_related_to):
 * the reason each one gives. Mailjet's own hard/soft verdict is kept in `detail.hardBounce`; `hard`
 * follows the project's rule (reasons.ts), so an inactive mailbox is soft here though Mailjet calls it hard.
 */
const ERROR_REASONS: ReadonlyMap<string, BounceReason> = new Map<string, BounceReason>([
  // recipient
  ['user unknown', 'userunknown'],
  ['mailbox inactive', 'suspend'],
  ['quota exceeded', 'mailboxfull'],
  ['blacklisted', 'suppressed'],
  ['spam reporter', 'suppressed'],
  // domain
  ['invalid domain', 'hostunknown'],
  ['typofix', 'hostunknown'],
  ['no mail host', 'notaccept'],
  ['relay/access denied', 'norelaying'],
  ['greylisted', 'onhold'],
  // spam
  ['sender blocked', 'blocked'],
  ['content blocked', 'spamdetected'],
  ['policy issue', 'policyviolation'],
  // system
  ['system issue', 'systemerror'],
  ['protocol issue', 'syntaxerror'],
  ['connection issue', 'networkerror'],
  // mailjet: refused before sending
  ['preblocked', 'suppressed'],
  // The sender asked for one message per address of a campaign (X-Mailjet-DeduplicateCampaign): no fault of the address.
  ['duplicate in campaign', 'undefined'],
  // content
  ['bad or empty template', 'contenterror'],
  ['error in template language', 'contenterror'],
]);

/** The pure parser: the body of an authenticated request to outcomes, or WebhookPayloadError naming the field. */
export function parseMailjet(rawBody: WebhookRequest['rawBody']): ParsedWebhook {
  const events = eventObjects(PROVIDER, parseJsonBody(PROVIDER, rawBody));
  return { outcomes: events.map((event, index) => eventOutcome(new EventFields(PROVIDER, index, event))) };
}

function eventOutcome(f: EventFields): ReportedOutcome {
  const event = f.oneOf('event', MAILJET_EVENTS);
  switch (event) {
    case 'sent':
      // Mailjet's "sent": the recipient's server accepted the message (smtp_reply holds its answer).
      return outcome(f, event, 'delivered', { smtpReply: f.optionalString('smtp_reply') });
    case 'open':
      return { ...outcome(f, event, 'opened', { geo: f.optionalString('geo') }), ...engagement(f) };
    case 'click': {
      const url = f.string('url');
      return { ...outcome(f, event, 'clicked', { geo: f.optionalString('geo') }, url), ...engagement(f), url };
    }
    case 'bounce':
      return failure(f, event, 'bounced');
    case 'blocked':
      return failure(f, event, 'blocked');
    case 'spam':
      return { ...outcome(f, event, 'complained', { source: f.optionalString('source') }), feedbackType: 'abuse' };
    case 'unsub':
      return outcome(f, event, 'unsubscribed', { listId: f.optionalIntegerId('mj_list_id'), ip: f.optionalString('ip'), agent: f.optionalString('agent') });
    default:
      return unreachable(event);
  }
}

/** A bounce (sent, failed) or a blocked message (never sent): the reason from Mailjet's error, else from its comment. */
function failure(f: EventFields, event: MailjetEvent, kind: 'bounced' | 'blocked'): ReportedOutcome {
  const relatedTo = f.optionalString('error_related_to');
  const error = f.optionalString('error');
  const comment = f.optionalString('comment');
  const known = error === null ? undefined : ERROR_REASONS.get(error.toLowerCase());
  const diagnostic = comment ?? error;
  const bounce = bounceFacts(diagnostic, known === undefined ? { fallback: 'undefined' } : { known });
  const detail = { errorRelatedTo: relatedTo, error, hardBounce: f.optionalBoolean('hard_bounce'), blocked: f.optionalBoolean('blocked') };
  return { ...outcome(f, event, kind, detail), bounce };
}

function outcome(f: EventFields, event: MailjetEvent, kind: ReportedKind, detail: Record<string, unknown>, url: string | null = null): ReportedOutcome {
  const messageId = f.integerId('MessageID');
  const recipient = f.recipient('email');
  const time = f.optionalEpochSeconds('time');
  if (time === null) throw f.error('time', 'is missing');
  const customId = f.optionalString('CustomID');
  const payload = f.optionalString('Payload');
  const parts = [event, messageId, recipient, time];
  return {
    kind,
    recipient,
    at: time,
    reporter: PROVIDER,
    id: derivedEventId(PROVIDER, url === null ? parts : [...parts, url]),
    reference: { token: tokenInText(payload) ?? tokenInText(customId), providerMessageId: messageId, messageIdHeader: null, envelopeId: null },
    detail: {
      event,
      messageGuid: f.optionalString('Message_GUID'),
      campaignId: f.optionalIntegerId('mj_campaign_id'),
      contactId: f.optionalIntegerId('mj_contact_id'),
      customCampaign: f.optionalString('customcampaign'),
      customId,
      ...detail,
    },
  };
}

/** Opens and clicks: Mailjet gives the reader's address and user agent, and no machine flag. */
function engagement(f: EventFields): Pick<ReportedOutcome, 'machine' | 'userAgent' | 'ip'> {
  return { machine: null, userAgent: f.optionalString('agent'), ip: f.optionalString('ip') };
}
