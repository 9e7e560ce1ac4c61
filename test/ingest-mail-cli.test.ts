/** `mailsight ingest-mail` as a user runs it: the compiled CLI over an mbox and a Maildir, run twice. */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../src/adapters/storage/index.js';
import { systemClock } from '../src/app/ports.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/src/cli.js');
const CORPUS = path.resolve(import.meta.dirname, '..', '..', 'shared', 'corpus', 'sisimai-dev', 'eml');

describe('mailsight ingest-mail', () => {
  it('reads an mbox and a Maildir, keeps what matches no message for review, and records nothing twice', async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-ingest-'));
    try {
      const mbox = ['lhost-postfix-02.eml', 'arf-01.eml'].map((f) => `From MAILER-DAEMON Thu Dec  3 10:00:00 2026\n${readFileSync(path.join(CORPUS, f), 'latin1').replace(/^(>*From )/gm, '>$1')}\n`).join('');
      writeFileSync(path.join(dir, 'bounces.mbox'), mbox, 'latin1');
      const maildir = path.join(dir, 'Maildir');
      for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, sub), { recursive: true });
      copyFileSync(path.join(CORPUS, 'rfc3834-01.eml'), path.join(maildir, 'new', '1.host'));
      writeFileSync(path.join(maildir, 'cur', '2.host:2,S'), 'From: friend@corp.example\nSubject: lunch\n\nnot a report\n');
      const env = { ...process.env, DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'warn' };

      const first = await run(process.execPath, [CLI, 'ingest-mail', path.join(dir, 'bounces.mbox'), maildir], { env });
      expect(first.stdout).toMatch(/^4 mail read: 0 events recorded, 0 already recorded, [1-9]\d* outcomes matched no message, 1 kept apart .*, 0 unparseable and 1 not reports kept for review/);
      const again = await run(process.execPath, [CLI, 'ingest-mail', path.join(dir, 'bounces.mbox'), maildir], { env });
      expect(again.stdout).toMatch(/^4 mail read: 0 events recorded/);

      const storage = await openStorage({ dialect: 'sqlite', file: path.join(dir, 'data', 'mailsight.sqlite') }, systemClock);
      try {
        const kept = await storage.ingestion.listInbound({ limit: 100 });
        // One row per mail, however often it was read.
        expect(kept.map((r) => r.state).sort()).toEqual(['auto-reply', 'not-a-report', 'unmatched', 'unmatched']);
        expect(kept.every((r) => r.origin.startsWith('file:') && r.rawBytes !== null && r.rawBytes > 0)).toBe(true);
      } finally {
        await storage.close();
      }
      await expect(run(process.execPath, [CLI, 'ingest-mail', path.join(dir, 'missing')], { env })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/missing: .*ENOENT|no such file/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
