/**
 * A light MIME reader for bounce and complaint mail: headers, multipart bodies, transfer encodings,
 * charsets, nested messages. It reads what a bounce parser needs and no more (no attachments as
 * files, no address-list grammar), synchronously, and never throws: a message it cannot read gives
 * an `unparseable` result that says why.
 */
import { headerValue, isFieldLine, parseHeaderLines, parseParameterized, type HeaderBlock } from './header-block.js';
import { decodeBase64, decodeCharset, decodeHeaderValue, decodeQuotedPrintable } from './text-decoding.js';

/** Nesting deeper than this (multiparts in messages in multiparts...) is not read: real reports nest 3 or 4 deep. */
const MAX_DEPTH = 12;
/** Parts past this count are not read: a report has a handful; this bounds the work on hostile input. */
const MAX_PARTS = 500;

export interface MimeEntity {
  readonly header: HeaderBlock;
  /** Lower-cased media type, "text/plain" when none is given (RFC 2045 5.2). */
  readonly contentType: string;
  readonly params: Readonly<Record<string, string>>;
  /** The decoded text of a leaf part (transfer encoding and charset undone); "" for multiparts and messages. */
  readonly text: string;
  /** Children of a multipart. */
  readonly parts: readonly MimeEntity[];
  /** The message inside a message/rfc822 (or message/global) part, or the header of a text/rfc822-headers part. */
  readonly message: MimeEntity | null;
}

export type MimeReadResult = { ok: true; entity: MimeEntity } | { ok: false; reason: string };

interface ReadState {
  parts: number;
}

/** Reads a raw message. A Buffer is read byte for byte; a string is taken as already decoded text. */
export function readMime(raw: Buffer | string): MimeReadResult {
  try {
    const binary = typeof raw === 'string' ? toBinary(raw) : raw.toString('latin1');
    const text = binary.includes('\r') ? binary.replace(/\r\n?/g, '\n') : binary;
    if (text.trim() === '') return { ok: false, reason: 'empty message' };
    const start = skipMboxLine(text);
    const firstLine = text.slice(start, text.indexOf('\n', start) >>> 0);
    if (!isFieldLine(firstLine)) return { ok: false, reason: 'no header: the message does not start with a header field' };
    return { ok: true, entity: readEntity(text.slice(start), 0, { parts: 0 }) };
  } catch (error) {
    return { ok: false, reason: `unreadable message: ${(error as Error).message}` };
  }
}

/** A string that is only latin1 is taken byte for byte; one with wider characters is re-encoded as UTF-8. */
function toBinary(raw: string): string {
  for (let i = 0; i < raw.length; i++) if (raw.charCodeAt(i) > 0xff) return Buffer.from(raw, 'utf8').toString('latin1');
  return raw;
}

/** An mbox "From " separator line before the header is skipped. */
function skipMboxLine(text: string): number {
  if (!text.startsWith('From ')) return 0;
  const end = text.indexOf('\n');
  return end < 0 ? text.length : end + 1;
}

/** Splits a part into header and body at the first blank line (the whole part is header if none). */
function splitHeader(text: string): { headerLines: string[]; body: string } {
  let end = text.startsWith('\n') ? 0 : text.indexOf('\n\n');
  let bodyStart = end + 2;
  if (end === 0) bodyStart = 1;
  if (end < 0) {
    end = text.length;
    bodyStart = text.length;
  }
  return { headerLines: text.slice(0, end).split('\n'), body: text.slice(bodyStart) };
}

