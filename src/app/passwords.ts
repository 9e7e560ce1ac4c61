/**
 * Password hashing with scrypt (memory-hard: guessing costs memory as well as time, which GPUs and
 * ASICs do not make cheap). The stored text carries the parameters and the salt,
 * `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>` (base64url), so the cost can be raised later: a hash verifies
 * with the parameters it was made with, and `needsRehash` says when it should be made again.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParameters {
  /** log2 of N, the CPU/memory cost. */
  logN: number;
  r: number;
  p: number;
}

/** OWASP's scrypt minimum (N=2^17, r=8, p=1) halved in N: 32 MiB and ~50-100 ms a hash on one core. */
export const SCRYPT_PARAMETERS: Readonly<ScryptParameters> = Object.freeze({ logN: 15, r: 8, p: 1 });

const SALT_BYTES = 16;
const HASH_BYTES = 32;
/** Largest parameters a stored hash may ask for: a tampered row must not make a sign-in take gigabytes. */
const MAX_LOG_N = 20;
const MAX_R = 16;
const MAX_P = 4;

/** Longest password taken, in characters: scrypt hashes any length, but nobody types more. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 8;

function derive(password: string, salt: Buffer, { logN, r, p }: ScryptParameters): Promise<Buffer> {
  const N = 2 ** logN;
  // scrypt needs 128 * N * r bytes; Node refuses past maxmem (32 MiB by default), so it is raised to fit.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r * 2 };
  return new Promise((resolve, reject) => scrypt(password.normalize('NFC'), salt, HASH_BYTES, options, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string, parameters: ScryptParameters = SCRYPT_PARAMETERS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, parameters);
  return ['scrypt', parameters.logN, parameters.r, parameters.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

function parseHash(stored: string): { parameters: ScryptParameters; salt: Buffer; hash: Buffer } | null {
  const match = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(stored);
  if (!match) return null;
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (logN < 1 || logN > MAX_LOG_N || r < 1 || r > MAX_R || p < 1 || p > MAX_P) return null;
  return { parameters: { logN, r, p }, salt: Buffer.from(match[4]!, 'base64url'), hash: Buffer.from(match[5]!, 'base64url') };
}

/** Whether the password is the one hashed; compared in constant time. A malformed hash verifies nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || parsed.hash.length !== HASH_BYTES) return false;
  const actual = await derive(password, parsed.salt, parsed.parameters);
  return timingSafeEqual(actual, parsed.hash);
}

/** Whether the hash was made with other parameters than today's: re-hash it at the next sign-in. */
export function needsRehash(stored: string, parameters: ScryptParameters = SCRYPT_PARAMETERS): boolean {
  const parsed = parseHash(stored);
  return !parsed || parsed.parameters.logN !== parameters.logN || parsed.parameters.r !== parameters.r || parsed.parameters.p !== parameters.p;
}

let decoy: Promise<string> | null = null;

/**
 * A hash of nothing anyone knows, made once: a sign-in for an unknown address verifies against it, so
 * that it takes as long as one for a known address and the time does not tell which addresses exist.
 */
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(SALT_BYTES).toString('base64url'));
  return decoy;
}
