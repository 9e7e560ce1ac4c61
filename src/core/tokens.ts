/**
 * Tracking tokens: compact, URL-safe, authenticated references to a message (and, for clicks,
 * to one link occurrence). Verification needs only the in-memory keyring, never the database.
 *
 * Layout (bytes, then base64url without padding):
 *   [version<<4 | kind] [key id varint] [message id varint] [ordinal varint, clicks only] [MAC]
 * MAC = HMAC-SHA256(key, DOMAIN || payload) truncated to MAC_BYTES.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** 12 bytes = 96 bits: forging a token takes ~2^96 tries, while keeping URLs short. */
export const MAC_BYTES = 12;
const VERSION = 1;
/** Domain separation: a MAC computed for anything else with the same key never verifies here. */
const DOMAIN = Buffer.from('mailsight/token/v1\0');
/** Longest token we bother decoding; anything longer is garbage (real ones are ~20-30 chars). */
export const MAX_TOKEN_LENGTH = 64;

export type TokenKind = 'open' | 'click' | 'unsubscribe';
const KIND_CODES: Record<TokenKind, number> = { open: 1, click: 2, unsubscribe: 3 };
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
  readonly signing: SigningKey;

  constructor(keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('a keyring needs at least one signing key');
    for (const key of keys) {
      if (!Number.isSafeInteger(key.id) || key.id < 0) throw new Error(`signing key id must be a non-negative integer, got ${key.id}`);
      if (key.secret.length < 32) throw new Error(`signing key ${key.id} is shorter than 32 bytes`);
    }
    this.#byId = new Map(keys.map((key) => [key.id, key]));
    this.signing = keys.reduce((newest, key) => (key.id > newest.id ? key : newest));
  }

  get(id: number): SigningKey | undefined {
    return this.#byId.get(id);
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

export function signToken(keyring: Keyring, claims: TokenClaims): string {
  const key = keyring.signing;
  const parts = [VERSION << 4 | KIND_CODES[claims.kind], ...varint(key.id), ...varint(claims.messageId)];
  if (claims.kind === 'click') {
    if (claims.ordinal === null) throw new Error('a click token needs a link ordinal');
    parts.push(...varint(claims.ordinal));
  }
  const payload = Buffer.from(parts);
  return Buffer.concat([payload, mac(key.secret, payload)]).toString('base64url');
}

export function verifyToken(keyring: Keyring, token: string, expected: TokenKind): VerifyResult {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) {
    return { ok: false, reason: 'malformed' };
  }
  const bytes = Buffer.from(token, 'base64url');
  // Base64url decoding ignores a last character's unused bits: insist on the one canonical spelling.
  if (bytes.length <= MAC_BYTES + 1 || bytes.toString('base64url') !== token) return { ok: false, reason: 'malformed' };
  const payload = bytes.subarray(0, bytes.length - MAC_BYTES);
  const header = payload[0]!;
  if (header >> 4 !== VERSION || KINDS_BY_CODE.get(header & 0x0f) !== expected) return { ok: false, reason: 'malformed' };

  const reader = { bytes: payload, offset: 1 };
  const keyId = readVarint(reader);
  const messageId = readVarint(reader);
  const ordinal = expected === 'click' ? readVarint(reader) : null;
  if (keyId === null || messageId === null || (expected === 'click' && ordinal === null) || reader.offset !== payload.length) {
    return { ok: false, reason: 'malformed' };
  }
  const key = keyring.get(keyId);
  if (!key) return { ok: false, reason: 'unknown-key' };
  if (!timingSafeEqual(mac(key.secret, payload), bytes.subarray(payload.length))) return { ok: false, reason: 'bad-signature' };
  return { ok: true, keyId, claims: { kind: expected, messageId, ordinal } };
}

function mac(secret: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', secret).update(DOMAIN).update(payload).digest().subarray(0, MAC_BYTES);
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
