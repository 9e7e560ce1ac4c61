/**
 * Real databases for tests, never mocks. SQLite: a fresh file in a temp dir. PostgreSQL: a fresh
 * database created on the machine's server and dropped after. When PostgreSQL cannot be reached the
 * PostgreSQL runs are skipped with a loud message, except in CI, where that is a failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';

export const PG_ADMIN_URL = process.env['MAILSIGHT_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDialect = 'sqlite' | 'postgres';

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

let pgReachable: Promise<boolean> | null = null;

export function postgresReachable(): Promise<boolean> {
  pgReachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (error) {
      const message = `PostgreSQL at ${PG_ADMIN_URL} is not reachable (${(error as Error).message})`;
      if (process.env['CI']) throw new Error(`${message}: CI must run the PostgreSQL tests`);
      console.warn(`\n*** SKIPPING POSTGRESQL TESTS: ${message} ***\n`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return pgReachable;
}

/** The dialects this run can test: always SQLite, PostgreSQL when reachable (always in CI). */
export async function testDialects(): Promise<TestDialect[]> {
  return (await postgresReachable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

export async function createTestDatabase(dialect: TestDialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-test-'));
    return {
      config: { dialect: 'sqlite', file: path.join(dir, 'test.sqlite'), synchronous: 'FULL' },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `mailsight_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    config: { dialect: 'postgres', url: url.toString() },
    drop: () => dropDatabase(name),
  };
}

/**
 * Drops a test database once its connections have closed. A pool that was just ended may still be
 * closing its sockets; forcing the drop then kills them mid-close and their clients report an
 * unhandled error, so force is the last resort.
 */
async function dropDatabase(name: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await adminQuery(`drop database if exists ${name}`);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006') throw error; // 55006: object in use
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await adminQuery(`drop database if exists ${name} with (force)`);
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
