/**
 * Opens the database: an embedded SQLite file (WAL) by default, PostgreSQL when a URL is given.
 * Both go through the same Kysely schema and queries; this file is the only dialect switch.
 */
import path from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database } from './schema.js';
import { cachingStatements } from './statement-cache.js';
import { createPrivateDir, makePrivateFile, restrictIfPresent } from '../private-files.js';
import { initial } from './migrations/0001-initial.js';
import { verdicts } from './migrations/0002-verdicts.js';
import { hitWriter } from './migrations/0003-hit-writer.js';
import { eventsByType } from './migrations/0004-events-by-type.js';
import { sending } from './migrations/0005-sending.js';
import { executionPlans } from './migrations/0006-execution-plans.js';
import { sealedSigningKeys } from './migrations/0007-sealed-signing-keys.js';
import { eventRecipients } from './migrations/0008-event-recipients.js';
import { sendQueue } from './migrations/0009-send-queue.js';
import { suppressionAudit } from './migrations/0010-suppression-audit.js';
import { inbound } from './migrations/0011-inbound.js';
import { reportCounters } from './migrations/0012-report-counters.js';
import { drillDown } from './migrations/0013-drill-down.js';
import { usersAndAccess } from './migrations/0014-users-and-access.js';
import { outgoingWebhooks } from './migrations/0015-outgoing-webhooks.js';

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
    if (target.file !== ':memory:') makePrivateDatabaseFiles(target.file);
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

/**
 * The database's directory is created owner-only, and the database file is owner-only before SQLite
 * opens it: SQLite creates the -wal and -shm files, whenever it creates them, with the database
 * file's mode. Those left by a version that did not restrict them are restricted here too.
 */
function makePrivateDatabaseFiles(file: string): void {
  createPrivateDir(path.dirname(path.resolve(file)));
  makePrivateFile(file);
  for (const suffix of ['-wal', '-shm']) restrictIfPresent(file + suffix);
}

function migrator(database: OpenDatabase): Migrator {
  const provider: MigrationProvider = {
    getMigrations: async () => ({
      '0001-initial': initial(database.dialect),
      '0002-verdicts': verdicts(database.dialect),
      '0003-hit-writer': hitWriter(),
      '0004-events-by-type': eventsByType(),
      '0005-sending': sending(),
      '0006-execution-plans': executionPlans(),
      '0007-sealed-signing-keys': sealedSigningKeys(),
      '0008-event-recipients': eventRecipients(),
      '0009-send-queue': sendQueue(),
      '0010-suppression-audit': suppressionAudit(database.dialect),
      '0011-inbound': inbound(database.dialect),
      '0012-report-counters': reportCounters,
      '0013-drill-down': drillDown(database.dialect),
      '0014-users-and-access': usersAndAccess(database.dialect),
      '0015-outgoing-webhooks': outgoingWebhooks(database.dialect),
    }),
  };
  return new Migrator({ db: database.db, provider });
}

export async function migrateToLatest(database: OpenDatabase): Promise<string[]> {
  return migrationsRun(await migrator(database).migrateToLatest());
}

/** Brings the schema up to the named migration and no further: tests of upgrades from an older schema. */
export async function migrateTo(database: OpenDatabase, name: string): Promise<string[]> {
  return migrationsRun(await migrator(database).migrateTo(name));
}

function migrationsRun({ error, results }: MigrationResultSet): string[] {
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
