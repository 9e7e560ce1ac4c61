/**
 * better-sqlite3 as Kysely sees it, with prepared statements kept by SQL text. Kysely prepares every
 * statement it runs; preparing costs more than running a small insert, and the hot paths run the same
 * few statements over and over. The cache is bounded; a statement still being iterated is not shared.
 */
import type SQLite from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { BoundedCache } from '../../app/bounded-cache.js';

/** Distinct statements kept prepared: the application runs a few dozen. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Every transaction takes the write lock when it begins: a transaction that reads, then writes what
 * it read (a message's report counters) must not find at its first write that another connection
 * wrote in between (SQLITE_BUSY, which busy_timeout cannot wait out). Waiting at BEGIN can.
 */
const BEGIN_IMMEDIATE = 'begin immediate';

export function cachingStatements(sqlite: SQLite.Database, size = STATEMENT_CACHE_SIZE): SqliteDatabase {
  const statements = new BoundedCache<string, SQLite.Statement>(size);
  return {
    close: () => sqlite.close(),
    prepare(text: string): SqliteStatement {
      const sql = text === 'begin' ? BEGIN_IMMEDIATE : text;
      const cached = statements.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = sqlite.prepare(sql);
      if (!cached) statements.set(sql, statement);
      return statement;
    },
  };
}
