import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idColumn } from './id-column.js';

/**
 * The suppression list with its audit trail:
 * - `suppressions` stays the current state, one row per address, and says what caused it: the event
 *   (`event_id`, null for manual entries and imports), who (`actor`: `system`, `api-key:<id>`,
 *   `cli:<os user>`) and why (`note`);
 * - `suppression_changes` records every change to it (added, extended, removed), written in the
 *   transaction that makes the change; entries from before it get one `added` row each;
 * - reasons take their names from core/suppression-rules.ts: `unsubscribed` becomes `unsubscribe`,
 *   `complained` `complaint`;
 * - `events_recipient` finds the sends to an address of messages to several recipients (the
 *   soft-bounce rule), on the few events that name one.
 */
export function suppressionAudit(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('suppressions').addColumn('event_id', 'bigint').execute();
      await db.schema.alterTable('suppressions').addColumn('actor', 'text').execute();
      await db.schema.alterTable('suppressions').addColumn('note', 'text').execute();
      await sql`update suppressions set reason = 'unsubscribe' where reason = 'unsubscribed'`.execute(db);
      await sql`update suppressions set reason = 'complaint' where reason = 'complained'`.execute(db);
      await sql`update suppressions set actor = 'system'`.execute(db);

      await db.schema
        .createTable('suppression_changes')
        .addColumn('id', ...idColumn(dialect))
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('note', 'text')
        .addColumn('event_id', 'bigint')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('suppression_changes_email').on('suppression_changes').columns(['email', 'id']).execute();
      await sql`insert into suppression_changes (email, action, reason, expires_at, actor, note, event_id, at)
        select email, 'added', reason, expires_at, 'system', 'recorded before the audit trail existed', null, created_at from suppressions`.execute(db);

      await db.schema.createIndex('events_recipient').on('events').columns(['recipient', 'message_id']).where(sql.ref('recipient'), 'is not', null).execute();
    },
  };
}
