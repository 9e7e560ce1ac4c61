/** `mailsight suppressions` in process, against a real database of every dialect. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cliActor, suppressionsCommand } from '../src/cli/suppressions.js';
import { openStorage, type Storage } from '../src/adapters/storage/index.js';
import { systemClock } from '../src/app/ports.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';

for (const dialect of await testDialects()) {
  describe(`mailsight suppressions (${dialect})`, () => {
    let database: TestDatabase;
    let env: Record<string, string>;
    let dir: string;
    let out: string[];
    let err: string[];
    let written: string;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      dir = await mkdtemp(path.join(tmpdir(), 'mailsight-suppressions-cli-'));
      // On SQLite the CLI opens DATA_DIR/mailsight.sqlite, beside the test database's file.
      env = database.config.dialect === 'sqlite' ? { DATA_DIR: path.dirname(database.config.file) } : { DATABASE_URL: database.config.url };
    });
    afterAll(async () => {
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    });
    beforeEach(() => {
      out = [];
      err = [];
      written = '';
      vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
      vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written += String(chunk);
        return true;
      });
    });
    afterEach(() => vi.restoreAllMocks());

    const run = (positionals: string[], flags: Parameters<typeof suppressionsCommand>[1] = {}) => suppressionsCommand(positionals, flags, env);
    async function withStorage<T>(f: (storage: Storage) => Promise<T>): Promise<T> {
      const storage = await openStorage(dialect === 'sqlite' ? { dialect: 'sqlite', file: path.join(env['DATA_DIR']!, 'mailsight.sqlite') } : { dialect: 'postgres', url: env['DATABASE_URL']! }, systemClock);
      try {
        return await f(storage);
      } finally {
        await storage.close();
      }
    }

    it('adds, lists and removes, audited as cli:<os user> with the note', async () => {
      const actor = cliActor();
      expect(actor).toMatch(/^cli:.+/);
      expect(await run(['add', 'Ops@Corp.example'], { note: 'asked by mail', days: '30' })).toBe(0);
      expect(out[0]).toMatch(new RegExp(`^ops@corp\\.example suppressed \\(manual, until \\d{4}-.*\\): added by ${actor}$`));
      expect(await run(['add', 'perm@corp.example'], { reason: 'complaint' })).toBe(0);
      expect(await run(['add', 'perm@corp.example'], { expires: '2099-01-01' })).toBe(0);
      expect(out[2]).toBe('perm@corp.example is already suppressed (complaint, permanent): unchanged');

      out = [];
      expect(await run(['list'])).toBe(0);
      expect(out.map((l) => l.split('\t').slice(0, 2))).toEqual([
        ['ops@corp.example', 'manual'],
        ['perm@corp.example', 'complaint'],
      ]);
      out = [];
      expect(await run(['list'], { limit: '1', json: true })).toBe(0);
      expect(JSON.parse(out[0]!)).toMatchObject({ suppressions: [{ email: 'ops@corp.example', actor, note: 'asked by mail' }], next: 'ops@corp.example' });

      expect(await run(['remove', 'ops@corp.example'], { note: 'resolved' })).toBe(0);
      const history = await withStorage((s) => s.suppressions.history('ops@corp.example'));
      expect(history.map((c) => [c.action, c.actor, c.note])).toEqual([
        ['added', actor, 'asked by mail'],
        ['removed', actor, 'resolved'],
      ]);
      await expect(run(['remove', 'ops@corp.example'])).rejects.toThrow('suppression of ops@corp.example does not exist');
      await expect(run(['add', 'not-an-address'])).rejects.toThrow('email: not an email address: "not-an-address"');
    });

    it('imports a file all or nothing and exports it back', async () => {
      const file = path.join(dir, `in-${dialect}.csv`);
      await writeFile(file, 'email,reason,expires_at,note\nnew1@csv.example,manual,,\nbroken,manual,,\n');
      await expect(run(['import', file])).rejects.toThrow('CSV line 3: email: not an email address: "broken"');
      expect(await withStorage((s) => s.suppressions.get('new1@csv.example'))).toBeNull();

      await writeFile(file, 'email,reason,expires_at,note\nnew1@csv.example,manual,,"=cmd|\' /C calc\'!A0"\nnew2@csv.example,hard-bounce,2099-06-01,\n');
      expect(await run(['import', file])).toBe(0);
      expect(out).toEqual([`imported 2 rows from ${file}: 2 added, 0 extended, 0 unchanged (a longer entry was in force)`]);

      expect(await run(['export'])).toBe(0);
      expect(written).toContain(`new1@csv.example,manual,,'=cmd|' /C calc'!A0\r\n`);
      const target = path.join(dir, `out-${dialect}.csv`);
      expect(await run(['export', target], { all: true })).toBe(0);
      const all = await readFile(target, 'utf8');
      expect(all.split('\r\n')[0]).toBe('email,reason,expires_at,note,state,source,actor,event_id,created_at');
      expect(all).toContain('\r\nnew2@csv.example,hard-bounce,2099-06-01T00:00:00.000Z,,active,import,');
    });

    it('refuses usage errors with exit code 2', async () => {
      expect(await run([])).toBe(2);
      expect(await run(['frobnicate'])).toBe(2);
      expect(await run(['add'])).toBe(2);
      expect(await run(['list'], { state: 'gone' })).toBe(2);
      expect(await run(['add', 'a@b.example'], { days: 'ten' })).toBe(2);
      expect(await run(['add', 'a@b.example'], { expires: 'soon' })).toBe(2);
      expect(err.at(-1)).toMatch(/--expires: expected an ISO 8601 date/);
    });
  });
}
