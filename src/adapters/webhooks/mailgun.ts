/**
 * Mailgun webhooks: one event per request, `{ signature: { timestamp, token, signature }, "event-data": {...} }`.
 *
 * authenticate: the signature block is the only thing read first (it travels in the body). The
 * signature is a hex HMAC-SHA256, keyed with the webhook signing key, of the timestamp followed by
 * the token, compared in constant time. It does NOT cover event-data, so a captured signature block
 * could carry any event: freshness (the timestamp within a window) and single use (the token claimed
 * through the NonceRegistry, on every node) are what stop a replay.
 *
 * parse: the event by `event-data.event`; the outcome's id is `event-data.id`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { BounceReason } from '../../core/outcomes/reasons.js';
import { mailgunBotFlag } from '../../core/outcomes/provider-flags.js';
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { providerBounceFacts, stripAngles } from './bounce-text.js';
import {
  MAILSIGHT_TOKEN_ARGUMENT,
  WebhookAuthError,
  WebhookPayloadError,
  type NonceRegistry,
  type ParsedWebhook,
  type WebhookProvider,
  type WebhookRequest,
} from './provider.js';

export interface MailgunWebhookSettings {
  /** The account's HTTP webhook signing key (not the API key). */
  signingKey: string;
  /** Remembers the signature tokens seen, so a replayed request is refused. */
  nonces: NonceRegistry;
}

/**
 * How far the signed timestamp may be from our clock, either way (ms). A genuine request is seconds
 * old; ten minutes covers clock skew and a slow hop. It also bounds how long a token is remembered:
 * past the window the timestamp alone refuses it.
 */
export const MAILGUN_REPLAY_WINDOW_MS = 10 * 60 * 1000;
/** The NonceRegistry scope of Mailgun's tokens. */
export const MAILGUN_NONCE_SCOPE = 'mailgun';

export const MAILGUN_EVENTS = ['accepted', 'rejected', 'delivered', 'failed', 'opened', 'clicked', 'unsubscribed', 'complained'] as const;
type MailgunEventName = (typeof MAILGUN_EVENTS)[number];

const text = z.string().min(1);
const SignatureBlock = z.object({
  signature: z.object({
    timestamp: z.union([z.string().regex(/^\d{1,12}$/), z.number().int().nonnegative()]).transform(String),
    token: text,
    signature: z.string().regex(/^[0-9a-fA-F]{64}$/),
  }),
});

export function createMailgunWebhook(settings: MailgunWebhookSettings): WebhookProvider {
  const signingKey = settings?.signingKey;
  if (typeof signingKey !== 'string' || signingKey.trim() === '') {
    throw new Error('mailgun webhook: setting signingKey is empty; a webhook without a key would accept anyone');
  }
  const nonces = settings.nonces;
  if (nonces === undefined || nonces === null) {
    throw new Error('mailgun webhook: setting nonces is missing; without it a captured request could be replayed');
  }

  return {
    name: 'mailgun',
    async authenticate(request: WebhookRequest): Promise<void> {
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        throw new WebhookAuthError('mailgun: body is not JSON');
      }
      const parsed = SignatureBlock.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new WebhookAuthError(`mailgun: ${['signature', ...(issue?.path.slice(1).map(String) ?? [])].join('.')} is missing or malformed`);
      }
      const { timestamp, token, signature } = parsed.data.signature;

      const expected = createHmac('sha256', signingKey).update(timestamp + token).digest();
      const given = Buffer.from(signature, 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new WebhookAuthError('mailgun: signature does not verify');

      const signedAt = Number(timestamp) * 1000;
      if (Math.abs(request.now - signedAt) > MAILGUN_REPLAY_WINDOW_MS) {
        throw new WebhookAuthError(`mailgun: signature.timestamp is more than ${MAILGUN_REPLAY_WINDOW_MS / 60_000} minutes from now`);
      }
      const fresh = await nonces.claim(MAILGUN_NONCE_SCOPE, token, signedAt + MAILGUN_REPLAY_WINDOW_MS, request.now);
      if (!fresh) throw new WebhookAuthError('mailgun: signature.token was already used (a replayed request)');
    },
    parse(request: WebhookRequest): ParsedWebhook {
      return { outcomes: parseMailgunEvent(request.rawBody) };
    },
  };
}

const Headers = z.looseObject({ 'message-id': z.string().optional() });
const EventData = z.object({
  event: z.string(),
  id: text,
  timestamp: z.number().nonnegative(),
  recipient: z.string().optional(),
  message: z.object({ headers: Headers.optional() }).optional(),
  'user-variables': z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).optional(),
});
type EventData = z.infer<typeof EventData>;
const DeliveryStatus = z.object({
  code: z.number().int().nullish(),
  message: z.string().nullish(),
  description: z.string().nullish(),
  'enhanced-code': z.string().nullish(),
  'attempt-no': z.number().int().nullish(),
});
const Failed = z.object({
  severity: z.enum(['permanent', 'temporary']),
  reason: z.string().nullish(),
  'delivery-status': DeliveryStatus,
});
const Delivered = z.object({ 'delivery-status': DeliveryStatus.optional() });
const Rejected = z.object({ reject: z.object({ reason: z.string().nullish(), description: z.string().nullish() }).optional() });
const ClientInfo = z.object({ 'user-agent': z.string().nullish(), bot: z.union([z.string(), z.boolean()]).nullish() });
const Opened = z.object({ ip: z.string().nullish(), 'client-info': ClientInfo.optional() });
const Clicked = Opened.extend({ url: text });

/** Mailgun's failure reasons that say more than the diagnostic; the others ("bounce", "generic"...) read it. */
const FAILURE_REASONS: Readonly<Record<string, BounceReason>> = {
  espblock: 'blocked',
  /** Retried until Mailgun gave up. */
  old: 'expired',
};

