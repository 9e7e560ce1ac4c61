/**
 * VERP (variable envelope return path): every message leaves with its own return path,
 * `bounce+<token>@<bounce domain>`, so that a bounce, whatever its text, names the message it is about.
 * The token is a signed `bounce` token (tokens.ts: version, key id, masked message id, 96-bit MAC)
 * spelled in lower-case base32 instead of base64url. The same token is the envelope id (ENVID) of the
 * DSN request and the left part of the Message-ID, so a DSN that quotes either correlates too.
 *
 * Why base32: base64url carries information in letter case, and the local part of an address is
 * not safe with case. RFC 5321 says it is case-sensitive, but mailbox software and some MTAs fold it
 * to lower case on the way back, and a folded base64url token decodes to other bytes (its MAC fails:
 * the bounce is lost). Base32 (RFC 4648 alphabet a-z, 2-7) has one letter per value whatever its case,
 * so a folded (or upper-cased) address reads the same. It costs a few characters: 20 token bytes are
 * 32 base32 characters instead of 27, well within the 64 a local part may hold.
 */
import { signToken, verifyToken, type Keyring } from './tokens.js';

/** The local part's prefix before the token; `+` is the usual sub-address separator (Postfix, Exim, Gmail). */
export const BOUNCE_LOCAL_PREFIX = 'bounce+';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const BASE32_VALUES = new Map([...BASE32_ALPHABET].map((c, i) => [c, i]));

/** The longest token read: a version 2 bounce token is 32 characters; a larger key id adds a few. */
const MAX_BOUNCE_TOKEN_LENGTH = 48;

/** Lower-case base32 without padding (RFC 4648, section 6, letters lowered). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The bytes of a base32 text in any letter case; null when it is not the one canonical spelling of some bytes. */
export function fromBase32(text: string): Buffer | null {
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of text.toLowerCase()) {
    const value = BASE32_VALUES.get(c);
    if (value === undefined) return null;
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >> bits) & 0xff);
    }
    buffer &= (1 << bits) - 1;
  }
  // Leftover bits must be zero and fewer than a character's worth: otherwise two texts would read as the same bytes.
  if (bits >= 5 || buffer !== 0) return null;
  return Buffer.from(bytes);
}

/** The message's bounce token: signed by the keyring's newest key, lower-case base32. */
export function bounceToken(keyring: Keyring, messageId: number): string {
  return base32(Buffer.from(signToken(keyring, { kind: 'bounce', messageId, ordinal: null }), 'base64url'));
}

/** The message a bounce token names, in any letter case; a problem when it is malformed, of an unknown key or forged. */
export function readBounceToken(keyring: Keyring, token: string): { messageId: number } | { problem: string } {
  if (token.length === 0 || token.length > MAX_BOUNCE_TOKEN_LENGTH) return { problem: `not a bounce token: ${token.length} characters` };
  const bytes = fromBase32(token);
  if (!bytes) return { problem: 'not a bounce token: not base32' };
  const verified = verifyToken(keyring, bytes.toString('base64url'), 'bounce');
  if (!verified.ok) return { problem: `bounce token refused: ${verified.reason}` };
  return { messageId: verified.claims.messageId };
}

/** The return path of a message: `bounce+<token>@<domain>` (the domain lower-cased). */
export function bounceAddress(keyring: Keyring, messageId: number, domain: string): string {
  return `${BOUNCE_LOCAL_PREFIX}${bounceToken(keyring, messageId)}@${domain.toLowerCase()}`;
}

/**
 * The message a bounce address names (`bounce+<token>@<any domain>`, in any letter case, with or
 * without angle brackets). The domain is not checked here: the ingestion that received the bounce knows
 * which domains are its own.
 */
export function readBounceAddress(keyring: Keyring, address: string): { messageId: number } | { problem: string } {
  const bare = address.trim().replace(/^<(.*)>$/, '$1');
  const at = bare.lastIndexOf('@');
  if (at <= 0) return { problem: 'not an address: no local part and domain' };
  const local = bare.slice(0, at);
  if (!local.toLowerCase().startsWith(BOUNCE_LOCAL_PREFIX)) return { problem: `not a bounce address: the local part does not start with ${BOUNCE_LOCAL_PREFIX}` };
  return readBounceToken(keyring, local.slice(BOUNCE_LOCAL_PREFIX.length));
}

/** The Message-ID of a message: `<token@domain>`, the token being its bounce token. */
export function messageIdHeader(keyring: Keyring, messageId: number, domain: string): string {
  return `<${bounceToken(keyring, messageId)}@${domain.toLowerCase()}>`;
}

/** The message a Message-ID made by messageIdHeader names (as a bounce returns it in the original's headers). */
export function readMessageIdHeader(keyring: Keyring, header: string): { messageId: number } | { problem: string } {
  const match = /^\s*<?([^@<>\s]+)@[^@<>\s]+>?\s*$/.exec(header);
  if (!match) return { problem: 'not a Message-ID: expected <id@domain>' };
  return readBounceToken(keyring, match[1]!);
}
