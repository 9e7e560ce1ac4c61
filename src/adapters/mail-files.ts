/**
 * Reads mail collected elsewhere, for `mailsight ingest-mail`: single message files (.eml), folders
 * of them, mbox files (mboxrd and mboxo: messages after "From " lines) and Maildir folders (their
 * cur/ and new/ messages). Each message comes out as its raw bytes with where it was read from.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

export interface MailFile {
  /** Where it was read from: a path, or a path and the message's position in an mbox. */
  origin: string;
  raw: Buffer;
}

const MBOX_SEPARATOR = Buffer.from('From ');

export async function* readMail(target: string): AsyncGenerator<MailFile> {
  const info = await stat(target);
  if (info.isDirectory()) {
    if (await isMaildir(target)) {
      for (const sub of ['cur', 'new']) yield* readFolder(path.join(target, sub));
    } else {
      yield* readFolder(target);
    }
    return;
  }
  yield* readFileMessages(target);
}

async function isMaildir(dir: string): Promise<boolean> {
  const names = new Set(await readdir(dir));
  return names.has('cur') && names.has('new');
}

async function* readFolder(dir: string): AsyncGenerator<MailFile> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    // Hidden files are editors' and mail clients' bookkeeping, not messages.
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* readMail(full);
    else if (entry.isFile()) yield* readFileMessages(full);
  }
}

async function* readFileMessages(file: string): AsyncGenerator<MailFile> {
  const raw = await readFile(file);
  if (raw.subarray(0, MBOX_SEPARATOR.length).equals(MBOX_SEPARATOR)) {
    let index = 0;
    for (const message of splitMbox(raw)) yield { origin: `${file}#${++index}`, raw: message };
    return;
  }
  yield { origin: file, raw };
}

/**
 * The messages of an mbox: each starts after a line beginning "From " (the separator, dropped); a
 * line of the body that began with ">From " (any number of >) was quoted by the writer and loses one >.
 */
export function splitMbox(raw: Buffer): Buffer[] {
  const text = raw.toString('latin1');
  const messages: Buffer[] = [];
  let start = -1;
  let at = 0;
  while (at <= text.length) {
    const end = text.indexOf('\n', at);
    const lineEnd = end === -1 ? text.length : end;
    if (text.startsWith('From ', at)) {
      if (start !== -1) messages.push(unquote(text.slice(start, at)));
      start = end === -1 ? text.length : end + 1;
    }
    if (end === -1) break;
    at = lineEnd + 1;
  }
  if (start !== -1 && start < text.length) messages.push(unquote(text.slice(start)));
  return messages;
}

function unquote(message: string): Buffer {
  // The blank line mbox writers put before the next separator belongs to the format, not the message.
  const body = message.endsWith('\n\n') ? message.slice(0, -1) : message;
  return Buffer.from(body.replace(/^>(>*From )/gm, '$1'), 'latin1');
}
