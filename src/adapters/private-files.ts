/**
 * Files only their owner may read: the data directory, the SQLite database and the secret key hold
 * what must not leak to other users of the machine (hits with addresses, signing keys).
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';

/** Directories: owner may list, enter and create; nobody else anything. */
const PRIVATE_DIR_MODE = 0o700;
/** Files: owner may read and write; nobody else anything. */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates a directory (and its missing parents) owner-only. One that exists is left as it is: it may
 * be shared on purpose, and what matters is the files inside, which are owner-only themselves.
 */
export function createPrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

/** Creates the file empty when absent, and makes it owner-only whether new or not (upgrade path). */
export function makePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** Makes the file owner-only when it exists (it may vanish meanwhile: SQLite removes its WAL on close). */
export function restrictIfPresent(file: string): void {
  try {
    chmodSync(file, PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
