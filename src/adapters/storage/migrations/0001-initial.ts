import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idColumn } from './id-column.js';

export function initial(dialect: Dialect): Migration {
  const [id, primaryKey] = idColumn(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('signing_keys')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();

      await db.schema
        .createTable('contacts')
        .addColumn('id', id, primaryKey)
        .addColumn('email', 'text', (c) => c.notNull().unique())
        .addColumn('attributes', 'text', (c) => c.notNull())
        .addColumn('consent', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('campaigns')
        .addColumn('id', id, primaryKey)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('track_opens', 'integer', (c) => c.notNull())
        .addColumn('track_clicks', 'integer', (c) => c.notNull())
        .addColumn('tracking_base_url', 'text')
        .addColumn('honeypot', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('executions')
        .addColumn('id', id, primaryKey)
        .addColumn('campaign_id', 'bigint', (c) => c.notNull().references('campaigns.id'))
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('html', 'text')
        .addColumn('text', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('executions_campaign').on('executions').column('campaign_id').execute();

      await db.schema
        .createTable('link_occurrences')
        .addColumn('execution_id', 'bigint', (c) => c.notNull().references('executions.id'))
        .addColumn('ordinal', 'integer', (c) => c.notNull())
        .addColumn('part', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('raw', 'text', (c) => c.notNull())
        .addColumn('anchor_text', 'text', (c) => c.notNull())
        .addColumn('condition', 'text')
        .addPrimaryKeyConstraint('link_occurrences_pk', ['execution_id', 'ordinal'])
        .execute();

      await db.schema
        .createTable('messages')
        .addColumn('id', id, primaryKey)
        .addColumn('execution_id', 'bigint', (c) => c.notNull().references('executions.id'))
        .addColumn('campaign_id', 'bigint', (c) => c.notNull().references('campaigns.id'))
        .addColumn('contact_id', 'bigint', (c) => c.references('contacts.id'))
        .addColumn('recipients', 'text', (c) => c.notNull())
        .addColumn('recipient_count', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('messages_campaign').on('messages').column('campaign_id').execute();
      await db.schema.createIndex('messages_contact').on('messages').column('contact_id').execute();

      await db.schema
        .createTable('events')
        .addColumn('id', id, primaryKey)
        .addColumn('message_id', 'bigint', (c) => c.notNull().references('messages.id'))
        .addColumn('campaign_id', 'bigint', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('subtype', 'text')
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('link_ordinal', 'integer')
        .addColumn('method', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('headers', 'text')
        .addColumn('detail', 'text')
        .addColumn('dedupe_key', 'text')
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .execute();
      // Two b-trees per hit and no more: every index is paid on the tracking hot path. Reports reach
      // events through messages (messages_campaign, then events_message); only reported facts
      // carry a dedupe key, so its unique index leaves hits out.
      await db.schema.createIndex('events_message').on('events').columns(['message_id', 'at']).execute();
      await db.schema.createIndex('events_dedupe').on('events').column('dedupe_key').unique().where('dedupe_key', 'is not', null).execute();

      await db.schema
        .createTable('suppressions')
        .addColumn('email', 'text', (c) => c.primaryKey())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .execute();
    },
  };
}
