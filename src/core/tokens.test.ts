import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Keyring, MAC_BYTES, MAX_TOKEN_MESSAGE_ID, signToken, verifyToken, type TokenClaims } from './tokens.js';

const keyA = { id: 1, secret: Buffer.alloc(32, 0xa1) };
const keyB = { id: 2, secret: Buffer.alloc(32, 0xb2) };

describe('tracking tokens', () => {
  it('round-trips open, click and unsubscribe claims', () => {
    const ring = new Keyring([keyA]);
    const cases: TokenClaims[] = [
      { kind: 'open', messageId: 1, ordinal: null },
      { kind: 'click', messageId: 123_456_789, ordinal: 17 },
      { kind: 'click', messageId: 5, ordinal: 0 },
      { kind: 'unsubscribe', messageId: MAX_TOKEN_MESSAGE_ID, ordinal: null },
    ];
    for (const claims of cases) {
      const token = signToken(ring, claims);
      expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(verifyToken(ring, token, claims.kind)).toEqual({ ok: true, keyId: 1, claims });
    }
  });

  it('carries at least 96 bits of MAC and stays short', () => {
    expect(MAC_BYTES * 8).toBeGreaterThanOrEqual(96);
    const token = signToken(new Keyring([keyA]), { kind: 'click', messageId: 9_999_999, ordinal: 42 });
    expect(token.length).toBeLessThanOrEqual(28);
  });

  it('refuses a token of another kind (an open token is not a click)', () => {
    const ring = new Keyring([keyA]);
    const open = signToken(ring, { kind: 'open', messageId: 7, ordinal: null });
    expect(verifyToken(ring, open, 'click')).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyToken(ring, open, 'unsubscribe')).toEqual({ ok: false, reason: 'malformed' });
  });

  it('signs with the newest key and still verifies tokens of older keys (rotation)', () => {
    const old = signToken(new Keyring([keyA]), { kind: 'open', messageId: 3, ordinal: null });
    const ring = new Keyring([keyA, keyB]);
    const fresh = signToken(ring, { kind: 'open', messageId: 3, ordinal: null });
    expect(verifyToken(ring, old, 'open')).toMatchObject({ ok: true, keyId: 1 });
    expect(verifyToken(ring, fresh, 'open')).toMatchObject({ ok: true, keyId: 2 });
    expect(verifyToken(new Keyring([keyA]), fresh, 'open')).toEqual({ ok: false, reason: 'unknown-key' });
  });

  it('tells whether two keyrings hold the same keys (readers cache what a keyring verified)', () => {
    expect(new Keyring([keyA, keyB]).sameKeys(new Keyring([keyB, { id: 1, secret: Buffer.alloc(32, 0xa1) }]))).toBe(true);
    expect(new Keyring([keyA, keyB]).sameKeys(new Keyring([keyA]))).toBe(false);
    expect(new Keyring([keyA]).sameKeys(new Keyring([{ id: 1, secret: Buffer.alloc(32, 0x77) }]))).toBe(false);
    expect(new Keyring([keyA]).sameKeys(new Keyring([{ id: 3, secret: keyA.secret }]))).toBe(false);
  });

  it('rejects a token signed with a foreign key of the same id', () => {
    const foreign = new Keyring([{ id: 1, secret: Buffer.alloc(32, 0x77) }]);
    const token = signToken(foreign, { kind: 'click', messageId: 3, ordinal: 1 });
    expect(verifyToken(new Keyring([keyA]), token, 'click')).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('rejects truncated, extended, empty, oversized and non-base64url tokens', () => {
    const ring = new Keyring([keyA]);
    const token = signToken(ring, { kind: 'click', messageId: 300, ordinal: 2 });
    for (const bad of [token.slice(0, -1), token.slice(0, 10), `${token}A`, '', 'x'.repeat(65), `${token.slice(0, -2)}+/`, 'é'.repeat(20)]) {
      expect(verifyToken(ring, bad, 'click').ok).toBe(false);
    }
  });

  it('any single altered character is rejected (property)', () => {
    const ring = new Keyring([keyA]);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: MAX_TOKEN_MESSAGE_ID }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.nat(),
        fc.nat(),
        (messageId, ordinal, position, replacement) => {
          const token = signToken(ring, { kind: 'click', messageId, ordinal });
          const at = position % token.length;
          const char = alphabet[replacement % alphabet.length]!;
          fc.pre(char !== token[at]);
          const altered = token.slice(0, at) + char + token.slice(at + 1);
          expect(verifyToken(ring, altered, 'click').ok).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps verifying version 1 tokens, as mail sent before version 2 carries them', () => {
    // Signed by the version 1 code itself (before version 2 existed), with key 3 = 32 bytes of 0x5c.
    const ring = new Keyring([{ id: 3, secret: Buffer.alloc(32, 0x5c) }]);
    const sent: [TokenClaims, string][] = [
      [{ kind: 'open', messageId: 1, ordinal: null }, 'EQMBwE8-jmdZdlBEYfvq'],
      [{ kind: 'click', messageId: 123_456, ordinal: 2 }, 'EgPAxAcCTGUMi4R1gjZPlkYX'],
      [{ kind: 'click', messageId: 7, ordinal: 0 }, 'EgMHANQit63ybQBb02l-fw'],
      [{ kind: 'unsubscribe', messageId: 2 ** 50, ordinal: null }, 'EwOAgICAgICAAhw8fmOXBYRoG0AUTw'],
    ];
    for (const [claims, token] of sent) {
      expect(verifyToken(ring, token, claims.kind)).toEqual({ ok: true, keyId: 3, claims });
    }
    // What is signed now is version 2, another token for the same claims.
    expect(signToken(ring, sent[0]![0])).not.toBe(sent[0]![1]);
    // Version 1 can still be signed (benchmarks, tests) and verifies the same way.
    expect(signToken(ring, sent[1]![0], 1)).toBe(sent[1]![1]);
    // A version 1 payload under version 2's header (or the reverse) is refused: the MAC covers the version.
    const v1 = Buffer.from(sent[0]![1], 'base64url');
    v1[0] = (2 << 4) | 1;
    expect(verifyToken(ring, v1.toString('base64url'), 'open').ok).toBe(false);
  });

  it('signs version 2 tokens, a few characters longer than version 1', () => {
    const ring = new Keyring([keyA]);
    const claims: TokenClaims = { kind: 'click', messageId: 1_000_000, ordinal: 3 };
    const v2 = signToken(ring, claims);
    expect(Buffer.from(v2, 'base64url')[0]! >> 4).toBe(2);
    expect(verifyToken(ring, v2, 'click')).toEqual({ ok: true, keyId: 1, claims });
    expect(v2.length).toBe(28);
    expect(signToken(ring, claims, 1).length).toBe(24);
  });

  it('round-trips every message id from 1 to 3000 and the edges of the 48-bit range', () => {
    const ring = new Keyring([keyA, keyB]);
    const ids = [...Array.from({ length: 3000 }, (_, i) => i + 1), 0, 2 ** 24 - 1, 2 ** 24, 2 ** 32, MAX_TOKEN_MESSAGE_ID - 1, MAX_TOKEN_MESSAGE_ID];
    for (const messageId of ids) {
      for (const claims of [{ kind: 'open', messageId, ordinal: null }, { kind: 'click', messageId, ordinal: messageId % 300 }] as TokenClaims[]) {
        expect(verifyToken(ring, signToken(ring, claims), claims.kind)).toEqual({ ok: true, keyId: 2, claims });
      }
    }
  });

  it('refuses to sign a message id beyond 2^48 - 1, naming the limit', () => {
    const ring = new Keyring([keyA]);
    expect(MAX_TOKEN_MESSAGE_ID).toBe(2 ** 48 - 1);
    expect(() => signToken(ring, { kind: 'open', messageId: MAX_TOKEN_MESSAGE_ID + 1, ordinal: null })).toThrow(/message id 281474976710656 is outside what a token carries: 0 to 281474976710655/);
    expect(() => signToken(ring, { kind: 'open', messageId: -1, ordinal: null })).toThrow(RangeError);
  });

  it('shows no structure in the id field of consecutive messages: neither readable nor ordered', () => {
    const ring = new Keyring([keyA]);
    // Open token, key id 1: [header] [key id] [6 id bytes] [MAC].
    const idField = (messageId: number) => Buffer.from(signToken(ring, { kind: 'open', messageId, ordinal: null }), 'base64url').subarray(2, 8);
    const fields = Array.from({ length: 2000 }, (_, i) => idField(i + 1));
    const distances = fields.slice(1).map((field, i) => bitsDiffering(field, fields[i]!));
    const mean = distances.reduce((a, b) => a + b, 0) / distances.length;
    // Unrelated 48-bit values differ in 24 bits on average; consecutive plain ids in one or two.
    expect(mean).toBeGreaterThan(22);
    expect(mean).toBeLessThan(26);
    expect(Math.min(...distances)).toBeGreaterThanOrEqual(8);
    // Larger ids are not larger values: about half the steps go up, half down.
    const ups = fields.slice(1).filter((field, i) => Buffer.compare(field, fields[i]!) > 0).length;
    expect(ups / (fields.length - 1)).toBeGreaterThan(0.45);
    expect(ups / (fields.length - 1)).toBeLessThan(0.55);
    // The same id under another key gives another value: the field means nothing without the key.
    const other = Buffer.from(signToken(new Keyring([{ id: 1, secret: Buffer.alloc(32, 0x77) }]), { kind: 'open', messageId: 1, ordinal: null }), 'base64url').subarray(2, 8);
    expect(bitsDiffering(other, fields[0]!)).toBeGreaterThan(8);
  });

  it('refuses a version 2 token whose id field was incremented', () => {
    const ring = new Keyring([keyA]);
    const bytes = Buffer.from(signToken(ring, { kind: 'click', messageId: 41, ordinal: 1 }), 'base64url');
    bytes[7] = (bytes[7]! + 1) & 0xff;
    expect(verifyToken(ring, bytes.toString('base64url'), 'click')).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('refuses weak keys', () => {
    expect(() => new Keyring([])).toThrow(/at least one/);
    expect(() => new Keyring([{ id: 1, secret: Buffer.alloc(8) }])).toThrow(/32 bytes/);
  });
});

function bitsDiffering(a: Buffer, b: Buffer): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) for (let x = a[i]! ^ b[i]!; x; x &= x - 1) bits++;
  return bits;
}
