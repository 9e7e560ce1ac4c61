/**
 * Reading the JSON bodies of the providers that sign nothing (Postmark, Mailjet, Brevo): the body
 * parsed without losing 64-bit ids, one event or a batch of them, typed field readers whose errors
 * name the event and the field, and the event id derived from content when a provider gives none.
 */
import { createHash } from 'node:crypto';
import { WebhookPayloadError, type ProviderName } from './provider.js';

export type JsonObject = Record<string, unknown>;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a webhook body. Integer literals beyond 2^53 (Mailjet's MessageID, Postmark's bounce ID are
 * int64) become strings of their digits instead of rounded numbers: JSON.parse would round them
 * before any reviver saw them, and Node 20's reviver has no access to the source text.
 */
export function parseJsonBody(provider: ProviderName, rawBody: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(rawBody);
  } catch {
    throw new WebhookPayloadError(`${provider} webhook: the body is not UTF-8`);
  }
  try {
    return JSON.parse(quoteUnsafeIntegers(text));
  } catch (error) {
    throw new WebhookPayloadError(`${provider} webhook: the body is not JSON (${(error as Error).message})`);
  }
}

/**
 * The text with every integer literal outside the safe range quoted. Strings are skipped whole
 * (their escapes included); other numbers are left as they are, so malformed JSON stays malformed.
 */
export function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      while (i < text.length && text.charCodeAt(i) !== QUOTE) i += text.charCodeAt(i) === BACKSLASH ? 2 : 1;
      i++;
    } else if (c === MINUS || isDigit(c)) {
      const start = i;
      i++;
      while (i < text.length && isNumberChar(text.charCodeAt(i))) i++;
      const literal = text.slice(start, i);
      if (INTEGER.test(literal) && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copied, start)}"${literal}"`;
        copied = i;
      }
    } else {
      i++;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}

const QUOTE = 34;
const BACKSLASH = 92;
const MINUS = 45;
/** A JSON integer literal (no leading zero, no fraction, no exponent). */
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** Digits, sign, `.`, `e`/`E`: what may continue a number literal. */
const isNumberChar = (c: number) => isDigit(c) || c === 43 || c === MINUS || c === 46 || c === 101 || c === 69;

/** The events of a body that is one event object or an array of them (an empty array is no events). */
export function eventObjects(provider: ProviderName, body: unknown): JsonObject[] {
  const events = Array.isArray(body) ? body : [body];
  return events.map((event, index) => {
    if (!isObject(event)) throw new WebhookPayloadError(`${provider} webhook: event ${index} is not a JSON object`);
    return event;
  });
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Typed reads of one event's fields; every error names the provider, the event's index and the field. */
export class EventFields {
  constructor(
    private readonly provider: ProviderName,
    private readonly index: number,
    readonly event: JsonObject,
  ) {}

  /** A WebhookPayloadError about a field of this event. */
  error(field: string, problem: string): WebhookPayloadError {
    return new WebhookPayloadError(`${this.provider} webhook: event ${this.index}: '${field}' ${problem}`);
  }

  has(field: string): boolean {
    return Object.hasOwn(this.event, field) && this.event[field] !== null && this.event[field] !== undefined;
  }

  /** A non-empty string (trimmed). */
  string(field: string): string {
    const value = this.optionalString(field);
    if (value === null) throw this.error(field, this.has(field) ? 'is empty' : 'is missing');
    return value;
  }

  /** A string, or null when absent, null or empty (trimmed). */
  optionalString(field: string): string | null {
    if (!this.has(field)) return null;
    const value = this.event[field];
    if (typeof value !== 'string') throw this.error(field, 'must be a string');
    const trimmed = value.trim();
    return trimmed === '' ? null : trimmed;
  }

  /** A finite number, or null when absent. */
  optionalNumber(field: string): number | null {
    if (!this.has(field)) return null;
    const value = this.event[field];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw this.error(field, 'must be a number');
    return value;
  }

  /** A boolean, or null when absent. */
  optionalBoolean(field: string): boolean | null {
    if (!this.has(field)) return null;
    const value = this.event[field];
    if (typeof value !== 'boolean') throw this.error(field, 'must be true or false');
    return value;
  }

  /** An object, or null when absent. */
  optionalObject(field: string): JsonObject | null {
    if (!this.has(field)) return null;
    const value = this.event[field];
    if (!isObject(value)) throw this.error(field, 'must be an object');
    return value;
  }

  /**
   * A non-negative integer id as its decimal digits: from a number (safe integers; larger ones were
   * quoted by parseJsonBody) or from a string of digits.
   */
  integerId(field: string): string {
    if (!this.has(field)) throw this.error(field, 'is missing');
    const value = this.event[field];
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
    if (typeof value === 'string' && /^[0-9]+$/.test(value.trim())) return value.trim();
    throw this.error(field, 'must be a non-negative integer');
  }

  /** A string that must be one of the provider's documented values. */
  oneOf<const T extends readonly string[]>(field: string, values: T): T[number] {
    const value = this.string(field);
    if (!(values as readonly string[]).includes(value)) throw this.error(field, `'${value}' is not one of ${this.provider}'s values (${values.join(', ')})`);
    return value as T[number];
  }

  /** An integer id as integerId reads it, or null when absent. */
  optionalIntegerId(field: string): string | null {
    return this.has(field) ? this.integerId(field) : null;
  }

  /** The recipient address, lower-cased; it must at least have an @. */
  recipient(field: string): string {
    const value = this.string(field).toLowerCase();
    if (!value.includes('@')) throw this.error(field, 'is not an email address');
    return value;
  }

  /** An ISO 8601 time with its offset (`Z` or `+hh:mm`) as epoch ms. */
  isoTime(field: string): number {
    const value = this.string(field);
    const at = ISO_WITH_OFFSET.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) throw this.error(field, 'must be an ISO 8601 time with its offset');
    return at;
  }

  /** A time in epoch seconds as epoch ms, or null when absent. */
  optionalEpochSeconds(field: string): number | null {
    const value = this.optionalNumber(field);
    if (value === null) return null;
    if (value <= 0) throw this.error(field, 'must be a positive time in epoch seconds');
    return Math.round(value * MS_PER_S);
  }
}

const MS_PER_S = 1000;
const ISO_WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/** The `never` check at the end of an exhaustive switch over a provider's values. */
export function unreachable(value: never): never {
  throw new Error(`unhandled provider value ${String(value)}`);
}

/**
 * An event id derived from what identifies the fact (the provider's event name, its message id, the
 * recipient, the time as the provider wrote it): the same event retried gets the same id, two facts
 * differing in any of them get different ones. 128 bits of SHA-256, hex.
 */
export function derivedEventId(provider: ProviderName, parts: readonly (string | number | null)[]): string {
  return createHash('sha256').update(JSON.stringify([provider, ...parts])).digest('hex').slice(0, DERIVED_ID_HEX_CHARS);
}

const DERIVED_ID_HEX_CHARS = 32;
