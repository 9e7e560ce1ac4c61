import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idColumn } from './id-column.js';

/** Verdicts on hits (human, machine, bot, self) with their reasons, and the history of revisions. */
export function verdicts(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('events').addColumn('verdict', 'text').execute();
      await db.schema.alterTable('events').addColumn('reasons', 'text').execute();
      await db.schema.alterTable('events').addColumn('verdict_at', 'bigint').execute();
      // 1 when the contact withheld consent: the hit counts, but no IP or user agent is kept and no
      // contact view shows it.
      await db.schema.alterTable('events').addColumn('anonymous', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema
        .createTable('verdict_revisions')
        .addColumn('id', ...idColumn(dialect))
        .addColumn('event_id', 'bigint', (c) => c.notNull().references('events.id'))
        .addColumn('previous_verdict', 'text')
        .addColumn('previous_reasons', 'text')
        .addColumn('verdict', 'text', (c) => c.notNull())
        .addColumn('reasons', 'text', (c) => c.notNull())
        .addColumn('at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('verdict_revisions_event').on('verdict_revisions').column('event_id').execute();
    },
  };
}
