/**
 * The authentication of providers that sign nothing (Postmark, Mailjet, Brevo): a shared secret the
 * provider sends with every request, as HTTP basic auth, a bearer token, a header or a URL query
 * parameter, compared in constant time; and, beside it, never instead of it, an optional allow list
 * of the provider's source addresses judged on the client address (already judged through trusted
 * proxies only, so a forged X-Forwarded-For cannot pass it).
 *
 * A check configured without a secret refuses to be built: a webhook that accepts anyone's events
 * would let anyone mark addresses bounced or unsubscribed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { IpParseError, parseCidr, parseIp, rangeContains, type IpRange } from '../../core/nhi/ip-address.js';
import { WebhookAuthError, type ProviderName, type WebhookRequest } from './provider.js';

/** How the provider presents the shared secret. */
export type WebhookCredentials =
  /** `Authorization: Basic base64(user:password)`; also what `https://user:password@host/...` URLs send. */
  | { readonly scheme: 'basic'; readonly user: string; readonly password: string }
  /** `Authorization: Bearer TOKEN`. */
  | { readonly scheme: 'bearer'; readonly token: string }
  /** A header of the operator's choosing carrying the secret as its whole value. */
  | { readonly scheme: 'header'; readonly header: string; readonly secret: string }
  /**
   * A query parameter of the webhook URL (`?key=SECRET`), for providers that can send nothing else.
   * The URL lands in access logs: prefer the other schemes where the provider allows them.
   */
  | { readonly scheme: 'query'; readonly parameter: string; readonly secret: string };

export interface CredentialSettings {
  readonly credentials: WebhookCredentials;
  /**
   * Source addresses or CIDR ranges the provider's requests come from (Brevo publishes
   * 1.179.112.0/20 and 172.246.240.0/20). Empty or absent: no address check.
   */
  readonly allowedSources?: readonly string[];
}

/** A webhook setting that cannot work: thrown while building, so the process refuses to start. */
export class WebhookSettingsError extends Error {
  override readonly name = 'WebhookSettingsError';

