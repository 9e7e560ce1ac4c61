/**
 * The API's JSON body parser: strict UTF-8, well-formed Unicode, a bounded nesting depth, no
 * prototype keys. Every refusal is a VALIDATION error naming the body and what is wrong.
 */
import { MailsightError } from '../../core/errors.js';

/**
 * Deepest nesting of arrays and objects accepted. The API's own shapes go 4 deep
 * (`to[0].attributes.x`); free JSON (attributes, detail) gets room to 64, far beyond any real
 * record, while storing it (JSON.stringify) and walking it stay far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64;

// Without `fatal`, undecodable bytes would become U+FFFD and be stored as if sent.
const utf8 = new TextDecoder('utf-8', { fatal: true });

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const LOW_U = 0x75;

const isHighSurrogate = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/** Text in which a `__proto__` or `constructor` key may stand (any key with a \\u escape may be one). */
const MAY_HOLD_PROTOTYPE_KEYS = /__proto__|constructor|\\u/;

const refuse = (what: string) => new MailsightError('VALIDATION', `body: ${what}`);

/** Parses an API request body, refusing what JSON.parse would take but the API must not. */
export function parseJsonBody(raw: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(raw);
  } catch {
    throw refuse('not valid UTF-8: send JSON encoded as UTF-8');
  }
  if (text.trim() === '') throw refuse('empty: send a JSON object');
  checkStructure(text);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw refuse(`not valid JSON: ${(error as Error).message}`);
  }
  // The walk is needed only when such a key can be there: spelled out, or hidden in a \u escape.
  if (MAY_HOLD_PROTOTYPE_KEYS.test(text)) checkKeys(value);
  return value;
}

/**
 * One pass over the text, before JSON.parse builds anything: nesting depth, and escaped lone
 * surrogates (`"\ud800"`), which would parse into strings no UTF-8 can store. Unescaped ones cannot
 * occur: the strict decoder refuses encoded surrogates. Malformed JSON is left to JSON.parse.
 */
function checkStructure(text: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > MAX_JSON_DEPTH) throw refuse(`nested deeper than ${MAX_JSON_DEPTH} levels (at character ${i})`);
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      depth--;
    } else if (c === QUOTE) {
      i = endOfString(text, i + 1);
    }
  }
}

/** The index of the closing quote of the string starting at `start` (or the end of the text). */
function endOfString(text: string, start: number): number {
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i;
    if (c !== BACKSLASH) continue;
    if (text.charCodeAt(i + 1) !== LOW_U) {
      i++;
      continue;
    }
    const unit = Number.parseInt(text.slice(i + 2, i + 6), 16);
    if (isHighSurrogate(unit) && text.charCodeAt(i + 6) === BACKSLASH && text.charCodeAt(i + 7) === LOW_U && isLowSurrogate(Number.parseInt(text.slice(i + 8, i + 12), 16))) {
      i += 11;
    } else if (isHighSurrogate(unit) || isLowSurrogate(unit)) {
      throw refuse(`lone surrogate ${text.slice(i, i + 6)} in a string (at character ${i}): strings must be valid Unicode`);
    } else {
      i += 5;
    }
  }
  return text.length;
}

/**
 * Refuses `__proto__` keys, and `constructor` objects with a `prototype` key, anywhere: merged into
 * another object later they would change its prototype (the checks Fastify's own parser makes).
 * The depth is bounded already, so the walk's recursion is too.
 */
function checkKeys(value: unknown): void {
  if (value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) checkKeys(item);
    return;
  }
  for (const [key, inner] of Object.entries(value)) {
    if (key === '__proto__') throw refuse('key "__proto__" is not allowed');
    if (key === 'constructor' && inner !== null && typeof inner === 'object' && Object.hasOwn(inner, 'prototype')) {
      throw refuse('key "constructor" with a "prototype" is not allowed');
    }
    checkKeys(inner);
  }
}
