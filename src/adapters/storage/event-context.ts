/**
 * Events with what a reader outside needs to make sense of them: their message (its execution and
 * contact), the contact's address and, for a click, the link's URL. One join for the outgoing webhooks
 * and the live feed, which select from it the columns they carry.
 */
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** `events as e` joined to `messages as m`, `contacts as c` (none for a message to several recipients) and `link_occurrences as l` (clicks). */
export function eventsInContext(db: Kysely<Database>) {
  return db
    .selectFrom('events as e')
    .innerJoin('messages as m', 'm.id', 'e.message_id')
    .leftJoin('contacts as c', 'c.id', 'm.contact_id')
    .leftJoin('link_occurrences as l', (join) => join.onRef('l.execution_id', '=', 'm.execution_id').onRef('l.ordinal', '=', 'e.link_ordinal'));
}
