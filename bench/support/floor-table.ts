/**
 * The floor's table: what the floor server's writer thread (bench/floor-writer.ts) appends each hit
 * to, and what bench:write's floor layer measures. A SQLite file in WAL mode, one unindexed table of
 * each hit's time and token, one transaction per append.
 */
import Database from 'better-sqlite3';

export interface FloorTable {
  /** Appends the hits in one transaction (synced as `synchronous` says). */
  append(hits: readonly { at: number; token: string }[]): void;
  close(): void;
}

export function openFloorTable(file: string, synchronous: 'FULL' | 'NORMAL'): FloorTable {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('create table if not exists hits (id integer primary key, at integer not null, token text not null)');
  const insert = db.prepare('insert into hits (at, token) values (?, ?)');
  const append = db.transaction((hits: readonly { at: number; token: string }[]) => {
    for (const hit of hits) insert.run(hit.at, hit.token);
  });
  return { append: (hits) => void append(hits), close: () => db.close() };
}
