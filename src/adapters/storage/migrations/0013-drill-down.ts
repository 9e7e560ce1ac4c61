import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Indexes for the lists behind report figures and for the contacts list (storage/drill-down-queries.ts,
 * storage/contact-queries.ts):
 * - `message_facts_execution_status`: an execution's messages of one status in message id order, as
 *   0012's `message_facts_status` gives them per campaign, so each status of a list is one seek.
 * - `message_facts_*_reason`: the messages counted under one bounce or block reason, in message id
 *   order. Partial (only rows with a reason: bounces and blocks), so the facts of delivered and
 *   engaged messages, nearly all of them, pay nothing for it.
 * - `message_facts_*_flags`: the distinct flags values of a campaign (execution) by skip scan, and
 *   the messages of one value in id order: a list by a rare flag (complaints, a verdict's unsubscribes)
 *   reads its rows, not the whole campaign, and an empty one costs a few seeks.
 * - `messages_contact_campaign`: a contact's messages in one campaign, one seek: the contacts list's
 *   status columns and its test that a message is its contact's deciding one in a campaign. With
 *   `messages_contact` alone, the planner reads a campaign's every message to find a page's contacts.
 * - On PostgreSQL, `contacts_email_bytes`: addresses compared and ordered byte by byte (collate "C")
 *   whatever the database's collation, which may order text ignoring punctuation: address prefixes
 *   are a range of it, and the contacts list's pages by address follow it. SQLite compares text by
 *   bytes already, so its unique index on email serves as it is.
 */
export function drillDown(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('message_facts_execution_status').on('message_facts').columns(['execution_id', 'status', 'message_id']).execute();
      for (const scope of ['campaign', 'execution'] as const) {
        await db.schema
          .createIndex(`message_facts_${scope}_reason`)
          .on('message_facts')
          .columns([`${scope}_id`, 'status', 'reason', 'message_id'])
          .where(sql.ref('reason'), 'is not', null)
          .execute();
      }
      for (const scope of ['campaign', 'execution'] as const) {
        await db.schema.createIndex(`message_facts_${scope}_flags`).on('message_facts').columns([`${scope}_id`, 'flags', 'message_id']).execute();
      }
      await db.schema.createIndex('messages_contact_campaign').on('messages').columns(['contact_id', 'campaign_id']).execute();
      if (dialect === 'postgres') await sql`create index contacts_email_bytes on contacts (email collate "C")`.execute(db);
    },
  };
}
