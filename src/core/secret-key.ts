/**
 * The secret key: 32 bytes kept apart from the database (an environment variable or a file), under
 * which the signing keys are stored sealed, so that someone holding only the database (a copy, a
 * backup, read access to PostgreSQL) cannot sign or read tokens.
 *
 * Sealing is AES-256-GCM with a random 96-bit nonce, the signing key's id as associated data (a
 * sealed secret moved to another key id does not open), stored as base64(nonce || ciphertext || tag)
 * beside the fingerprint of the secret key that sealed it.
 */
import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto';

export const SECRET_KEY_BYTES = 32;
/** GCM's standard nonce size; random nonces are safe for far more than the few keys sealed here. */
export const SEAL_NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** 64 bits: enough to tell a handful of secret keys apart in a message, and no help to guess one. */
const FINGERPRINT_BYTES = 8;

/** Why the secret key cannot be used: the process refuses to start with this message. */
export class SecretKeyError extends Error {
  override name = 'SecretKeyError';
}

/** A signing key's secret as stored: sealed under the secret key whose fingerprint is `by`. */
export interface SealedSecret {
  readonly by: string;
  readonly box: string;
}

/** 32 bytes written as 64 hex digits or as base64 (or base64url); null for anything else. */
export function parseSecretKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) return null;
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === SECRET_KEY_BYTES ? bytes : null;
}

export function formatSecretKey(bytes: Buffer): string {
  return bytes.toString('base64');
}

export class SecretKey {
  /** Names the key in messages and in the database without revealing it. */
  readonly fingerprint: string;
  readonly #bytes: Buffer;

  /** `source` says where the key came from, for messages ("SECRET_KEY", "the file ..."). */
  constructor(
    bytes: Buffer,
    readonly source: string,
  ) {
    if (bytes.length !== SECRET_KEY_BYTES) throw new SecretKeyError(`${source} must be ${SECRET_KEY_BYTES} bytes, got ${bytes.length}`);
    this.#bytes = Buffer.from(bytes);
    this.fingerprint = createHmac('sha256', this.#bytes).update('mailsight/secret-key/fingerprint').digest().subarray(0, FINGERPRINT_BYTES).toString('hex');
  }

  seal(keyId: number, secret: Buffer, nonce: Buffer): SealedSecret {
    return this.sealFor(`signing-key/${keyId}`, secret, nonce);
  }

  /** The secret, or null when this key did not seal it for this key id (or it was altered). */
  open(keyId: number, sealed: SealedSecret): Buffer | null {
    return this.openFor(`signing-key/${keyId}`, sealed);
  }

  /**
   * Seals a secret for what it belongs to (`signing-key/1`, `webhook-endpoint/3`): the associated
   * data, so that a sealed secret moved to another row, or another table, does not open.
   */
  sealFor(owner: string, secret: Buffer, nonce: Buffer): SealedSecret {
    if (nonce.length !== SEAL_NONCE_BYTES) throw new Error(`a seal nonce is ${SEAL_NONCE_BYTES} bytes, got ${nonce.length}`);
    const cipher = createCipheriv('aes-256-gcm', this.#bytes, nonce).setAAD(associatedData(owner));
    const sealed = Buffer.concat([nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
    return { by: this.fingerprint, box: sealed.toString('base64') };
  }

  /** The secret, or null when this key did not seal it for this owner (or it was altered). */
  openFor(owner: string, sealed: SealedSecret): Buffer | null {
    const bytes = Buffer.from(sealed.box, 'base64');
    if (bytes.length <= SEAL_NONCE_BYTES + TAG_BYTES) return null;
    const decipher = createDecipheriv('aes-256-gcm', this.#bytes, bytes.subarray(0, SEAL_NONCE_BYTES)).setAAD(associatedData(owner));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(SEAL_NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      return null;
    }
  }
}

function associatedData(owner: string): Buffer {
  return Buffer.from(`mailsight/${owner}`);
}
