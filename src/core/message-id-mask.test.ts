import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_MASKED_ID, MessageIdMask } from './message-id-mask.js';

const mask = new MessageIdMask(Buffer.alloc(32, 0x3c));
const iv = (n: number) => Buffer.alloc(12, n);

describe('message id mask', () => {
  it('unmasks what it masks under the same IV, over the whole 48-bit range (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MASKED_ID }), fc.uint8Array({ minLength: 12, maxLength: 12 }), (id, bytes) => {
        const tag = Buffer.from(bytes);
        expect(mask.unmask(mask.mask(id, tag), tag)).toBe(id);
      }),
      { numRuns: 2000 },
    );
    for (const id of [0, 1, 2 ** 24, MAX_MASKED_ID]) expect(mask.unmask(mask.mask(id, iv(1)), iv(1))).toBe(id);
  });

  it('gives unrelated bytes under another IV or another key, and another id under a wrong IV', () => {
    expect(mask.mask(5, iv(1)).equals(mask.mask(5, iv(2)))).toBe(false);
    expect(new MessageIdMask(Buffer.alloc(32, 0x3d)).mask(5, iv(1)).equals(mask.mask(5, iv(1)))).toBe(false);
    expect(mask.unmask(mask.mask(5, iv(1)), iv(2))).not.toBe(5);
  });

  it('refuses ids it cannot carry, and keys and IVs of the wrong size', () => {
    for (const id of [-1, 1.5, MAX_MASKED_ID + 1, Number.MAX_SAFE_INTEGER]) expect(() => mask.mask(id, iv(1))).toThrow(RangeError);
    expect(() => new MessageIdMask(Buffer.alloc(16))).toThrow(/32 bytes/);
    expect(() => mask.mask(1, Buffer.alloc(17))).toThrow(/at most 16/);
  });
});
