import { describe, expect, it } from 'vitest';
import { formatSecretKey, parseSecretKey, SecretKey, SecretKeyError } from './secret-key.js';

const bytes = Buffer.alloc(32, 0x42);
const key = new SecretKey(bytes, 'SECRET_KEY');
const other = new SecretKey(Buffer.alloc(32, 0x43), 'SECRET_KEY_PREVIOUS');
const secret = Buffer.alloc(32, 0x17);
const nonce = (n: number) => Buffer.alloc(12, n);

describe('secret key', () => {
  it('reads 32 bytes written in hex, base64 or base64url, and nothing else', () => {
    const random = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 251) % 256));
    for (const text of [random.toString('hex'), random.toString('hex').toUpperCase(), formatSecretKey(random), random.toString('base64url'), ` ${formatSecretKey(random)}\n`]) {
      expect(parseSecretKey(text)?.equals(random)).toBe(true);
    }
    for (const text of ['', 'secret', random.toString('hex').slice(2), Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), `${random.toString('hex')}00`]) {
      expect(parseSecretKey(text)).toBeNull();
    }
  });

  it('seals a signing key that only it opens, and only for the same key id', () => {
    const sealed = key.seal(1, secret, nonce(1));
    expect(sealed.by).toBe(key.fingerprint);
    expect(Buffer.from(sealed.box, 'base64').includes(secret)).toBe(false);
    expect(key.open(1, sealed)?.equals(secret)).toBe(true);
    expect(other.open(1, sealed)).toBeNull();
    expect(key.open(2, sealed)).toBeNull();
    // A random nonce per seal: the same secret sealed twice looks different.
    expect(key.seal(1, secret, nonce(2)).box).not.toBe(sealed.box);
  });

  it('refuses an altered sealed secret', () => {
    const box = Buffer.from(key.seal(1, secret, nonce(1)).box, 'base64');
    box[20]! ^= 1;
    expect(key.open(1, { by: key.fingerprint, box: box.toString('base64') })).toBeNull();
    expect(key.open(1, { by: key.fingerprint, box: 'AAAA' })).toBeNull();
  });

  it('has a fingerprint of its own, stable, that does not reveal it', () => {
    expect(key.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(new SecretKey(bytes, 'again').fingerprint).toBe(key.fingerprint);
    expect(other.fingerprint).not.toBe(key.fingerprint);
    expect(bytes.toString('hex')).not.toContain(key.fingerprint);
    expect(() => new SecretKey(Buffer.alloc(16), 'SECRET_KEY')).toThrow(SecretKeyError);
  });
});
