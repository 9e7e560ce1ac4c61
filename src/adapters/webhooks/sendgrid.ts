/**
 * SendGrid's Event Webhook: a JSON array of events, signed.
 *
 * authenticate: ECDSA P-256 with SHA-256 over the timestamp header's text followed by the raw body,
 * verified with the public key SendGrid shows for the webhook (base64 DER SubjectPublicKeyInfo);
 * the timestamp must fall within a replay window. Nothing reads the body before.
 *
 * parse: one outcome per event, by `event`; group_resubscribe gives none (see below). Every event
 * carries `sg_event_id`, which SendGrid keeps across its retries: the outcome's id.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { PROVIDER_FLAGS } from '../../core/outcomes/provider-flags.js';
import type { BounceReason } from '../../core/outcomes/reasons.js';
import { providerBounceFacts, stripAngles } from './bounce-text.js';
import {
  MAILSIGHT_TOKEN_ARGUMENT,
  WebhookAuthError,
  WebhookPayloadError,
  type ParsedWebhook,
  type WebhookProvider,
  type WebhookRequest,
} from './provider.js';

export interface SendGridWebhookSettings {
  /** The webhook's verification key as SendGrid shows it: base64 of the DER SubjectPublicKeyInfo of a P-256 key. */
  verificationKey: string;
}

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * How far the signed timestamp may be from our clock, either way (ms). SendGrid signs a request when
 * it sends it, so a genuine one is seconds old; ten minutes covers clock skew and a slow hop. An
 * older request is a captured one played back (the signature covers the body, not its freshness).
 */
export const SENDGRID_REPLAY_WINDOW_MS = 10 * 60 * 1000;

export const SENDGRID_EVENTS = [
  'processed',
  'dropped',
  'delivered',
  'deferred',
  'bounce',
  'open',
  'click',
  'spamreport',
  'unsubscribe',
  'group_unsubscribe',
  'group_resubscribe',
] as const;
type SendGridEventName = (typeof SENDGRID_EVENTS)[number];

export function createSendGridWebhook(settings: SendGridWebhookSettings): WebhookProvider {
  const key = verificationKey(settings?.verificationKey);
  return {
    name: 'sendgrid',
    async authenticate(request: WebhookRequest): Promise<void> {
      const signature = singleHeader(request, SIGNATURE_HEADER);
      const timestamp = singleHeader(request, TIMESTAMP_HEADER);
      if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookAuthError(`sendgrid: header ${TIMESTAMP_HEADER} is not epoch seconds`);
      const skew = Math.abs(request.now - Number(timestamp) * 1000);
      if (skew > SENDGRID_REPLAY_WINDOW_MS) {
        throw new WebhookAuthError(`sendgrid: header ${TIMESTAMP_HEADER} is more than ${SENDGRID_REPLAY_WINDOW_MS / 60_000} minutes from now`);
      }
      const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), request.rawBody]);
      let valid = false;
      try {
        valid = verify('sha256', signed, key, Buffer.from(signature, 'base64'));
      } catch {
        valid = false;
      }
      if (!valid) throw new WebhookAuthError('sendgrid: signature does not verify');
    },
    parse(request: WebhookRequest): ParsedWebhook {
      return { outcomes: parseSendGridEvents(request.rawBody) };
    },
  };
}

