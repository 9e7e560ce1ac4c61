/**
 * The message id inside a version 2 token, encrypted so that it can be neither read nor incremented:
 * consecutive ids give unrelated bytes, and so do two tokens of the same message.
 *
 * As in SIV (RFC 5297), the token's MAC, computed over the plain id, is the IV: the id (6 bytes,
 * big-endian) is XORed with the first 6 bytes of AES-256(key, MAC). Verification unmasks with the MAC
 * it received, then checks that MAC over the id it found, so a changed id or MAC fails the check. Two
 * tokens share a mask only if their 96-bit MACs collide. One AES block costs about 1 us; a keyed
 * permutation of the id alone (a Feistel network) would need 8 such blocks for small-domain security
 * (docs/benchmarks.md, "Tokens").
 */
import { createCipheriv, type Cipher } from 'node:crypto';

/** Width of the id field: 2^48 ids (281 trillion) outlast any sender, in 6 bytes of token. */
export const MESSAGE_ID_BYTES = 6;
export const MAX_MASKED_ID = 2 ** (MESSAGE_ID_BYTES * 8) - 1;
export const MASK_KEY_BYTES = 32;
const AES_BLOCK_BYTES = 16;

/** The id as MESSAGE_ID_BYTES big-endian bytes, unmasked; an id beyond MAX_MASKED_ID is refused. */
export function messageIdBytes(id: number): Buffer {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_MASKED_ID) {
    throw new RangeError(`message id ${id} is outside what a token carries: 0 to ${MAX_MASKED_ID} (2^48 - 1)`);
  }
  const out = Buffer.alloc(MESSAGE_ID_BYTES);
  out.writeUIntBE(id, 0, MESSAGE_ID_BYTES);
  return out;
}

export class MessageIdMask {
  /**
   * AES in ECB mode without padding encrypts each 16-byte block on its own, so one cipher object serves
   * every call (creating one costs more than the encryption itself).
   */
  readonly #aes: Cipher;
  readonly #block = Buffer.alloc(AES_BLOCK_BYTES);

  constructor(key: Buffer) {
    if (key.length !== MASK_KEY_BYTES) throw new Error(`a message id mask key is ${MASK_KEY_BYTES} bytes, got ${key.length}`);
    this.#aes = createCipheriv('aes-256-ecb', key, null);
    this.#aes.setAutoPadding(false);
  }

  /** The id from 0 to MAX_MASKED_ID as 6 bytes, masked under `iv` (the token's MAC). */
  mask(id: number, iv: Buffer): Buffer {
    return this.#xor(messageIdBytes(id), iv);
  }

  /** The id that `mask(id, iv)` turned into these 6 bytes. */
  unmask(masked: Buffer, iv: Buffer): number {
    if (masked.length !== MESSAGE_ID_BYTES) throw new Error(`a masked message id is ${MESSAGE_ID_BYTES} bytes, got ${masked.length}`);
    return this.#xor(Buffer.from(masked), iv).readUIntBE(0, MESSAGE_ID_BYTES);
  }

  /** XORs `bytes` in place with AES(key, iv padded with zeros). */
  #xor(bytes: Buffer, iv: Buffer): Buffer {
    if (iv.length > AES_BLOCK_BYTES) throw new Error(`a mask IV is at most ${AES_BLOCK_BYTES} bytes, got ${iv.length}`);
    this.#block.fill(0);
    iv.copy(this.#block);
    const stream = this.#aes.update(this.#block);
    for (let i = 0; i < bytes.length; i++) bytes[i]! ^= stream[i]!;
    return bytes;
  }
}
