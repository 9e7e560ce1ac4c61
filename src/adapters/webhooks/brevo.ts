/**
 * Brevo's transactional webhooks (https://developers.brevo.com/docs/transactional-webhooks): one
 * event per request (or an array, when batched), named by `event`. Brevo signs nothing: basic auth
 * in the webhook URL or a bearer token, checked by credentials.ts; its published source ranges
 * (1.179.112.0/20, 172.246.240.0/20) may be a second check.
 *
 * References: `message-id` is the message's Message-ID as Brevo's send API returned it (`<...>`):
 * kept as given for providerMessageId, without the brackets for messageIdHeader. The token comes
 * back in the X-Mailin-custom header (`mailsight_token=TOKEN` or a JSON object) or a tag. Brevo
 * gives no event id: one is derived from the event, the message-id, the address and the time as
 * Brevo wrote it (and the link for clicks).
 */
import type { BounceReason } from '../../core/outcomes/reasons.js';
import { PROVIDER_FLAGS } from '../../core/outcomes/provider-flags.js';
import type { ReportedKind, ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { bounceFacts } from './bounce-text.js';
import { createCredentialCheck, type CredentialSettings } from './credentials.js';
import { tokenInText } from './custom-argument.js';
import type { ParsedWebhook, WebhookProvider, WebhookRequest } from './provider.js';
import { derivedEventId, EventFields, eventObjects, parseJsonBody, unreachable } from './webhook-json.js';

const PROVIDER = 'brevo';

export type BrevoSettings = CredentialSettings;

/**
 * The ranges Brevo publishes as the sources of its webhook calls (its "IP ranges to allowlist"
 * help page), for `allowedSources`: a second check beside the credentials. Check them against
 * Brevo's page when deploying; they change rarely but without notice here.
 */
export const BREVO_SOURCE_RANGES: readonly string[] = Object.freeze(['1.179.112.0/20', '172.246.240.0/20']);

export function createBrevoWebhook(settings: BrevoSettings): WebhookProvider {
  const check = createCredentialCheck(PROVIDER, settings);
  return {
    name: PROVIDER,
    authenticate: async (request) => check(request),
    parse: (request) => parseBrevo(request.rawBody),
  };
}

export const BREVO_EVENTS = [
  'request',
  'delivered',
  'hard_bounce',
  'soft_bounce',
  'deferred',
  'blocked',
  'invalid_email',
  'spam',
  'error',
  'opened',
  'unique_opened',
  'proxy_open',
  'click',
  'unsubscribed',
  'list_addition',
] as const;
type BrevoEvent = (typeof BREVO_EVENTS)[number];

/** The pure parser: the body of an authenticated request to outcomes, or WebhookPayloadError naming the field. */
export function parseBrevo(rawBody: WebhookRequest['rawBody']): ParsedWebhook {
  const events = eventObjects(PROVIDER, parseJsonBody(PROVIDER, rawBody));
  return { outcomes: events.flatMap((event, index) => eventOutcomes(new EventFields(PROVIDER, index, event))) };
}

function eventOutcomes(f: EventFields): ReportedOutcome[] {
  const event = f.oneOf('event', BREVO_EVENTS);
  switch (event) {
    case 'request':
      return [outcome(f, event, 'sent')];
    case 'delivered':
      return [outcome(f, event, 'delivered')];
    // Brevo: "the address is invalid or does not exist"; its reason text may say better.
    case 'hard_bounce':
      return [failure(f, event, 'bounced', { fallback: 'userunknown' })];
    case 'soft_bounce':
      return [failure(f, event, 'bounced', { fallback: 'undefined' })];
    case 'deferred':
      return [failure(f, event, 'deferred', { fallback: 'undefined' })];
    // Refused by Brevo before sending: the address is blocklisted there (a past hard bounce,
    // complaint or unsubscribe), whatever words its reason uses.
    case 'blocked':
      return [failure(f, event, 'blocked', { known: 'suppressed' })];
    // Never sent: the address cannot be one (its syntax).
    case 'invalid_email':
      return [failure(f, event, 'blocked', { known: 'userunknown' })];
    case 'error':
      return [failure(f, event, 'blocked', { fallback: 'systemerror' })];
    case 'spam':
      return [{ ...outcome(f, event, 'complained'), feedbackType: 'abuse' }];
    // Brevo reports opens by a proxy (Apple Mail Privacy Protection and the like) apart, as proxy_open.
    case 'opened':
    case 'unique_opened':
      return [{ ...outcome(f, event, 'opened'), machine: false, userAgent: f.optionalString('user_agent') }];
    case 'proxy_open':
      return [{ ...outcome(f, event, 'opened'), machine: true, userAgent: f.optionalString('user_agent'), flag: PROVIDER_FLAGS.brevoProxyOpen }];
    case 'click': {
      const url = f.string('link');
      return [{ ...outcome(f, event, 'clicked', url), machine: null, userAgent: f.optionalString('user_agent'), url }];
    }
    case 'unsubscribed':
      return [outcome(f, event, 'unsubscribed')];
    // A contact added to a marketing list: about the contact list, not about a message.
    case 'list_addition':
      return [];
    default:
      return unreachable(event);
  }
}

function failure(f: EventFields, event: BrevoEvent, kind: 'bounced' | 'deferred' | 'blocked', reason: { known: BounceReason } | { fallback: BounceReason }): ReportedOutcome {
  return { ...outcome(f, event, kind), bounce: bounceFacts(f.optionalString('reason'), reason) };
}

function outcome(f: EventFields, event: BrevoEvent, kind: ReportedKind, url: string | null = null): ReportedOutcome {
  const recipient = f.recipient('email');
  const messageId = f.string('message-id');
  const { at, written } = eventTime(f);
  const parts = [event, messageId, recipient, written];
  const tags = stringTags(f);
  return {
    kind,
    recipient,
    at,
    reporter: PROVIDER,
    id: derivedEventId(PROVIDER, url === null ? parts : [...parts, url]),
    reference: {
      token: tokenInText(f.optionalString('X-Mailin-custom')) ?? firstToken([...tags, f.optionalString('tag')]),
      providerMessageId: messageId,
      messageIdHeader: messageId.replace(/^<(.*)>$/, '$1'),
      envelopeId: null,
    },
    detail: {
      event,
      subject: f.optionalString('subject'),
      tags,
      templateId: f.optionalIntegerId('template_id'),
      sendingIp: f.optionalString('sending_ip'),
    },
  };
}

/**
 * When it happened: `ts_epoch` (ms), else `ts_event` or `ts` (seconds), else `date` when it carries
 * its offset (Brevo's `2020-10-09 00:00:00` does not say its zone: then the ingestion uses the
 * arrival time). `written` is the time as Brevo wrote it, for the derived id.
 */
function eventTime(f: EventFields): { at: number | null; written: number | string | null } {
  const epochMs = f.optionalNumber('ts_epoch');
  if (epochMs !== null) {
    if (!Number.isInteger(epochMs) || epochMs <= 0) throw f.error('ts_epoch', 'must be a positive time in epoch milliseconds');
    return { at: epochMs, written: epochMs };
  }
  for (const field of ['ts_event', 'ts']) {
    const at = f.optionalEpochSeconds(field);
    if (at !== null) return { at, written: at };
  }
  const date = f.optionalString('date');
  if (date === null) throw f.error('ts_epoch', 'is missing (and so are ts_event, ts and date)');
  return { at: /(?:Z|[+-]\d{2}:?\d{2})$/i.test(date) ? f.isoTime('date') : null, written: date };
}

function stringTags(f: EventFields): string[] {
  if (!f.has('tags')) return [];
  const tags = f.event['tags'];
  if (!Array.isArray(tags) || !tags.every((tag): tag is string => typeof tag === 'string')) throw f.error('tags', 'must be a list of strings');
  return tags;
}

function firstToken(values: readonly (string | null)[]): string | null {
  for (const value of values) {
    const token = tokenInText(value);
    if (token !== null) return token;
  }
  return null;
}
