/**
 * The secret key file: one line, the key in base64 (the form SECRET_KEY takes too, so it can be moved
 * to the environment as it is). Created owner-only when absent, where the caller allows it.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ioErrorText } from '../core/errors.js';
import { formatSecretKey, parseSecretKey, SECRET_KEY_BYTES, SecretKeyError } from '../core/secret-key.js';
import { createPrivateDir, PRIVATE_FILE_MODE } from './private-files.js';

export function readSecretKeyFile(file: string, options: { create: boolean }): { key: Buffer; created: boolean } {
  const created = options.create && createSecretKeyFile(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new SecretKeyError(`the secret key file ${file} cannot be read (${ioErrorText(error)})`);
  }
  const key = parseSecretKey(text);
  if (!key) throw new SecretKeyError(`the secret key file ${file} does not hold a secret key: ${SECRET_KEY_BYTES} bytes in base64 or hex expected`);
  return { key, created };
}

/**
 * Writes a new random key unless the file exists (exclusive create: of two processes starting at
 * once, one writes, both read the same). Synced with its directory before anything is sealed with it:
 * a key lost to a power cut would leave the signing keys sealed for good.
 */
function createSecretKeyFile(file: string): boolean {
  const dir = path.dirname(path.resolve(file));
  createPrivateDir(dir);
  let fd: number;
  try {
    fd = openSync(file, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new SecretKeyError(`the secret key file ${file} cannot be created (${ioErrorText(error)})`);
  }
  try {
    writeSync(fd, `${formatSecretKey(randomBytes(SECRET_KEY_BYTES))}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
  return true;
}
