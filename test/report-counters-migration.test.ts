/**
 * Migration 0012 on every dialect: a database with messages and events from before the report counters
 * gets them built from its events at the first start, once, and the report reads them.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateTo, openDatabase } from '../src/adapters/storage/database.js';
import { openStorage } from '../src/adapters/storage/index.js';
import { recount } from '../src/adapters/storage/recount.js';
import { sumCounters, totalsFromCounters } from '../src/app/report-figures.js';
import { createTestDatabase, testDialects } from './support/databases.js';
import { settableClock } from './support/server.js';

for (const dialect of await testDialects()) {
  describe(`report counters of a database from before them (${dialect})`, () => {
    it('are built from its events at the first start, once', async () => {
      const target = await createTestDatabase(dialect);
      try {
        const database = openDatabase(target.config);
        try {
          await migrateTo(database, '0011-inbound');
          const db = database.db;
          await sql`insert into campaigns (id, name, kind, track_opens, track_clicks, honeypot, created_at) values (1, 'c', 'one-off', 1, 1, 0, 0)`.execute(db);
          await sql`insert into executions (id, campaign_id, subject, text, created_at) values (1, 1, 's', 'hello', 0)`.execute(db);
          await sql`insert into messages (id, execution_id, campaign_id, contact_id, recipients, recipient_count, created_at, consent) values
            (1, 1, 1, null, '{"to":["ann@gmail.com"],"cc":[]}', 1, 0, 1),
            (2, 1, 1, null, '{"to":["bob@corp.example"],"cc":[]}', 1, 0, 1)`.execute(db);
          await sql`insert into events (message_id, campaign_id, type, subtype, reason, at, source, method, verdict, reasons, recorded_at, anonymous) values
            (1, 1, 'delivered', null, null, 10, 'webhook', null, null, null, 10, 0),
            (1, 1, 'opened', null, null, 20, 'pixel', 'GET', 'human', '[]', 20, 0),
            (2, 1, 'bounced', 'hard', 'userunknown', 15, 'dsn', null, null, null, 15, 0)`.execute(db);
        } finally {
          await database.db.destroy();
        }

        const first = await openStorage(target.config, settableClock());
        try {
          expect(first.countersBuilt).toMatchObject({ messages: 2, executions: 1, fixed: true });
          const totals = totalsFromCounters(sumCounters(await first.reports.counters({ campaignId: 1 })));
          expect(totals).toMatchObject({ messages: 2, delivered: 1, hardBounced: 1, uniqueOpens: 1, bouncesByReason: { userunknown: 1 } });
          expect(totals.byVerdict.human.uniqueOpens).toBe(1);
          expect(totals).toEqual(await first.reports.campaignTotals(1));
          expect((await recount(first.database.db, { fix: false })).differences).toEqual([]);
        } finally {
          await first.close();
        }
        const again = await openStorage(target.config, settableClock());
        try {
          expect(again.countersBuilt).toBeNull();
        } finally {
          await again.close();
        }
      } finally {
        await target.drop();
      }
    });
  });
}
