import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idColumn } from './id-column.js';

/**
 * People and what they may do (app/users.ts, adapters/http/access.ts):
 * - `users`: one row per account, its address lower-cased and unique, its role, and its password as a
 *   scrypt hash that carries its own parameters and salt. Deleting an account deletes its sessions.
 * - `sessions`: keyed by a SHA-256 of the cookie's secret, never the secret itself, so a copy of the
 *   database signs no one in; each has its CSRF token, its last use (idle expiry) and its absolute expiry.
 * - `sign_in_failures`: failed sign-ins by address and client, in the database so that every node
 *   counts the same ones; rows older than the window are pruned as new ones come.
 * - `api_keys` gets its scope (keys from before scopes could do everything: `admin`) and the time it
 *   was last used, written at most once a minute per key.
 */
export function usersAndAccess(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('users')
        .addColumn('id', ...idColumn(dialect))
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'bigint', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('sign_in_failures')
        .addColumn('id', ...idColumn(dialect))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sign_in_failures_account').on('sign_in_failures').columns(['email', 'address', 'at']).execute();
      await db.schema.createIndex('sign_in_failures_address').on('sign_in_failures').columns(['address', 'at']).execute();
      await db.schema.createIndex('sign_in_failures_at').on('sign_in_failures').column('at').execute();

      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('api_keys').addColumn('scope', 'text', (c) => c.notNull().defaultTo('admin')).execute();
      await db.schema.alterTable('api_keys').addColumn('last_used_at', 'bigint').execute();
      await sql`update api_keys set scope = 'admin'`.execute(db);
    },
  };
}
