/**
 * Signing keys for tracking tokens (kept in the database so that every tracking node shares them)
 * and API keys for the JSON API (only a hash of the secret is stored).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Keyring } from '../core/tokens.js';
import type { ApiKeyRecord, Clock, KeyStore } from './ports.js';

const SIGNING_KEY_BYTES = 32;
/** How often a node re-reads the signing keys, so a key rotated on one node reaches the others. */
export const KEYRING_RELOAD_MS = 60_000;

export async function loadKeyring(store: KeyStore, clock: Clock): Promise<Keyring> {
  let keys = await store.signingKeys();
  if (keys.length === 0) {
    // First start: create key 1. Nodes starting together may race; the store keeps the first.
    await store.addSigningKey({ id: 1, secret: randomBytes(SIGNING_KEY_BYTES) }, clock.now());
    keys = await store.signingKeys();
  }
  return new Keyring(keys);
}

/** Adds a new signing key; it signs from the next keyring reload on, and older tokens keep working. */
export async function rotateSigningKey(store: KeyStore, clock: Clock): Promise<number> {
  const keys = await store.signingKeys();
  const id = keys.reduce((max, k) => Math.max(max, k.id), 0) + 1;
  await store.addSigningKey({ id, secret: randomBytes(SIGNING_KEY_BYTES) }, clock.now());
  return id;
}

/** A keyring that refreshes itself in the background; reads never wait for the database. */
export class LiveKeyring {
  #current: Keyring;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    initial: Keyring,
    private readonly store: KeyStore,
    private readonly clock: Clock,
  ) {
    this.#current = initial;
  }

  get current(): Keyring {
    return this.#current;
  }

  /** Reads the keys now; the current keyring is replaced only when they changed (readers cache what it verified). */
  async refresh(): Promise<void> {
    const ring = await loadKeyring(this.store, this.clock);
    if (!ring.sameKeys(this.#current)) this.#current = ring;
  }

  start(intervalMs = KEYRING_RELOAD_MS, onError: (error: unknown) => void = () => {}): void {
    this.#timer = setInterval(() => this.refresh().catch(onError), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}

const API_KEY_PREFIX = 'msk';

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Creates an API key and returns it in full; this is the only time the secret is seen. */
export async function createApiKey(store: KeyStore, clock: Clock, name: string): Promise<{ id: string; key: string }> {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const record: ApiKeyRecord = { id, name, secretHash: hashSecret(secret), createdAt: clock.now(), revokedAt: null };
  await store.addApiKey(record);
  return { id, key: `${API_KEY_PREFIX}_${id}_${secret}` };
}

/** Returns the key's record when the presented key is valid and not revoked, else null. */
export async function verifyApiKey(store: KeyStore, presented: string): Promise<ApiKeyRecord | null> {
  const match = /^msk_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(presented);
  if (!match) return null;
  const record = await store.findApiKey(match[1]!);
  if (!record || record.revokedAt !== null) return null;
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(match[2]!), 'hex');
  return timingSafeEqual(expected, actual) ? record : null;
}