function readEntity(text: string, depth: number, state: ReadState, defaultType = 'text/plain'): MimeEntity {
  state.parts++;
  const { headerLines, body } = splitHeader(text);
  const header = parseHeaderLines(headerLines);
  const contentTypeField = headerValue(header, 'content-type');
  const { value, params } = parseParameterized(contentTypeField ? decodeHeaderValue(contentTypeField) : defaultType);
  const contentType = value.includes('/') ? value : defaultType;
  const encoding = (headerValue(header, 'content-transfer-encoding') ?? '').trim().toLowerCase();
  const tooDeep = depth >= MAX_DEPTH || state.parts >= MAX_PARTS;
  const empty = { header, contentType, params, text: '', parts: [], message: null };

  if (contentType.startsWith('multipart/') && !tooDeep) {
    const boundary = params['boundary'];
    const bodies = (boundary ? splitMultipart(body, boundary) : null) ?? guessedMultipart(body);
    if (bodies) {
      const childType = contentType === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
      const parts = bodies.map((part) => readEntity(part, depth + 1, state, childType));
      return { ...empty, parts };
    }
    // No boundary, or none found: read the body as text, which keeps what the report says.
  }
  if (!contentTypeField && depth === 0 && !tooDeep) {
    // A MIME report whose header lost its Content-Type (some mbox exports): read the parts it shows.
    const bodies = guessedMultipart(body);
    if (bodies) return { ...empty, contentType: 'multipart/mixed', parts: bodies.map((part) => readEntity(part, depth + 1, state)) };
  }
  if (!isEmbeddedMessage(contentType) && contentType !== 'text/rfc822-headers') {
    // Decoded when first read: the bodies of returned messages and attachments mostly never are.
    const charset = params['charset'] ?? (contentType === 'message/global-delivery-status' ? 'utf-8' : null);
    let decodedText: string | null = null;
    return {
      header,
      contentType,
      params,
      parts: [],
      message: null,
      get text(): string {
        decodedText ??= decodeCharset(decodeTransfer(body, encoding), charset);
        return decodedText;
      },
    };
  }
  const decoded = decodeTransfer(body, encoding);
  if (isEmbeddedMessage(contentType) && !tooDeep) {
    return { ...empty, message: readEntity(decoded.replace(/^\n+/, ''), depth + 1, state) };
  }
  if (contentType === 'text/rfc822-headers' && !tooDeep) {
    const headerOnly = readEntity(decoded.replace(/^\n+/, ''), depth + 1, state);
    return { ...empty, text: decodeCharset(decoded, params['charset'] ?? null), message: headerOnly };
  }
  return { ...empty, text: decodeCharset(decoded, params['charset'] ?? null) };
}

function isEmbeddedMessage(contentType: string): boolean {
  return contentType === 'message/rfc822' || contentType === 'message/global' || contentType === 'message/partial-headers';
}

function decodeTransfer(body: string, encoding: string): string {
  if (encoding === 'base64') return decodeBase64(body);
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/**
 * The bodies between `--boundary` lines (RFC 2046 5.1.1), without the preamble and epilogue; null
 * when no delimiter line is found. A missing close delimiter (a truncated report) ends the last part
 * at the end of the text.
 */
export function splitMultipart(body: string, boundary: string): string[] | null {
  const delimiter = '--' + boundary;
  const parts: string[] = [];
  let partStart = -1;
  let position = 0;
  let preamble = '';
  while (position <= body.length) {
    const found = body.indexOf(delimiter, position);
    if (found < 0) break;
    const atLineStart = found === 0 || body.charCodeAt(found - 1) === 10;
    const lineEnd = body.indexOf('\n', found);
    const afterDelimiter = body.slice(found + delimiter.length, lineEnd < 0 ? body.length : lineEnd);
    const closing = afterDelimiter.startsWith('--');
    if (!atLineStart || !(closing || afterDelimiter.trim() === '')) {
      position = found + delimiter.length;
      continue;
    }
    if (partStart >= 0) parts.push(body.slice(partStart, Math.max(partStart, found - 1)));
    else preamble = body.slice(0, found);
    if (closing) return withPreamble(preamble, parts);
    partStart = lineEnd < 0 ? body.length : lineEnd + 1;
    position = partStart;
  }
  if (partStart < 0) return null;
  parts.push(body.slice(partStart));
  return withPreamble(preamble, parts);
}

/**
 * RFC 2046 says to ignore the preamble, but some MTAs write their whole report there and put only
 * the returned message in parts: a preamble with more than the usual "This is a multi-part message"
 * line is kept as a first, headerless (text/plain) part.
 */
function withPreamble(preamble: string, parts: string[]): string[] {
  const text = preamble.trim();
  if (text === '' || !text.includes('\n')) return parts;
  return ['\n' + preamble, ...parts];
}

/**
 * The parts of a multipart whose declared boundary never occurs (a rewritten or anonymized header):
 * the boundary is taken from the first "--" line that recurs in the body, as a delimiter would.
 */
function guessedMultipart(body: string): string[] | null {
  const candidate = /^--([^\s-][^\n]{0,69}?)\s*$/m.exec(body);
  if (!candidate) return null;
  const boundary = candidate[1]!;
  const second = body.indexOf('\n--' + boundary, candidate.index + candidate[0].length);
  return second < 0 ? null : splitMultipart(body, boundary);
}

/** Every entity of a tree, depth first, embedded messages included. */
export function* walkEntities(entity: MimeEntity): Generator<MimeEntity> {
  yield entity;
  for (const part of entity.parts) yield* walkEntities(part);
  if (entity.message) yield* walkEntities(entity.message);
}

/** A decoded header value of an entity, or null. */
export function decodedHeader(entity: MimeEntity, name: string): string | null {
  const value = headerValue(entity.header, name);
  return value === null ? null : decodeHeaderValue(value);
}
