/**
 * Byte-level decoding for the MIME reader: content-transfer-encodings, charsets and RFC 2047
 * encoded-words. The reader keeps a message as a "binary string" (one char per byte, latin1), so
 * that a body is decoded with its own charset only once its part is known; these functions turn such
 * strings into text. None of them throws: bad input decodes to the best text it can.
 */

import { TextDecoder } from 'node:util';

/** One TextDecoder per charset label; null when Node does not know the label. */
const decoders = new Map<string, TextDecoder | null>();

function decoderFor(charset: string): TextDecoder | null {
  const label = charset.trim().toLowerCase();
  let decoder = decoders.get(label);
  if (decoder !== undefined) return decoder;
  try {
    decoder = new TextDecoder(label, { fatal: false });
  } catch {
    decoder = null;
  }
  decoders.set(label, decoder);
  return decoder;
}

/** Bytes of a binary string (one char per byte). */
export function binaryToBytes(binary: string): Buffer {
  return Buffer.from(binary, 'latin1');
}

/** Whether a binary string holds only 7-bit bytes, so that it is already text in any ASCII charset. */
function isAscii(binary: string): boolean {
  for (let i = 0; i < binary.length; i++) if (binary.charCodeAt(i) > 0x7e && binary.charCodeAt(i) !== 0x7f) return false;
  return true;
}

/** ISO-2022 charsets escape with ESC while staying 7-bit, so they are decoded even when ASCII-clean. */
function needsDecoding(binary: string, label: string): boolean {
  return !isAscii(binary) || (label.includes('2022') && binary.includes('\x1b'));
}

/**
 * Text of a binary string in a charset. An unknown or missing charset reads as UTF-8 when the bytes
 * are valid UTF-8, otherwise as latin1 (the bytes as they are).
 */
export function decodeCharset(binary: string, charset: string | null): string {
  const label = (charset ?? 'utf-8').toLowerCase();
  if (!needsDecoding(binary, label)) return binary;
  const decoder = decoderFor(label === 'us-ascii' || label === 'ascii' ? 'utf-8' : label);
  if (decoder) return decoder.decode(binaryToBytes(binary));
  return decoderFor('utf-8')!.decode(binaryToBytes(binary));
}

/** Base64 to a binary string; characters outside the alphabet are skipped (Node's decoder does that). */
export function decodeBase64(text: string): string {
  return Buffer.from(text, 'base64').toString('latin1');
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Quoted-printable (RFC 2045 6.7) to a binary string: `=XX` is a byte, `=` at a line end a soft break.
 * With `underscoreIsSpace`, the "Q" encoding of RFC 2047 (where `_` stands for a space).
 */
export function decodeQuotedPrintable(text: string, underscoreIsSpace = false): string {
  if (!text.includes('=') && !(underscoreIsSpace && text.includes('_'))) return text;
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 95 && underscoreIsSpace) {
      out += text.slice(start, i) + ' ';
      start = i + 1;
    } else if (c === 61) {
      const hi = hexValue(text.charCodeAt(i + 1));
      const lo = hexValue(text.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        out += text.slice(start, i) + String.fromCharCode(hi * 16 + lo);
        i += 2;
        start = i + 1;
        continue;
      }
      // A soft line break: "=" then optional blanks then the end of the line.
      let j = i + 1;
      while (text[j] === ' ' || text[j] === '\t') j++;
      if (text[j] === '\n' || text[j] === '\r' || j >= text.length) {
        if (text[j] === '\r') j++;
        if (text[j] === '\n') j++;
        out += text.slice(start, i);
        start = j;
        i = j - 1;
      }
    }
  }
  return out + text.slice(start);
}

const ENCODED_WORD = /=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=/g;
/** Blanks between two adjacent encoded-words are not part of the text (RFC 2047 6.2). */
const BETWEEN_ENCODED_WORDS = /(\?=)\s+(=\?)/g;

/** A header value with its RFC 2047 encoded-words decoded; other text is taken as UTF-8 if it is not ASCII. */
export function decodeHeaderValue(binary: string): string {
  const raw = isAscii(binary) ? binary : decodeCharset(binary, 'utf-8');
  if (!raw.includes('=?')) return raw;
  return raw.replace(BETWEEN_ENCODED_WORDS, '$1$2').replace(ENCODED_WORD, (_whole, charset: string, encoding: string, data: string) => {
    const bytes = encoding === 'b' || encoding === 'B' ? decodeBase64(data) : decodeQuotedPrintable(data, true);
    // RFC 2231 allows a language after the charset: "utf-8*en".
    return decodeCharset(bytes, charset.split('*')[0] ?? 'utf-8');
  });
}
