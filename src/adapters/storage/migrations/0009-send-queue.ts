import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Sending through the relay with retries, from the database, on any number of nodes:
 * - `send_queue`: one row per message mailsight hands to the relay: its state, the attempts made, when
 *   the next one is due, and the lease of the node making one now. A lease ends by itself
 *   (`lease_until`), so a node that dies mid-hand-over leaves the message to be tried again, where the
 *   send claim of migration 0005 blocked it forever.
 * - `send_reservations`: what a message holds so that no later one repeats it: its addresses within
 *   its execution, a caller's deduplication key within its campaign.
 * - `messages.message_id_header`: the Message-ID it is sent with (unique), so bounces that quote it
 *   correlate, whoever sent the message.
 * - `campaigns.allow_duplicates`: a campaign whose executions may go to one address more than once.
 * The send claims become queue rows: sent when the message was, due again otherwise (the claim of a
 * send that never finished).
 */
export function sendQueue(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('messages').addColumn('message_id_header', 'text').execute();
      // Unique where set; several nulls (messages of before, until first rendered) are allowed on both dialects.
      await db.schema.createIndex('messages_message_id_header').unique().on('messages').column('message_id_header').execute();
      await db.schema.alterTable('campaigns').addColumn('allow_duplicates', 'integer', (c) => c.notNull().defaultTo(0)).execute();

      await db.schema
        .createTable('send_queue')
        .addColumn('message_id', 'bigint', (c) => c.primaryKey().references('messages.id'))
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('enqueued_at', 'bigint', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('lease_token', 'text')
        .addColumn('lease_until', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('send_queue_due').on('send_queue').columns(['state', 'next_attempt_at']).execute();

      await db.schema
        .createTable('send_reservations')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('send_reservations_pk', ['scope', 'key'])
        .execute();

      await sql`
        insert into send_queue (message_id, state, attempts, enqueued_at, next_attempt_at, lease_token, lease_until, updated_at)
        select c.message_id,
               case when exists (select 1 from events e where e.message_id = c.message_id and e.type = 'sent') then 'sent' else 'pending' end,
               1, c.claimed_at, c.claimed_at, null, null, c.claimed_at
        from send_claims c`.execute(db);
      await db.schema.dropTable('send_claims').execute();
    },
  };
}
