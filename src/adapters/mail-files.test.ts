import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMail, splitMbox } from './mail-files.js';

describe('mail files', () => {
  it('splits an mbox at its From lines, unquoting >From in bodies and dropping the separator blank line', () => {
    const mbox = 'From MAILER-DAEMON Thu Dec  3 10:00:00 2026\nSubject: one\n\nbody\n>From here on\n>>From there\n\nFrom x@y Thu Dec  3 10:01:00 2026\nSubject: two\n\nlast\n';
    expect(splitMbox(Buffer.from(mbox)).map((m) => m.toString())).toEqual(['Subject: one\n\nbody\nFrom here on\n>From there\n', 'Subject: two\n\nlast\n']);
  });

  it('reads single files, folders (hidden files left out), mbox files and Maildirs, in name order', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-mail-'));
    try {
      writeFileSync(path.join(dir, 'b.eml'), 'Subject: b\n\nb\n');
      writeFileSync(path.join(dir, 'a.eml'), 'Subject: a\n\na\n');
      writeFileSync(path.join(dir, '.hidden'), 'x');
      writeFileSync(path.join(dir, 'box.mbox'), 'From a Thu Dec  3 10:00:00 2026\nSubject: m1\n\n1\n\nFrom b Thu Dec  3 10:00:00 2026\nSubject: m2\n\n2\n');
      const maildir = path.join(dir, 'Maildir');
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, sub), { recursive: true });
      writeFileSync(path.join(maildir, 'new', '1.host'), 'Subject: new\n\nn\n');
      writeFileSync(path.join(maildir, 'cur', '2.host:2,S'), 'Subject: cur\n\nc\n');
      writeFileSync(path.join(maildir, 'tmp', '3.host'), 'Subject: being written\n\n');
      const read: string[] = [];
      for await (const mail of readMail(dir)) read.push(`${path.relative(dir, mail.origin)} ${/Subject: (\S+)/.exec(mail.raw.toString())![1]}`);
      expect(read).toEqual(['Maildir/cur/2.host:2,S cur', 'Maildir/new/1.host new', 'a.eml a', 'b.eml b', 'box.mbox#1 m1', 'box.mbox#2 m2']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
