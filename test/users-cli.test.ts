/** `mailsight users` and `mailsight keys` as an operator runs them: the compiled CLI in a child process. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { verifyPassword } from '../src/app/passwords.js';

const run = promisify(execFile);
const CLI = path.resolve('dist/src/cli.js');

function cli(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  const { MAILSIGHT_PASSWORD: _, ...inherited } = process.env;
  return run(process.execPath, [CLI, ...args], { env: { ...inherited, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 });
}

describe('mailsight users and keys', () => {
  it('creates users with a given or generated password, lists, changes the password, deletes; refuses bad input by name', { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-users-cli-'));
    const env = { DATA_DIR: dir };
    const hashOf = (email: string) => {
      const db = new SQLite(path.join(dir, 'mailsight.sqlite'), { readonly: true });
      try {
        return (db.prepare('select password_hash from users where email = ?').get(email) as { password_hash: string }).password_hash;
      } finally {
        db.close();
      }
    };
    try {
      const given = await cli(['users', 'create', '--email', 'Admin@Shop.example', '--role', 'admin', '--name', 'Ada'], { ...env, MAILSIGHT_PASSWORD: 'from-the-environment' });
      expect(given.stdout).toBe('created user 1 admin@shop.example (admin)\n');
      expect(await verifyPassword('from-the-environment', hashOf('admin@shop.example'))).toBe(true);

      // No MAILSIGHT_PASSWORD and no terminal: a strong password is generated and printed once.
      const generated = await cli(['users', 'create', '--email', 'viewer@shop.example', '--role', 'viewer'], env);
      const password = /password \(shown once, keep it\): (\S+)\n$/.exec(generated.stdout)?.[1];
      expect(password).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(await verifyPassword(password!, hashOf('viewer@shop.example'))).toBe(true);

      expect((await cli(['users', 'list'], env)).stdout).toMatch(/^1\tadmin@shop\.example\tadmin\tAda\t\S+Z\n2\tviewer@shop\.example\tviewer\t\t\S+Z\n$/);
      await cli(['users', 'set-password', '--email', 'viewer@shop.example'], { ...env, MAILSIGHT_PASSWORD: 'a-new-password' });
      expect(await verifyPassword('a-new-password', hashOf('viewer@shop.example'))).toBe(true);

      await expect(cli(['users', 'create', '--email', 'x@shop.example', '--role', 'owner'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--role must be one of admin, editor, viewer/) });
      await expect(cli(['users', 'create', '--email', 'admin@shop.example', '--role', 'admin'], { ...env, MAILSIGHT_PASSWORD: 'long-enough-pw' })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/exists already/) });
      await expect(cli(['users', 'create', '--email', 'y@shop.example', '--role', 'editor'], { ...env, MAILSIGHT_PASSWORD: 'short' })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/password: at least 8 characters/) });
      await expect(cli(['users', 'delete', '--email', 'admin@shop.example'], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/last admin/) });

      expect((await cli(['users', 'delete', '--email', 'viewer@shop.example'], env)).stdout).toMatch(/^deleted user 2 viewer@shop\.example/);
      expect((await cli(['users', 'list'], env)).stdout).not.toMatch(/viewer@/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates scoped keys, lists them without their secret, revokes', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-keys-cli-'));
    const env = { DATA_DIR: dir };
    try {
      const created = await cli(['keys', 'create', '--name', 'robot', '--scope', 'ingest'], env);
      const key = created.stdout.trim();
      expect(key).toMatch(/^msk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
      const id = key.split('_')[1]!;
      const listed = (await cli(['keys', 'list'], env)).stdout;
      expect(listed).toMatch(new RegExp(`^${id}\\tingest\\trobot\\tcreated \\S+\\tlast used -\\tin force\\n$`));
      expect(listed).not.toContain(key.split('_')[2]!);
      expect((await cli(['keys', 'revoke', id], env)).stdout).toBe(`API key ${id} revoked\n`);
      expect((await cli(['keys', 'list'], env)).stdout).toMatch(/\trevoked \S+Z\n$/);
      await expect(cli(['keys', 'revoke', id], env)).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/does not exist/) });
      await expect(cli(['keys', 'create', '--scope', 'root'], env)).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--scope must be one of admin, reports, ingest/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
