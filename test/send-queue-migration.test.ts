/**
 * Migration 0009 on every dialect: the send claims of before become queue entries, and a claim left by
 * a send that never finished (the process died) no longer blocks the message forever: it is sent.
 */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { sql } from 'kysely';
import { migrateTo, openDatabase } from '../src/adapters/storage/database.js';
import { build } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import type { Mailer, OutgoingMail } from '../src/app/ports.js';
import { createTestDatabase, testDialects } from './support/databases.js';
import { dialectEnv, settableClock } from './support/server.js';

for (const dialect of await testDialects()) {
  describe(`send claims of before migration 0009 (${dialect})`, () => {
    it('become queue entries: sent when the message was, due again when its send never finished', async () => {
      const target = await createTestDatabase(dialect);
      try {
        const database = openDatabase(target.config);
        try {
          await migrateTo(database, '0008-event-recipients');
          const db = database.db;
          await sql`insert into campaigns (id, name, kind, track_opens, track_clicks, honeypot, created_at) values (1, 'c', 'one-off', 1, 1, 0, 0)`.execute(db);
          await sql`insert into executions (id, campaign_id, subject, text, created_at) values (1, 1, 's', 'hello', 0)`.execute(db);
          await sql`insert into messages (id, execution_id, campaign_id, contact_id, recipients, recipient_count, created_at, consent) values
            (1, 1, 1, null, '{"to":["sent@x.example"],"cc":[]}', 1, 0, 1),
            (2, 1, 1, null, '{"to":["stuck@x.example"],"cc":[]}', 1, 0, 1)`.execute(db);
          await sql`insert into events (message_id, campaign_id, type, at, source, recorded_at, anonymous) values (1, 1, 'sent', 10, 'smtp', 10, 0)`.execute(db);
          await sql`insert into send_claims (message_id, claimed_at) values (1, 5), (2, 7)`.execute(db);
          // Ids written by hand: PostgreSQL's sequences must move past them.
          if (dialect === 'postgres') {
            for (const table of ['campaigns', 'executions', 'messages']) await sql.raw(`select setval('${table}_id_seq', 100)`).execute(db);
          }
        } finally {
          await database.db.destroy();
        }

        const handed: OutgoingMail[] = [];
        const mailer: Mailer = { send: async (mail) => (handed.push(mail), { accepted: true, response: '250 ok', messageId: null }) };
        const config = Object.freeze({ ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', SEND_POLL: '0', ...dialectEnv(dialect) }), database: target.config });
        const server = await build({ config, clock: settableClock(), logger: pino({ level: 'silent' }), mailer });
        try {
          expect(await server.storage.sendQueue.get(1)).toMatchObject({ state: 'sent', attempts: 1 });
          expect(await server.storage.sendQueue.get(2)).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: 7, leaseUntil: null });
          expect(await server.services.sendQueue!.runDue()).toBe(1);
          expect(handed.map((m) => m.to)).toEqual([['stuck@x.example']]);
          // Messages of before get their Message-ID when first rendered, kept from then on.
          expect(handed[0]!.messageId).toMatch(/^<[a-z2-7]{32}@track\.test>$/);
          expect((await server.storage.catalog.getMessage(2))!.messageIdHeader).toBe(handed[0]!.messageId);
          expect(await server.storage.sendQueue.get(2)).toMatchObject({ state: 'sent', attempts: 2 });
        } finally {
          await server.app.close();
        }
      } finally {
        await target.drop();
      }
    });
  });
}
