import type { Kysely, Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { idColumn } from './id-column.js';

/**
 * Outgoing webhooks and the live feed:
 * - `webhook_endpoints`: URLs that receive every event, each with its signing secret sealed under the
 *   secret key, the last event id it acknowledged (`cursor`), when its next attempt is due and how many
 *   attempts in a row failed (the backoff, kept here so that it survives restarts), and the lease of
 *   the node delivering it now (one node at a time, so that its events arrive in order).
 * - `webhook_deliveries`: one row per attempt, the log shown in settings.
 * - `events_campaign_id`: the live feed of a campaign reads its events after an id; without it, each
 *   poll would walk every event after the cursor, every campaign's.
 */
export function outgoingWebhooks(dialect: Dialect): Migration {
  const [id, primaryKey] = idColumn(dialect);
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', id, primaryKey)
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull())
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('secret_sealed_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('disabled_at', 'bigint')
        .addColumn('cursor', 'bigint', (c) => c.notNull())
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', 'bigint')
        .execute();
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', id, primaryKey)
        .addColumn('endpoint_id', 'bigint', (c) => c.notNull().references('webhook_endpoints.id'))
        .addColumn('at', 'bigint', (c) => c.notNull())
        .addColumn('first_event_id', 'bigint', (c) => c.notNull())
        .addColumn('last_event_id', 'bigint', (c) => c.notNull())
        .addColumn('event_count', 'integer', (c) => c.notNull())
        .addColumn('attempt', 'integer', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('webhook_deliveries_endpoint').on('webhook_deliveries').columns(['endpoint_id', 'id']).execute();
      // IF NOT EXISTS: on a large PostgreSQL database the index may be built beforehand without
      // blocking writes (CREATE INDEX CONCURRENTLY, README "Upgrading to migration 0015"); a plain
      // CREATE INDEX blocks every insert into events while it is built.
      await db.schema.createIndex('events_campaign_id').ifNotExists().on('events').columns(['campaign_id', 'id']).execute();
    },
  };
}
