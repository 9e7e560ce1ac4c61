import type { Kysely, Migration } from 'kysely';

/**
 * Delivery outcomes per recipient and per reason: `recipient` names the address a bounce, complaint
 * or block is about (a message may go to several), `reason` why it failed (the bounce taxonomy of
 * core/outcomes/reasons.ts, or a block's cause), so that reports count bounces by reason in SQL.
 */
export function eventRecipients(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('events').addColumn('recipient', 'text').execute();
      await db.schema.alterTable('events').addColumn('reason', 'text').execute();
    },
  };
}