/** The outcomes of one Mailgun event. Pure. */
export function parseMailgunEvent(rawBody: Buffer): ReportedOutcome[] {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new WebhookPayloadError('mailgun: body is not JSON');
  }
  const raw = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['event-data'] : undefined;
  const event = read(EventData, raw, 'event-data');
  const name = eventName(event.event);
  const one = (fields: Pick<ReportedOutcome, 'kind'> & Partial<ReportedOutcome>, recipientRequired = true): ReportedOutcome => ({
    recipient: recipientOf(event, recipientRequired),
    at: Math.round(event.timestamp * 1000),
    reporter: 'mailgun',
    id: event.id,
    reference: reference(event),
    ...fields,
    detail: { event: name, ...(event.tags === undefined || event.tags.length === 0 ? {} : { tags: event.tags }), ...fields.detail },
  });

  switch (name) {
    case 'accepted':
      return [one({ kind: 'sent' })];
    case 'rejected': {
      // Mailgun refused the message when it was submitted (it may name no recipient).
      const reject = read(Rejected, raw, 'event-data').reject;
      const diagnostic = [reject?.reason, reject?.description].filter((part) => part !== undefined && part !== null && part !== '').join(': ');
      const bounce = { hard: false, reason: 'rejected', status: null, replyCode: null, diagnostic: diagnostic === '' ? null : diagnostic } as const;
      return [one({ kind: 'blocked', bounce }, false)];
    }
    case 'delivered': {
      const status = read(Delivered, raw, 'event-data')['delivery-status'];
      return [one({ kind: 'delivered', detail: { response: status?.message ?? null } })];
    }
    case 'failed':
      return [one(failure(read(Failed, raw, 'event-data')))];
    case 'opened':
      return [one({ kind: 'opened', ...tracking(read(Opened, raw, 'event-data')) })];
    case 'clicked': {
      const clicked = read(Clicked, raw, 'event-data');
      return [one({ kind: 'clicked', url: clicked.url, ...tracking(clicked) })];
    }
    case 'unsubscribed':
      return [one({ kind: 'unsubscribed' })];
    case 'complained':
      return [one({ kind: 'complained', feedbackType: 'complained' })];
    default:
      return unreachable(name, 'event-data.event');
  }
}

/** failed: suppressed (never sent), temporary (Mailgun retries: deferred) or permanent (bounced). */
function failure(failed: z.infer<typeof Failed>): Pick<ReportedOutcome, 'kind' | 'bounce' | 'detail'> {
  const status = failed['delivery-status'];
  const diagnostic = status.message || status.description || null;
  const reason = failed.reason ?? null;
  const detail = { severity: failed.severity, reason, attempt: status['attempt-no'] ?? null };
  // suppress-bounce, suppress-unsubscribe, suppress-complaint: the address is on one of Mailgun's lists.
  if (reason !== null && reason.startsWith('suppress-')) {
    return { kind: 'blocked', bounce: { hard: false, reason: 'suppressed', status: null, replyCode: null, diagnostic }, detail };
  }
  const permanent = failed.severity === 'permanent';
  const classified = reason === null ? null : (FAILURE_REASONS[reason] ?? null);
  const bounce = providerBounceFacts(permanent, classified, status['enhanced-code'] ?? null, diagnostic, status.code ?? null);
  return { kind: permanent ? 'bounced' : 'deferred', bounce, detail };
}

/**
 * Opens and clicks alike: Mailgun's client-info.bot names the kind of machine ("apple", "gmail",
 * "generic"), empty when it saw a person; a bot is also the outcome's flag (core/outcomes/provider-flags.ts).
 */
function tracking(event: z.infer<typeof Opened>): Pick<ReportedOutcome, 'machine' | 'userAgent' | 'ip' | 'flag'> {
  const bot = event['client-info']?.bot;
  const machine = bot === undefined || bot === null ? null : typeof bot === 'boolean' ? bot : bot !== '';
  const flag = mailgunBotFlag(bot);
  return { machine, userAgent: event['client-info']?.['user-agent'] ?? null, ip: event.ip ?? null, ...(flag === null ? {} : { flag }) };
}

function eventName(value: string): MailgunEventName {
  if ((MAILGUN_EVENTS as readonly string[]).includes(value)) return value as MailgunEventName;
  throw new WebhookPayloadError(`mailgun: event-data.event ${JSON.stringify(value)} is not a Mailgun event`);
}

function recipientOf(event: EventData, required: boolean): string | null {
  const recipient = event.recipient?.trim().toLowerCase() ?? '';
  if (recipient !== '') return recipient;
  if (required) throw new WebhookPayloadError(`mailgun: event-data.recipient is missing for a ${event.event} event`);
  return null;
}

/** Mailgun's message id is the Message-ID header it set: both the provider's id and the header. */
function reference(event: EventData): ReportedOutcome['reference'] {
  const messageId = event.message?.headers?.['message-id'];
  const header = messageId === undefined || messageId.trim() === '' ? null : stripAngles(messageId);
  const token = event['user-variables']?.[MAILSIGHT_TOKEN_ARGUMENT];
  return { token: typeof token === 'string' && token !== '' ? token : null, providerMessageId: header, messageIdHeader: header };
}

function read<T>(schema: z.ZodType<T>, value: unknown, root: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new WebhookPayloadError(`mailgun: ${[root, ...(issue?.path.map(String) ?? [])].join('.')}: ${issue?.message ?? 'invalid'}`);
}

function unreachable(value: never, field: string): never {
  throw new WebhookPayloadError(`mailgun: unexpected ${field} ${JSON.stringify(value)}`);
}
