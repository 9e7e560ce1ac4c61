/**
 * Opens the database: an embedded SQLite file (WAL) by default, PostgreSQL when a URL is given.
 * Both go through the same Kysely schema and queries; this file is the only dialect switch.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider } from 'kysely';
import type { Database } from './schema.js';
import { cachingStatements } from './statement-cache.js';
import { initial } from './migrations/0001-initial.js';
import { verdicts } from './migrations/0002-verdicts.js';
import { hitWriter } from './migrations/0003-hit-writer.js';
import { eventsByType } from './migrations/0004-events-by-type.js';
import { executionPlans } from './migrations/0006-execution-plans.js';

export type Dialect = 'sqlite' | 'postgres';

export type DatabaseTarget =
  | { dialect: 'sqlite'; file: string; synchronous?: 'FULL' | 'NORMAL' }
  | { dialect: 'postgres'; url: string; poolSize?: number };

export interface OpenDatabase {
  db: Kysely<Database>;
  dialect: Dialect;
}

/** WAL pages past which a committing connection checkpoints by itself (SQLite's default is 1000). */
const FALLBACK_AUTOCHECKPOINT_PAGES = 10_000;

const PG_INT8_OID = 20;
const PG_NUMERIC_OID = 1700;

export function openDatabase(target: DatabaseTarget): OpenDatabase {
  if (target.dialect === 'sqlite') {
    if (target.file !== ':memory:') mkdirSync(path.dirname(path.resolve(target.file)), { recursive: true });
    const sqlite = new SQLite(target.file);
    sqlite.pragma('journal_mode = WAL');
    // FULL syncs the WAL on every commit, so an acknowledged hit survives a power loss as well as a
    // crash; with group commit the cost is one sync per batch, not per hit.
    sqlite.pragma(`synchronous = ${target.synchronous ?? 'FULL'}`);
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    // Checkpoints are the checkpointer thread's work (checkpointer.ts); a connection checkpoints by
    // itself only past this many WAL pages (about 40 MB), when none runs or it falls behind.
    sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    return { dialect: 'sqlite', db: new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(sqlite) }) }) };
  }
  const pool = new pg.Pool({
    connectionString: target.url,
    max: target.poolSize ?? 10,
    // Epoch milliseconds and bigserial ids fit in a double exactly; read them as numbers.
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === PG_INT8_OID || oid === PG_NUMERIC_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
  });
  return { dialect: 'postgres', db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }) };
}

export async function migrateToLatest(database: OpenDatabase): Promise<string[]> {
  const provider: MigrationProvider = {
    getMigrations: async () => ({
      '0001-initial': initial(database.dialect),
      '0002-verdicts': verdicts(database.dialect),
      '0003-hit-writer': hitWriter(),
      '0004-events-by-type': eventsByType(),
      '0006-execution-plans': executionPlans(),
    }),
  };
  const migrator = new Migrator({ db: database.db, provider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
