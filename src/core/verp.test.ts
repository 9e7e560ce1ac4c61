import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Keyring, MAX_TOKEN_MESSAGE_ID, signToken } from './tokens.js';
import { base32, bounceAddress, bounceToken, fromBase32, messageIdHeader, readBounceAddress, readBounceToken, readMessageIdHeader } from './verp.js';

const keyA = { id: 1, secret: Buffer.alloc(32, 0xa1) };
const keyB = { id: 2, secret: Buffer.alloc(32, 0xb2) };
const ring = new Keyring([keyA]);

describe('base32', () => {
  it('round-trips any bytes, in lower case, and reads any letter case', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = base32(bytes);
        expect(text).toMatch(/^[a-z2-7]*$/);
        expect(fromBase32(text)).toEqual(Buffer.from(bytes));
        expect(fromBase32(text.toUpperCase())).toEqual(Buffer.from(bytes));
      }),
    );
  });

  it('refuses other characters and non-canonical spellings', () => {
    expect(fromBase32('mzxw6===')).toBeNull();
    expect(fromBase32('mzxw1')).toBeNull();
    // "f" is "my"; "mz" carries two bits too many set.
    expect(fromBase32('my')).toEqual(Buffer.from('f'));
    expect(fromBase32('mz')).toBeNull();
    expect(fromBase32('m')).toBeNull();
  });
});

describe('VERP bounce addresses', () => {
  it('round-trips any message id, whatever happens to the letter case on the way back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_TOKEN_MESSAGE_ID }), (messageId) => {
        const address = bounceAddress(ring, messageId, 'Bounces.Shop.Example');
        expect(address).toMatch(/^bounce\+[a-z2-7]{32}@bounces\.shop\.example$/);
        expect(readBounceAddress(ring, address)).toEqual({ messageId });
        expect(readBounceAddress(ring, address.toUpperCase())).toEqual({ messageId });
        expect(readBounceAddress(ring, `<${address}>`)).toEqual({ messageId });
      }),
    );
  });

  it('fits in a local part (64 characters at most) and is deterministic per key', () => {
    const address = bounceAddress(ring, MAX_TOKEN_MESSAGE_ID, 'b.example');
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64);
    expect(bounceAddress(ring, 42, 'b.example')).toBe(bounceAddress(ring, 42, 'b.example'));
  });

  it('keeps verifying after the signing key rotates', () => {
    const old = bounceAddress(ring, 7, 'b.example');
    const rotated = new Keyring([keyA, keyB]);
    expect(readBounceAddress(rotated, old)).toEqual({ messageId: 7 });
    expect(bounceAddress(rotated, 7, 'b.example')).not.toBe(old);
  });

  it('refuses forged, altered and foreign addresses, naming why', () => {
    const address = bounceAddress(ring, 1234, 'b.example');
    const token = address.slice('bounce+'.length, address.indexOf('@'));
    // Every single-character change is refused (a MAC, a masked id or a header byte changed).
    for (let i = 0; i < token.length; i++) {
      const changed = token.slice(0, i) + (token[i] === 'a' ? 'b' : 'a') + token.slice(i + 1);
      expect(readBounceToken(ring, changed)).toHaveProperty('problem');
    }
    expect(readBounceAddress(new Keyring([{ id: 1, secret: Buffer.alloc(32, 0x99) }]), address)).toEqual({ problem: 'bounce token refused: bad-signature' });
    expect(readBounceAddress(new Keyring([keyB]), address)).toEqual({ problem: 'bounce token refused: unknown-key' });
    expect(readBounceAddress(ring, 'news@shop.example')).toHaveProperty('problem', expect.stringMatching(/not a bounce address/));
    expect(readBounceAddress(ring, 'bounce+@b.example')).toHaveProperty('problem');
    expect(readBounceAddress(ring, 'bounce+not!base32@b.example')).toEqual({ problem: 'not a bounce token: not base32' });
    expect(readBounceAddress(ring, 'no-at-sign')).toHaveProperty('problem');
    // A tracking token of another kind, spelled in base32, is not a bounce token.
    const open = base32(Buffer.from(signToken(ring, { kind: 'open', messageId: 1234, ordinal: null }), 'base64url'));
    expect(readBounceToken(ring, open)).toEqual({ problem: 'bounce token refused: malformed' });
  });
});

describe('Message-ID', () => {
  it('carries the bounce token and reads back to the message', () => {
    const header = messageIdHeader(ring, 99, 'B.Example');
    expect(header).toBe(`<${bounceToken(ring, 99)}@b.example>`);
    expect(readMessageIdHeader(ring, header)).toEqual({ messageId: 99 });
    expect(readMessageIdHeader(ring, header.toUpperCase())).toEqual({ messageId: 99 });
    expect(readMessageIdHeader(ring, '<CAF=abc@mail.gmail.com>')).toHaveProperty('problem');
  });
});
