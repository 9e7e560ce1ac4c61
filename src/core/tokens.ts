/**
 * Tracking tokens: compact, URL-safe, authenticated references to a message (and, for clicks,
 * to one link occurrence). Verification needs only the in-memory keyring, never the database.
 *
 * Layout (bytes, then base64url without padding):
 *   version 2 (signed today):
 *   [2<<4 | kind] [key id varint] [masked message id, 6 bytes] [ordinal varint, clicks only] [MAC]
 *   MAC = HMAC-SHA256(key, DOMAIN_v2 || the same bytes with the message id unmasked), truncated
 *   version 1 (mail sent before version 2; still verified):
 *   [1<<4 | kind] [key id varint] [message id varint] [ordinal varint, clicks only] [MAC]
 *   MAC = HMAC-SHA256(key, DOMAIN_v1 || payload), truncated
 *
 * Version 1 carries the message id as it is: ids are sequential, so anyone holding two tokens could
 * tell how many messages were sent between them. Version 2 masks it with the MAC as IV
 * (message-id-mask.ts), under a key derived from the signing key.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { MASK_KEY_BYTES, MAX_MASKED_ID, MESSAGE_ID_BYTES, MessageIdMask, messageIdBytes } from './message-id-mask.js';

/** 12 bytes = 96 bits: forging a token takes ~2^96 tries, while keeping URLs short. */
export const MAC_BYTES = 12;
export const TOKEN_VERSIONS = [1, 2] as const;
export type TokenVersion = (typeof TOKEN_VERSIONS)[number];
const isTokenVersion = (version: number): version is TokenVersion => (TOKEN_VERSIONS as readonly number[]).includes(version);
/** The version signed now; older ones keep verifying because mail already sent carries them. */
export const CURRENT_TOKEN_VERSION: TokenVersion = 2;
/** The largest message id a token carries (version 2 has 48 bits for it). */
export const MAX_TOKEN_MESSAGE_ID = MAX_MASKED_ID;
/** Domain separation: a MAC computed for anything else (or another version) with the same key never verifies here. */
const DOMAINS: Record<TokenVersion, Buffer> = { 1: Buffer.from('mailsight/token/v1\0'), 2: Buffer.from('mailsight/token/v2\0') };
/** HKDF label of the message id mask's key, so that it shares nothing usable with the MAC. */
const MASK_KEY_INFO = 'mailsight/token/v2/message-id';
/** Longest token we bother decoding; anything longer is garbage (real ones are ~20-30 chars). */
export const MAX_TOKEN_LENGTH = 64;

/**
 * `bounce` signs a message's return path (VERP), envelope id and Message-ID (core/verp.ts): a kind of
 * its own, so that a token taken from a tracking URL never passes for a bounce address, nor the reverse.
 */
export type TokenKind = 'open' | 'click' | 'unsubscribe' | 'bounce';
const KIND_CODES: Record<TokenKind, number> = { open: 1, click: 2, unsubscribe: 3, bounce: 4 };
const KINDS_BY_CODE = new Map<number, TokenKind>(
  Object.entries(KIND_CODES).map(([kind, code]) => [code, kind as TokenKind]),
);

export interface SigningKey {
  /** Small non-negative integer carried in every token so that old keys keep verifying. */
  readonly id: number;
  readonly secret: Buffer;
}

export interface TokenClaims {
  readonly kind: TokenKind;
  readonly messageId: number;
  /** Link occurrence ordinal for click tokens (0 is the honeypot); null otherwise. */
  readonly ordinal: number | null;
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims; keyId: number }
  | { ok: false; reason: 'malformed' | 'unknown-key' | 'bad-signature' };

/** The set of keys in force: the newest signs, all of them verify (rotation). */
export class Keyring {
  readonly #byId: ReadonlyMap<number, SigningKey>;
  readonly #masks: ReadonlyMap<number, MessageIdMask>;
  readonly signing: SigningKey;

  constructor(keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('a keyring needs at least one signing key');
    for (const key of keys) {
      if (!Number.isSafeInteger(key.id) || key.id < 0) throw new Error(`signing key id must be a non-negative integer, got ${key.id}`);
      if (key.secret.length < 32) throw new Error(`signing key ${key.id} is shorter than 32 bytes`);
    }
    this.#byId = new Map(keys.map((key) => [key.id, key]));
    this.#masks = new Map(keys.map((key) => [key.id, new MessageIdMask(maskKey(key.secret))]));
    this.signing = keys.reduce((newest, key) => (key.id > newest.id ? key : newest));
  }

  get(id: number): SigningKey | undefined {
    return this.#byId.get(id);
  }

  /** The message id mask of a key of this keyring (version 2 tokens). */
  mask(id: number): MessageIdMask | undefined {
    return this.#masks.get(id);
  }

