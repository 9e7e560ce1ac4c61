/**
 * Signing keys for tracking tokens (kept in the database so that every tracking node shares them,
 * sealed under the secret key, which is not) and API keys for the JSON API (only a hash of the
 * secret is stored).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Keyring, type SigningKey } from '../core/tokens.js';
import { SEAL_NONCE_BYTES, SecretKeyError, type SealedSecret, type SecretKey } from '../core/secret-key.js';
import { KEY_SCOPES, type ApiKeyRecord, type Clock, type KeyScope, type KeyStore, type StoredSigningKey } from './ports.js';
import { MailsightError, notFound } from '../core/errors.js';

const SIGNING_KEY_BYTES = 32;
/** How often a node re-reads the signing keys, so a key rotated on one node reaches the others. */
export const KEYRING_RELOAD_MS = 60_000;

/**
 * The secret key that seals signing keys, and while it is being rotated the one before it, which
 * still opens the keys not sealed again yet but never seals.
 */
export interface SecretKeys {
  readonly current: SecretKey;
  readonly previous: SecretKey | null;
}

/**
 * The keyring from the database: key 1 is created on first start, keys stored plain by a version
 * before sealing are sealed under the current secret key (the upgrade), and every key is opened.
 * A key that no secret key at hand opens stops the start with a SecretKeyError saying which is needed.
 */
export async function loadKeyring(store: KeyStore, secrets: SecretKeys, clock: Clock): Promise<Keyring> {
  let keys = await store.signingKeys();
  if (keys.length === 0) {
    // First start: create key 1. Nodes starting together may race; the store keeps the first.
    await store.addSigningKey(1, seal(secrets.current, 1, randomBytes(SIGNING_KEY_BYTES)), clock.now());
    keys = await store.signingKeys();
  }
  const plain = keys.filter((key) => 'plain' in key);
  if (plain.length > 0) {
    await store.resealSigningKeys(sealedUnderCurrent(plain, secrets), { onlyPlain: true });
    keys = await store.signingKeys();
  }
  return new Keyring(keys.map((key): SigningKey => ({ id: key.id, secret: openSigningKey(key, secrets) })));
}

/** Adds a new signing key; it signs from the next keyring reload on, and older tokens keep working. */
export async function rotateSigningKey(store: KeyStore, secrets: SecretKeys, clock: Clock): Promise<number> {
  const keys = await store.signingKeys();
  const id = keys.reduce((max, k) => Math.max(max, k.id), 0) + 1;
  await store.addSigningKey(id, seal(secrets.current, id, randomBytes(SIGNING_KEY_BYTES)), clock.now());
  return id;
}

/**
 * Seals every signing key under the current secret key, opening each with the current or the
 * previous one, in one transaction: after it, the previous secret key opens nothing in the database.
 */
export async function rotateSecretKey(store: KeyStore, secrets: SecretKeys): Promise<{ resealed: number; total: number }> {
  const keys = await store.signingKeys();
  const stale = keys.filter((key) => !('sealed' in key) || key.sealed.by !== secrets.current.fingerprint);
  await store.resealSigningKeys(sealedUnderCurrent(stale, secrets), { onlyPlain: false });
  return { resealed: stale.length, total: keys.length };
}

/** These stored keys opened, then sealed under the current secret key. */
function sealedUnderCurrent(keys: readonly StoredSigningKey[], secrets: SecretKeys): { id: number; sealed: SealedSecret }[] {
  return keys.map((key) => ({ id: key.id, sealed: seal(secrets.current, key.id, openSigningKey(key, secrets)) }));
}

function seal(secretKey: SecretKey, id: number, secret: Buffer): SealedSecret {
  return secretKey.seal(id, secret, randomBytes(SEAL_NONCE_BYTES));
}

