import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Keyring, MAC_BYTES, signToken, verifyToken, type TokenClaims } from './tokens.js';

const keyA = { id: 1, secret: Buffer.alloc(32, 0xa1) };
const keyB = { id: 2, secret: Buffer.alloc(32, 0xb2) };

describe('tracking tokens', () => {
  it('round-trips open, click and unsubscribe claims', () => {
    const ring = new Keyring([keyA]);
    const cases: TokenClaims[] = [
      { kind: 'open', messageId: 1, ordinal: null },
      { kind: 'click', messageId: 123_456_789, ordinal: 17 },
      { kind: 'click', messageId: 5, ordinal: 0 },
      { kind: 'unsubscribe', messageId: Number.MAX_SAFE_INTEGER, ordinal: null },
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
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
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

  it('refuses weak keys', () => {
    expect(() => new Keyring([])).toThrow(/at least one/);
    expect(() => new Keyring([{ id: 1, secret: Buffer.alloc(8) }])).toThrow(/32 bytes/);
  });
});
