/**
 * Consent on messages to several recipients, through the real server on every dialect: one recipient
 * who withheld consent makes the message's hits anonymous, and a missing contact never counts as consent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateTo, openDatabase } from '../src/adapters/storage/database.js';
import { initial } from '../src/adapters/storage/migrations/0001-initial.js';
import { verdicts } from '../src/adapters/storage/migrations/0002-verdicts.js';
import { hitWriter } from '../src/adapters/storage/migrations/0003-hit-writer.js';
import { eventsByType } from '../src/adapters/storage/migrations/0004-events-by-type.js';
import { Migrator } from 'kysely';
import { createTestDatabase, testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';

for (const dialect of await testDialects()) {
  describe(`consent of a message to several recipients (${dialect})`, () => {
    let s: TestServer;
    let executionId: number;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      const campaign = await s.api('POST', '/api/campaigns', { name: 'consent' });
      executionId = (await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/">shop</a></p>' })).body.id;
    });
    afterAll(async () => s?.close());

    /** Creates the message, opens it once from a browser, and returns what GET /api/messages/:id shows. */
    async function openedMessage(to: unknown[], cc: unknown[] = []) {
      const created = await s.api('POST', '/api/messages', { executionId, to, cc });
      expect(created.status).toBe(201);
      const pixel = new URL(/<img src="([^"]+)"/.exec(created.body.html)![1]!).pathname;
      s.clock.advance(3_600_000);
      const hit = await s.app.inject({ method: 'GET', url: pixel, headers: { 'x-forwarded-for': '198.51.100.7', 'user-agent': CHROME, 'accept-language': 'en', referer: 'https://mail.example/' } });
      expect(hit.statusCode).toBe(200);
      const view = (await s.api('GET', `/api/messages/${created.body.id}`)).body;
      return { message: view.message, open: view.events.find((e: any) => e.type === 'opened') };
    }

    const ANONYMOUS = { anonymous: true, hit: { method: 'GET', ip: null, userAgent: null, headers: {} } };

    it('keeps no IP, user agent or headers when two recipients withheld consent', async () => {
      const { message, open } = await openedMessage([{ email: 'p1@corp.example', consent: false }], [{ email: 'p2@corp.example', consent: false }]);
      expect(message.consent).toBe(false);
      expect(open).toMatchObject(ANONYMOUS);
    });

    it('keeps none either when only one of two recipients withheld consent', async () => {
      const { message, open } = await openedMessage([{ email: 'yes@corp.example', consent: true }, { email: 'no@corp.example', consent: false }]);
      expect(message.consent).toBe(false);
      expect(open).toMatchObject(ANONYMOUS);
    });

    it('keeps the evidence when every recipient allowed tracking, stated or (new contacts) by default', async () => {
      const { message, open } = await openedMessage([{ email: 'ok1@corp.example', consent: true }, 'new@corp.example']);
      expect(message.consent).toBe(true);
      expect(open).toMatchObject({ anonymous: false, hit: { ip: '198.51.100.7', userAgent: CHROME, headers: { referer: 'https://mail.example/' } } });
    });

    it('remembers a withheld consent on the contact: a later message naming the address without consent is anonymous', async () => {
      await s.api('POST', '/api/messages', { executionId, to: [{ email: 'remember@corp.example', consent: false }] });
      const { message, open } = await openedMessage(['remember@corp.example', 'other@corp.example']);
      expect(message.consent).toBe(false);
      expect(open).toMatchObject(ANONYMOUS);
    });
  });

  describe(`consent of messages created before migration 0005 (${dialect})`, () => {
    it("takes a message's consent from its contact, and makes a message without one anonymous", async () => {
      const target = await createTestDatabase(dialect);
      const database = openDatabase(target.config.dialect === 'sqlite' ? { dialect: 'sqlite', file: target.config.file } : { dialect: 'postgres', url: target.config.url });
      try {
        const before = new Migrator({
          db: database.db,
          provider: {
            getMigrations: async () => ({
              '0001-initial': initial(database.dialect),
              '0002-verdicts': verdicts(database.dialect),
              '0003-hit-writer': hitWriter(),
              '0004-events-by-type': eventsByType(),
            }),
          },
        });
        const { error } = await before.migrateToLatest();
        expect(error).toBeUndefined();
        const db = database.db;
        await sql`insert into campaigns (id, name, kind, track_opens, track_clicks, honeypot, created_at) values (1, 'c', 'one-off', 1, 1, 0, 0)`.execute(db);
        await sql`insert into executions (id, campaign_id, subject, created_at) values (1, 1, 's', 0)`.execute(db);
        await sql`insert into contacts (id, email, attributes, consent, created_at) values (1, 'yes@x.example', '{}', 1, 0), (2, 'no@x.example', '{}', 0, 0)`.execute(db);
        await sql`insert into messages (id, execution_id, campaign_id, contact_id, recipients, recipient_count, created_at) values
          (1, 1, 1, 1, '{"to":["yes@x.example"],"cc":[]}', 1, 0),
          (2, 1, 1, 2, '{"to":["no@x.example"],"cc":[]}', 1, 0),
          (3, 1, 1, null, '{"to":["a@x.example","b@x.example"],"cc":[]}', 2, 0)`.execute(db);

        expect(await migrateTo(database, '0005-sending')).toEqual(['0005-sending']);
        const rows = await db.selectFrom('messages').select(['id', 'consent']).orderBy('id').execute();
        expect(rows).toEqual([
          { id: 1, consent: 1 },
          { id: 2, consent: 0 },
          { id: 3, consent: 0 },
        ]);
      } finally {
        await database.db.destroy();
        await target.drop();
      }
    });
  });
}
