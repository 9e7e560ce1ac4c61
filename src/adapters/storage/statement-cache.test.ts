import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachingStatements } from './statement-cache.js';

describe('cachingStatements', () => {
  let sqlite: SQLite.Database;
  let prepared: string[];

  beforeEach(() => {
    sqlite = new SQLite(':memory:');
    sqlite.exec('create table t (n integer)');
    sqlite.exec('insert into t values (1), (2), (3)');
    prepared = [];
    const prepare = sqlite.prepare.bind(sqlite);
    sqlite.prepare = ((sql: string) => {
      prepared.push(sql);
      return prepare(sql);
    }) as typeof sqlite.prepare;
  });
  afterEach(() => sqlite.close());

  it('prepares a statement once and runs it again with new parameters', () => {
    const db = cachingStatements(sqlite);
    const select = 'select n from t where n >= ? order by n';
    expect(db.prepare(select).all([2])).toEqual([{ n: 2 }, { n: 3 }]);
    expect(db.prepare(select).all([3])).toEqual([{ n: 3 }]);
    expect(prepared).toEqual([select]);
  });

  it('does not hand out a statement that is still being iterated', () => {
    const db = cachingStatements(sqlite);
    const select = 'select n from t order by n';
    const rows = db.prepare(select).iterate([]);
    expect(rows.next().value).toEqual({ n: 1 });
    // The same SQL while the first iteration is open gets a statement of its own.
    expect(db.prepare(select).all([])).toHaveLength(3);
    expect([...rows]).toEqual([{ n: 2 }, { n: 3 }]);
    expect(prepared).toEqual([select, select]);
  });

  it('keeps at most `size` statements, forgetting those unused for longest', () => {
    const db = cachingStatements(sqlite, 2);
    const [a, b, c] = ['select 1', 'select 2', 'select 3'];
    for (const sql of [a, b, a, c, a, b]) db.prepare(sql).all([]);
    expect(prepared).toEqual([a, b, c, b]);
  });
});