/** The plain secret of a stored signing key, opened with whichever secret key sealed it. */
function openSigningKey(key: StoredSigningKey, secrets: SecretKeys): Buffer {
  if ('plain' in key) return key.plain;
  const { by } = key.sealed;
  const opener = [secrets.current, secrets.previous].find((secretKey) => secretKey?.fingerprint === by);
  if (!opener) {
    const held = [secrets.current, secrets.previous].flatMap((k) => (k ? [`${k.source} is secret key ${k.fingerprint}`] : [])).join(', ');
    throw new SecretKeyError(
      `signing key ${key.id} is sealed with secret key ${by}, which this process does not have (${held}): ` +
        'set SECRET_KEY or SECRET_KEY_FILE to the secret key the database was sealed with (nodes sharing a database share it), ' +
        'or, while rotating it, SECRET_KEY_PREVIOUS to the one before',
    );
  }
  const secret = opener.open(key.id, key.sealed);
  if (!secret) throw new SecretKeyError(`signing key ${key.id} does not open with ${opener.source} (secret key ${by}): its sealed secret was altered in the database`);
  return secret;
}

/** A keyring that refreshes itself in the background; reads never wait for the database. */
export class LiveKeyring {
  #current: Keyring;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    initial: Keyring,
    private readonly store: KeyStore,
    private readonly secrets: SecretKeys,
    private readonly clock: Clock,
  ) {
    this.#current = initial;
  }

  get current(): Keyring {
    return this.#current;
  }

  /** Reads the keys now; the current keyring is replaced only when they changed (readers cache what it verified). */
  async refresh(): Promise<void> {
    const ring = await loadKeyring(this.store, this.secrets, this.clock);
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

/** A key's last use is written at most this often: not one write per request. */
export const API_KEY_USE_RESOLUTION_MS = 60_000;

/** Creates an API key and returns it in full; this is the only time the secret is seen. */
export async function createApiKey(store: KeyStore, clock: Clock, name: string, scope: KeyScope = 'admin'): Promise<{ id: string; key: string; name: string; scope: KeyScope }> {
  if (!(KEY_SCOPES as readonly string[]).includes(scope)) throw new MailsightError('VALIDATION', `scope: must be one of ${KEY_SCOPES.join(', ')}, got '${scope}'`);
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const record: ApiKeyRecord = { id, name, secretHash: hashSecret(secret), createdAt: clock.now(), revokedAt: null, scope, lastUsedAt: null };
  await store.addApiKey(record);
  return { id, key: `${API_KEY_PREFIX}_${id}_${secret}`, name, scope };
}

/**
 * Returns the key's record when the presented key is valid and not revoked, else null. Given a clock,
 * the use is recorded (at most once a API_KEY_USE_RESOLUTION_MS per key, whichever node sees it).
 */
export async function verifyApiKey(store: KeyStore, presented: string, clock?: Clock): Promise<ApiKeyRecord | null> {
  const match = /^msk_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(presented);
  if (!match) return null;
  const record = await store.findApiKey(match[1]!);
  if (!record || record.revokedAt !== null) return null;
  const expected = Buffer.from(record.secretHash, 'hex');
  const actual = Buffer.from(hashSecret(match[2]!), 'hex');
  if (!timingSafeEqual(expected, actual)) return null;
  if (clock) {
    const now = clock.now();
    if (record.lastUsedAt === null || now - record.lastUsedAt >= API_KEY_USE_RESOLUTION_MS) await store.noteApiKeyUse(record.id, now, now - API_KEY_USE_RESOLUTION_MS);
  }
  return record;
}

/** An API key as listed: never its secret nor its hash. */
export type ApiKeySummary = Omit<ApiKeyRecord, 'secretHash'>;

export async function listApiKeys(store: KeyStore): Promise<ApiKeySummary[]> {
  return (await store.listApiKeys()).map(({ secretHash: _, ...key }) => key);
}

/** Revokes a key: it authenticates nothing from the next request on. A key unknown or revoked already: 404. */
export async function revokeApiKey(store: KeyStore, clock: Clock, id: string): Promise<void> {
  if (!(await store.revokeApiKey(id, clock.now()))) throw notFound('API key in force', id);
}
