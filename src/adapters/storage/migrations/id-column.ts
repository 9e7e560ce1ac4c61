import { sql, type ColumnDefinitionBuilder, type Expression } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * An auto-increment primary key: the one place the two dialects differ in the schema
 * (SQLite's INTEGER PRIMARY KEY AUTOINCREMENT, PostgreSQL's bigserial).
 */
export function idColumn(dialect: Dialect): [Expression<unknown>, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return dialect === 'postgres' ? [sql`bigserial`, (c) => c.primaryKey()] : [sql`integer`, (c) => c.primaryKey().autoIncrement()];
}