function verificationKey(setting: string | undefined): KeyObject {
  if (typeof setting !== 'string' || setting.trim() === '') {
    throw new Error('sendgrid webhook: setting verificationKey is empty; a webhook without a key would accept anyone');
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(setting.trim(), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw new Error('sendgrid webhook: setting verificationKey is not a base64 DER public key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('sendgrid webhook: setting verificationKey is not a P-256 (prime256v1) key');
  }
  return key;
}

function singleHeader(request: WebhookRequest, name: string): string {
  const value = request.headers[name];
  if (typeof value !== 'string' || value === '') throw new WebhookAuthError(`sendgrid: header ${name} is missing or repeated`);
  return value;
}

const text = z.string().min(1);
/** The fields every event has; SendGrid adds custom arguments (ours among them) as top-level keys. */
const BaseEvent = z.looseObject({
  event: z.string(),
  email: text,
  timestamp: z.number().int().nonnegative(),
  sg_event_id: text,
  sg_message_id: z.string().optional(),
  'smtp-id': z.string().optional(),
  category: z.union([z.string(), z.array(z.string())]).optional(),
});
type BaseEvent = z.infer<typeof BaseEvent>;
const Dropped = z.object({ reason: z.string().nullish(), status: z.string().nullish() });
const Delivered = z.object({ response: z.string().nullish() });
const Deferred = z.object({ response: z.string().nullish(), attempt: z.union([z.string(), z.number()]).nullish() });
const Bounce = z.object({
  type: z.enum(['bounce', 'blocked']),
  reason: z.string().nullish(),
  status: z.string().nullish(),
  bounce_classification: z.string().nullish(),
});
const Open = z.object({ useragent: z.string().nullish(), ip: z.string().nullish(), sg_machine_open: z.boolean().nullish() });
const Click = z.object({ url: text, useragent: z.string().nullish(), ip: z.string().nullish() });
const GroupUnsubscribe = z.object({ asm_group_id: z.number().int().nullish() });

/** SendGrid's bounce classifications, in the taxonomy's words; the others ("Technical", "Unclassified"...) read the diagnostic. */
const CLASSIFICATION_REASONS: Readonly<Record<string, BounceReason>> = {
  'Invalid Address': 'userunknown',
  Content: 'contenterror',
  Reputation: 'badreputation',
  'Frequency or Volume': 'speeding',
};

/** Drop reasons that mean the address was suppressed (a previous bounce, unsubscribe or spam report). */
const SUPPRESSED_DROP = /bounced address|unsubscribed address|spam reporting address|suppress/i;

/** The outcomes of a SendGrid batch. Pure. One bad event refuses the batch. */
export function parseSendGridEvents(rawBody: Buffer): ReportedOutcome[] {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookPayloadError('sendgrid: body is not JSON');
  }
  if (!Array.isArray(body)) throw new WebhookPayloadError('sendgrid: body is not an array of events');
  const outcomes: ReportedOutcome[] = [];
  body.forEach((value: unknown, index) => {
    const outcome = parseEvent(value, `[${index}]`);
    if (outcome !== null) outcomes.push(outcome);
  });
  return outcomes;
}

function parseEvent(value: unknown, at: string): ReportedOutcome | null {
  const event = read(BaseEvent, value, at);
  const name = eventName(event.event, at);
  const one = (fields: Pick<ReportedOutcome, 'kind'> & Partial<ReportedOutcome>): ReportedOutcome => ({
    recipient: event.email.trim().toLowerCase(),
    at: event.timestamp * 1000,
    reporter: 'sendgrid',
    id: event.sg_event_id,
    reference: reference(event),
    ...fields,
    detail: { event: name, ...(event.category === undefined ? {} : { category: event.category }), ...fields.detail },
  });

  switch (name) {
    case 'processed':
      return one({ kind: 'sent' });
    case 'dropped': {
      // SendGrid did not send: the address is suppressed, or the message broke one of its rules.
      const dropped = read(Dropped, value, at);
      const reason = dropped.reason ?? null;
      const suppressed = reason !== null && SUPPRESSED_DROP.test(reason);
      const bounce = { hard: false, reason: suppressed ? 'suppressed' : 'rejected', status: dropped.status ?? null, replyCode: null, diagnostic: reason } as const;
      return one({ kind: 'blocked', bounce });
    }
    case 'delivered':
      return one({ kind: 'delivered', detail: { response: read(Delivered, value, at).response ?? null } });
    case 'deferred': {
      const deferred = read(Deferred, value, at);
      return one({ kind: 'deferred', bounce: providerBounceFacts(false, null, null, deferred.response ?? null), detail: { attempt: deferred.attempt ?? null } });
    }
    case 'bounce': {
      const bounce = read(Bounce, value, at);
      const detail = { type: bounce.type, bounceClassification: bounce.bounce_classification ?? null };
      // type blocked: the receiving server refused this sender for now (an IP or content block), not the address.
      const classified = bounce.type === 'blocked' ? 'blocked' : (CLASSIFICATION_REASONS[bounce.bounce_classification ?? ''] ?? null);
      const facts = providerBounceFacts(bounce.type === 'bounce', classified, bounce.status ?? null, bounce.reason ?? null);
      return one({ kind: 'bounced', bounce: facts, detail });
    }
    case 'open': {
      const open = read(Open, value, at);
      return one({
        kind: 'opened',
        machine: open.sg_machine_open ?? null,
        userAgent: open.useragent ?? null,
        ip: open.ip ?? null,
        ...(open.sg_machine_open === true ? { flag: PROVIDER_FLAGS.sendgridMachineOpen } : {}),
      });
    }
    case 'click': {
      const click = read(Click, value, at);
      return one({ kind: 'clicked', url: click.url, userAgent: click.useragent ?? null, ip: click.ip ?? null });
    }
    case 'spamreport':
      return one({ kind: 'complained', feedbackType: 'spamreport' });
    case 'unsubscribe':
      return one({ kind: 'unsubscribed' });
    case 'group_unsubscribe':
      return one({ kind: 'unsubscribed', detail: { asmGroupId: read(GroupUnsubscribe, value, at).asm_group_id ?? null } });
    case 'group_resubscribe':
      // Not an outcome: a resubscription to one of the sender's groups never lifts an unsubscription
      // recorded here by itself (that is the sender's decision, through the API), so it is skipped.
      return null;
    default:
      return unreachable(name, `${at}.event`);
  }
}

function eventName(value: string, at: string): SendGridEventName {
  if ((SENDGRID_EVENTS as readonly string[]).includes(value)) return value as SendGridEventName;
  throw new WebhookPayloadError(`sendgrid: ${at}.event ${JSON.stringify(value)} is not a SendGrid event`);
}

/**
 * sg_message_id is the X-Message-Id SendGrid answered when the message was sent, followed by the
 * suffix of the filter server that handled the event (".filterdrecv-p3mdw1-...-9.0"), which differs
 * from event to event: the part before the first '.' is the id stored at sending.
 */
function reference(event: BaseEvent): ReportedOutcome['reference'] {
  const token = event[MAILSIGHT_TOKEN_ARGUMENT];
  const providerMessageId = event.sg_message_id?.split('.')[0] ?? '';
  const smtpId = event['smtp-id'] ?? '';
  return {
    token: typeof token === 'string' && token !== '' ? token : null,
    providerMessageId: providerMessageId === '' ? null : providerMessageId,
    messageIdHeader: smtpId === '' ? null : stripAngles(smtpId),
  };
}

function read<T>(schema: z.ZodType<T>, value: unknown, at: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = [at, ...(issue?.path.map(String) ?? [])].join('.');
  throw new WebhookPayloadError(`sendgrid: ${path}: ${issue?.message ?? 'invalid'}`);
}

function unreachable(value: never, field: string): never {
  throw new WebhookPayloadError(`sendgrid: unexpected ${field} ${JSON.stringify(value)}`);
}
