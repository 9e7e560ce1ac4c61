import { sql, type Kysely, type Migration } from 'kysely';

/**
 * What makes creating and sending a message safe to retry and to race:
 * - `messages.consent`: whether every recipient allowed tracking, decided once when the message is
 *   created (before, a message to several recipients had no contact and its hits counted as consented).
 * - `send_claims`: one row per message handed to the relay, inserted before the relay is called, so
 *   two concurrent sends (on one node or several) hand it over once.
 * - `idempotency_keys`: the message a request with an `Idempotency-Key` created, per API key.
 */
export function sending(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('messages').addColumn('consent', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // A message with a contact takes its contact's consent. One without a contact went to several
      // recipients whose stated consent the API did not keep: unknown, so its hits stay anonymous.
      await sql`update messages set consent = (select c.consent from contacts c where c.id = messages.contact_id) where contact_id is not null`.execute(db);

      await db.schema
        .createTable('send_claims')
        .addColumn('message_id', 'bigint', (c) => c.primaryKey().references('messages.id'))
        .addColumn('claimed_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('api_key_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        // Null only inside the transaction that creates the message.
        .addColumn('message_id', 'bigint', (c) => c.references('messages.id'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['api_key_id', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_created').on('idempotency_keys').column('created_at').execute();
    },
  };
}