  constructor(
    /** The setting's path in the provider's settings, e.g. `credentials.password`. */
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/** Throws WebhookAuthError saying what failed (never the secret); returns when the request is the provider's. */
export type CredentialCheck = (request: WebhookRequest) => void;

/** RFC 7230 token characters: what a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 7235 `auth-scheme SP credentials`, the scheme case-insensitive. */
const AUTHORIZATION = /^(\S+)(?:\s+(\S.*?))?\s*$/;

export function createCredentialCheck(provider: ProviderName, settings: CredentialSettings): CredentialCheck {
  const present = presenter(provider, settings.credentials);
  const allowed = parseAllowList(provider, settings.allowedSources ?? []);
  return (request) => {
    present(request);
    if (allowed !== null) checkAddress(provider, allowed, request.clientAddress);
  };
}

function presenter(provider: ProviderName, credentials: WebhookCredentials): CredentialCheck {
  switch (credentials.scheme) {
    case 'basic': {
      const user = secretDigest(provider, 'credentials.user', credentials.user);
      const password = secretDigest(provider, 'credentials.password', credentials.password);
      return (request) => {
        const value = authorizationValue(provider, request, 'Basic');
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        // Both halves compared whatever the first gives, so the time says nothing about which was wrong.
        const userMatches = matches(colon === -1 ? '' : decoded.slice(0, colon), user);
        const passwordMatches = matches(colon === -1 ? '' : decoded.slice(colon + 1), password);
        if (!(userMatches && passwordMatches)) throw new WebhookAuthError(`${provider} webhook: wrong basic auth credentials`);
      };
    }
    case 'bearer': {
      const token = secretDigest(provider, 'credentials.token', credentials.token);
      return (request) => {
        if (!matches(authorizationValue(provider, request, 'Bearer'), token)) throw new WebhookAuthError(`${provider} webhook: wrong bearer token`);
      };
    }
    case 'header': {
      const header = credentials.header.toLowerCase();
      if (!HEADER_NAME.test(header)) throw new WebhookSettingsError('credentials.header', `${provider} webhook: credentials.header '${credentials.header}' is not a header name`);
      const secret = secretDigest(provider, 'credentials.secret', credentials.secret);
      return (request) => {
        const value = singleHeader(provider, request, header);
        if (value === null) throw new WebhookAuthError(`${provider} webhook: missing ${credentials.header} header`);
        if (!matches(value, secret)) throw new WebhookAuthError(`${provider} webhook: wrong secret in the ${credentials.header} header`);
      };
    }
    case 'query': {
      const parameter = credentials.parameter;
      if (parameter.length === 0) throw new WebhookSettingsError('credentials.parameter', `${provider} webhook: credentials.parameter is empty`);
      const secret = secretDigest(provider, 'credentials.secret', credentials.secret);
      return (request) => {
        const value = Object.hasOwn(request.query, parameter) ? request.query[parameter] : undefined;
        if (value === undefined || value === '') throw new WebhookAuthError(`${provider} webhook: missing '${parameter}' query parameter`);
        if (!matches(value, secret)) throw new WebhookAuthError(`${provider} webhook: wrong secret in the '${parameter}' query parameter`);
      };
    }
    default:
      return unknownScheme(credentials);
  }
}

function unknownScheme(credentials: never): never {
  throw new WebhookSettingsError('credentials.scheme', `unknown webhook credential scheme '${(credentials as { scheme: unknown }).scheme}'`);
}

/**
 * The SHA-256 of a configured secret; throws naming the setting when it is empty. Comparing digests
 * gives timingSafeEqual two inputs of equal length, so neither the secret's length nor the position
 * of the first wrong byte shows in the time taken.
 */
function secretDigest(provider: ProviderName, setting: string, value: string): Buffer {
  if (value.length === 0) {
    throw new WebhookSettingsError(setting, `${provider} webhook: ${setting} is empty; a webhook without a secret would accept anyone's events`);
  }
  return sha256(value);
}

function matches(given: string, expected: Buffer): boolean {
  return timingSafeEqual(sha256(given), expected);
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The credentials of an `Authorization: <scheme> <credentials>` header, refusing another scheme. */
function authorizationValue(provider: ProviderName, request: WebhookRequest, scheme: 'Basic' | 'Bearer'): string {
  const header = singleHeader(provider, request, 'authorization');
  if (header === null) throw new WebhookAuthError(`${provider} webhook: missing Authorization header (${scheme} expected)`);
  const parsed = AUTHORIZATION.exec(header.trim());
  if (parsed === null) throw new WebhookAuthError(`${provider} webhook: malformed Authorization header`);
  if (parsed[1]!.toLowerCase() !== scheme.toLowerCase()) {
    throw new WebhookAuthError(`${provider} webhook: Authorization uses the ${parsed[1]} scheme, ${scheme} expected`);
  }
  if (parsed[2] === undefined) throw new WebhookAuthError(`${provider} webhook: Authorization ${scheme} carries no credentials`);
  return parsed[2];
}

/** A header's value; a header sent twice is refused rather than guessed between. */
function singleHeader(provider: ProviderName, request: WebhookRequest, name: string): string | null {
  const value = request.headers[name];
  if (value === undefined) return null;
  if (Array.isArray(value)) {
    if (value.length === 1) return value[0]!;
    throw new WebhookAuthError(`${provider} webhook: the ${name} header is given ${value.length} times`);
  }
  return value as string;
}

function parseAllowList(provider: ProviderName, entries: readonly string[]): IpRange[] | null {
  if (entries.length === 0) return null;
  return entries.map((entry, index) => {
    try {
      return parseCidr(entry.trim());
    } catch (error) {
      if (!(error instanceof IpParseError)) throw error;
      throw new WebhookSettingsError(`allowedSources[${index}]`, `${provider} webhook: allowedSources[${index}]: ${error.message}`);
    }
  });
}

function checkAddress(provider: ProviderName, allowed: readonly IpRange[], clientAddress: string | null): void {
  if (clientAddress === null) throw new WebhookAuthError(`${provider} webhook: client address unknown, and only listed sources are allowed`);
  const address = parseIp(clientAddress);
  if (address === null || !allowed.some((range) => rangeContains(range, address))) {
    throw new WebhookAuthError(`${provider} webhook: client address ${clientAddress} is not in the allowed sources`);
  }
}