  /** Whether both hold exactly the same keys. */
  sameKeys(other: Keyring): boolean {
    if (other.#byId.size !== this.#byId.size) return false;
    for (const [id, key] of this.#byId) {
      const theirs = other.#byId.get(id);
      if (!theirs || !theirs.secret.equals(key.secret)) return false;
    }
    return true;
  }
}

/**
 * Signs with the keyring's newest key, as version 2 unless told otherwise (version 1 is for tests and
 * benchmarks: what mail sent before version 2 carries). Version 2 refuses a message id beyond
 * MAX_TOKEN_MESSAGE_ID.
 */
export function signToken(keyring: Keyring, claims: TokenClaims, version: TokenVersion = CURRENT_TOKEN_VERSION): string {
  const key = keyring.signing;
  if (claims.kind === 'click' && claims.ordinal === null) throw new Error('a click token needs a link ordinal');
  const head = [(version << 4) | KIND_CODES[claims.kind], ...varint(key.id)];
  const ordinal = claims.kind === 'click' ? varint(claims.ordinal!) : [];
  if (version === 1) {
    const payload = Buffer.from([...head, ...varint(claims.messageId), ...ordinal]);
    return Buffer.concat([payload, mac(1, key.secret, payload)]).toString('base64url');
  }
  const plain = Buffer.concat([Buffer.from(head), messageIdBytes(claims.messageId), Buffer.from(ordinal)]);
  const tag = mac(2, key.secret, plain);
  keyring.mask(key.id)!.mask(claims.messageId, tag).copy(plain, head.length);
  return Buffer.concat([plain, tag]).toString('base64url');
}

export function verifyToken(keyring: Keyring, token: string, expected: TokenKind): VerifyResult {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    return { ok: false, reason: 'malformed' };
  }
  const bytes = Buffer.from(token, 'base64url');
  // Base64url decoding ignores a last character's unused bits: insist on the one canonical spelling.
  if (bytes.length <= MAC_BYTES + 1 || bytes.toString('base64url') !== token) return { ok: false, reason: 'malformed' };
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  const tag = bytes.subarray(payload.length);
  const header = payload[0]!;
  const version = header >> 4;
  if (!isTokenVersion(version) || KINDS_BY_CODE.get(header & 0x0f) !== expected) return { ok: false, reason: 'malformed' };

  const reader = { bytes: payload, offset: 1 };
  const keyId = readVarint(reader);
  const idOffset = reader.offset;
  const messageField = version === 1 ? readVarint(reader) : readFixed(reader, MESSAGE_ID_BYTES);
  const ordinal = expected === 'click' ? readVarint(reader) : null;
  if (keyId === null || messageField === null || (expected === 'click' && ordinal === null) || reader.offset !== payload.length) {
    return { ok: false, reason: 'malformed' };
  }
  const key = keyring.get(keyId);
  if (!key) return { ok: false, reason: 'unknown-key' };
  let messageId: number;
  let signed: Buffer;
  if (typeof messageField === 'number') {
    [messageId, signed] = [messageField, payload];
  } else {
    // The MAC covers the plain id: unmask with the MAC received, then check it over what came out.
    messageId = keyring.mask(keyId)!.unmask(messageField, tag);
    signed = Buffer.from(payload);
    signed.writeUIntBE(messageId, idOffset, MESSAGE_ID_BYTES);
  }
  if (!timingSafeEqual(mac(version, key.secret, signed), tag)) return { ok: false, reason: 'bad-signature' };
  return { ok: true, keyId, claims: { kind: expected, messageId, ordinal } };
}

function maskKey(secret: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), MASK_KEY_INFO, MASK_KEY_BYTES));
}

function mac(version: TokenVersion, secret: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(DOMAINS[version]).update(payload).digest().subarray(0, MAC_BYTES);
}

function readFixed(reader: { bytes: Buffer; offset: number }, length: number): Buffer | null {
  if (reader.offset + length > reader.bytes.length) return null;
  reader.offset += length;
  return reader.bytes.subarray(reader.offset - length, reader.offset);
}

/** Unsigned LEB128, limited to safe integers. */
function varint(value: number): number[] {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`token field must be a non-negative safe integer, got ${value}`);
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** 8 groups of 7 bits cover every safe integer (2^53). */
const MAX_VARINT_BYTES = 8;

function readVarint(reader: { bytes: Buffer; offset: number }): number | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const byte = reader.bytes[reader.offset];
    if (byte === undefined) return null;
    reader.offset++;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) {
      // Reject non-canonical encodings (a trailing zero group) so each value has one token.
      if (i > 0 && byte === 0) return null;
      return Number.isSafeInteger(value) ? value : null;
    }
    scale *= 0x80;
  }
  return null;
}
