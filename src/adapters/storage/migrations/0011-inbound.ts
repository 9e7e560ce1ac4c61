import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idColumn } from './id-column.js';

/**
 * What the ingestion of delivery outcomes keeps besides events:
 * - `inbound_reports`: reports that did not become events, kept for review and never dropped: mail
 *   that could not be parsed, outcomes that matched no message, authentication-failure reports and
 *   auto-replies (kept apart from bounces). `digest` makes storing the same report twice a no-op.
 * - `message_refs`: a provider's own id for a message, learned from the first report that carried
 *   it beside a reference we can resolve, so that later reports carrying only that id match too.
 * - `webhook_nonces`: one-time values of signed webhooks (Mailgun's tokens), so a captured request
 *   replayed is refused on every node; expired rows are deleted as new ones come.
 */
export function inbound(dialect: Dialect): Migration {
  const [id, primaryKey] = idColumn(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('inbound_reports')
        .addColumn('id', id, primaryKey)
        .addColumn('digest', 'text', (c) => c.notNull().unique())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('outcomes', 'text')
        .addColumn('raw', 'text')
        .execute();
      await db.schema.createIndex('inbound_reports_state').on('inbound_reports').columns(['state', 'id']).execute();

      await db.schema
        .createTable('message_refs')
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('ref', 'text', (c) => c.notNull())
        .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id'))
        .addPrimaryKeyConstraint('message_refs_pk', ['provider', 'ref'])
        .execute();

      await db.schema
        .createTable('webhook_nonces')
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('webhook_nonces_pk', ['scope', 'value'])
        .execute();
      await db.schema.createIndex('webhook_nonces_expiry').on('webhook_nonces').column('expires_at').execute();
    },
  };
}
