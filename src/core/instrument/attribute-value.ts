import type { AttributeQuote } from './source-parser.js';

/** How a value was written into an attribute. */
export interface WrittenAttributeValue {
  /** The value as it appears between the quotes (or bare, when unquoted). */
  readonly value: string;
  /** What goes into the source: `value`, plus quotes when they had to be added. */
  readonly markup: string;
}

/** Characters that end or corrupt an unquoted attribute value (HTML §13.1.2.3). */
const NEEDS_QUOTES = /[\t\n\f\r "'=<>`]/;
/** Characters that any of the three quotings would escape or quote. */
const NEEDS_ESCAPING = /[&\t\n\f\r "'=<>`]/;

/**
 * Writes a value into an attribute delimited by `quote`, escaping only what
 * that delimiter requires plus `&`, so that no entity is formed by accident.
 * An unquoted value that cannot stay unquoted is wrapped in double quotes.
 */
export function writeAttributeValue(value: string, quote: AttributeQuote): WrittenAttributeValue {
  // Tracking URLs are URL-safe, so this is the common case, once per link per message.
  if (value !== '' && !NEEDS_ESCAPING.test(value)) return { value, markup: value };
  const ampersands = value.replace(/&/g, '&amp;');
  if (quote === "'") {
    const escaped = ampersands.replace(/'/g, '&#39;');
    return { value: escaped, markup: escaped };
  }
  if (quote === null && ampersands !== '' && !NEEDS_QUOTES.test(ampersands)) {
    return { value: ampersands, markup: ampersands };
  }
  const escaped = ampersands.replace(/"/g, '&quot;');
  return { value: escaped, markup: quote === null ? `"${escaped}"` : escaped };
}
