/**
 * What every provider's webhook file implements: authenticate the request first, then a pure parser
 * from the payload to normalized outcomes (core/outcomes/reported-outcome.ts). The route
 * (POST /webhooks/<provider>) only authenticates and delegates; the ingestion use case records.
 *
 * - `authenticate` runs on the raw request before anything parses the body. It throws
 *   WebhookAuthError (answered 401, nothing written) for a missing, forged, stale or replayed request.
 * - `parse` is pure (no I/O, no clock: `now` is passed in). It throws WebhookPayloadError (answered
 *   400, nothing written) naming what was wrong: one bad event refuses the whole batch.
 */
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';

export const PROVIDERS = ['ses', 'sendgrid', 'mailgun', 'postmark', 'mailjet', 'brevo'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export interface WebhookRequest {
  /** The body exactly as received: signatures are computed over these bytes. */
  rawBody: Buffer;
  /** Header names lower-cased, as Node gives them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query string's parameters (credentials in the URL, as Postmark and Mailjet allow). */
  query: Readonly<Record<string, string>>;
  /** The client address judged as the tracking routes judge it (trusted proxies only); null when unknown. */
  clientAddress: string | null;
  /** Now, epoch ms: replay windows are judged against it. */
  now: number;
}

export interface ParsedWebhook {
  outcomes: ReportedOutcome[];
  /**
   * A subscription to confirm (Amazon SNS SubscriptionConfirmation): the route fetches this URL
   * through the HttpFetcher port once the request is authenticated. Absent for ordinary batches.
   */
  confirmSubscriptionUrl?: string;
}

export interface WebhookProvider {
  readonly name: ProviderName;
  authenticate(request: WebhookRequest): Promise<void>;
  parse(request: WebhookRequest): ParsedWebhook;
}

/** A request that is not the provider's: 401, nothing written. The message says what failed (never the secret). */
export class WebhookAuthError extends Error {
  override readonly name = 'WebhookAuthError';
}

/** An authenticated request whose payload cannot be read: 400, nothing written. The message names the field. */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';
}

/**
 * Fetches a URL's body (SNS signing certificates, subscription confirmation): a port, so tests serve
 * a local key pair and no test reaches the network. The adapter may cache.
 */
export interface HttpFetcher {
  get(url: string): Promise<string>;
}

/**
 * Remembers one-time values (Mailgun's signature tokens) so a captured request replayed later is
 * refused, on every node: the composition root backs it with the database; tests may use a Map.
 * `claim` returns false when the value was already claimed and has not expired.
 */
export interface NonceRegistry {
  claim(scope: string, value: string, expiresAt: number, now: number): Promise<boolean>;
}

/**
 * The name under which a sent message carries its mailsight token to a provider, so that the
 * provider's events name it back: an SES message tag, a SendGrid custom argument, a Mailgun
 * user variable (and an `X-Mailsight-Token` header where a provider returns headers). One name, so
 * the sending side and every parser agree.
 */
export const MAILSIGHT_TOKEN_ARGUMENT = 'mailsight_token';
export const MAILSIGHT_TOKEN_HEADER = 'X-Mailsight-Token';
