import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { openDatabase, migrateToLatest } from './database.js';

const mode = (file: string) => statSync(file).mode & 0o777;

describe('SQLite files are readable by their owner only', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates the data directory 0700 and the database, -wal and -shm 0600, also when SQLite creates them later', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'mailsight-modes-'));
    // Under the usual umask (022) files would otherwise be 0644 and directories 0755.
    const file = path.join(root, 'data', 'mailsight.sqlite');
    const database = openDatabase({ dialect: 'sqlite', file });
    await migrateToLatest(database);
    expect(mode(path.join(root, 'data'))).toBe(0o700);
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f)).toBe(0o600);
    await database.db.destroy();
    // The last connection closing removes the WAL; a connection opened without this code (as SQLite
    // opens it anywhere) creates it again with the database file's mode.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const raw = new SQLite(file);
    raw.prepare('insert into signing_keys (id, secret, created_at) values (9, ?, 0)').run('x');
    expect(existsSync(`${file}-wal`)).toBe(true);
    for (const f of [`${file}-wal`, `${file}-shm`]) expect(mode(f)).toBe(0o600);
    raw.close();
  });

  it('restricts the files of a database created before (readable by all), leaving its directory alone', async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'mailsight-modes-'));
    chmodSync(root, 0o755);
    const file = path.join(root, 'mailsight.sqlite');
    const before = new SQLite(file);
    before.pragma('journal_mode = WAL');
    before.exec('create table t (x)');
    writeFileSync(path.join(root, 'other.txt'), 'not ours');
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      chmodSync(f, 0o644);
      expect(mode(f)).toBe(0o644);
    }
    const database = openDatabase({ dialect: 'sqlite', file });
    for (const f of [file, `${file}-wal`, `${file}-shm`]) expect(mode(f)).toBe(0o600);
    expect(mode(root)).toBe(0o755);
    await database.db.destroy();
    before.close();
  });
});
