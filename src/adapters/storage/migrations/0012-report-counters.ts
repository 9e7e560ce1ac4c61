import type { Kysely, Migration } from 'kysely';

/**
 * What reports read instead of events (core/report-counters.ts):
 * - `report_counters`: named counters per execution, moved in the transaction that writes the events
 *   they count. `campaign_id` repeats the execution's, so a campaign's report is one indexed read.
 *   A counter is the sum of its shards' rows: on PostgreSQL each transaction adds to one shard of
 *   its choosing, so concurrent writers (API requests creating messages, several nodes' batches) do
 *   not queue behind one row lock.
 * - `message_facts`: each message's status, deciding reason, mailbox provider and engagement flags,
 *   written beside the counters, so that the contacts behind a figure are listed without events.
 * - `message_states`: each message's state (core/report-counters.ts MessageState, JSON), so that a
 *   hit is counted without reading its events. Apart from message_facts, whose indexes a batch of
 *   hits then rewrites only for the messages whose status or flags it changed.
 * - `mail_domains`: the mailbox provider a domain's MX hosts name (Google Workspace, Microsoft 365...),
 *   looked up once per domain, for the domains whose name alone does not say.
 * - `report_counter_state`: one row; `rebuilt_at` null until the counters have been built from the
 *   events already stored (a database from before this migration), which the next start does.
 */
export const reportCounters: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('report_counters')
      .addColumn('execution_id', 'bigint', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('campaign_id', 'bigint', (c) => c.notNull())
      .addColumn('shard', 'integer', (c) => c.notNull())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('report_counters_pk', ['execution_id', 'name', 'shard'])
      .execute();
    await db.schema.createIndex('report_counters_campaign').on('report_counters').columns(['campaign_id', 'name']).execute();
    await db.schema
      .createTable('message_facts')
      .addColumn('message_id', 'bigint', (c) => c.primaryKey().references('messages.id'))
      .addColumn('campaign_id', 'bigint', (c) => c.notNull())
      .addColumn('execution_id', 'bigint', (c) => c.notNull())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('flags', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('message_facts_campaign').on('message_facts').columns(['campaign_id', 'message_id']).execute();
    await db.schema.createIndex('message_facts_execution').on('message_facts').columns(['execution_id', 'message_id']).execute();
    await db.schema.createIndex('message_facts_status').on('message_facts').columns(['campaign_id', 'status', 'message_id']).execute();
    await db.schema
      .createTable('message_states')
      .addColumn('message_id', 'bigint', (c) => c.primaryKey().references('messages.id'))
      .addColumn('state', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('mail_domains')
      .addColumn('domain', 'text', (c) => c.primaryKey())
      .addColumn('provider', 'text', (c) => c.notNull())
      .addColumn('mx', 'text', (c) => c.notNull())
      .addColumn('checked_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('report_counter_state')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('rebuilt_at', 'bigint')
      .execute();
    await (db as Kysely<{ report_counter_state: { id: number; rebuilt_at: number | null } }>).insertInto('report_counter_state').values({ id: 1, rebuilt_at: null }).execute();
  },
};
