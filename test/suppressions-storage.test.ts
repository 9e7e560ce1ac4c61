/** The suppression list and its rules in the database, the same suite on every dialect. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { applySuppressionRules, openStorage, type Storage } from '../src/adapters/storage/index.js';
import { migrateTo, migrateToLatest, openDatabase } from '../src/adapters/storage/database.js';
import { eventToRow } from '../src/adapters/storage/event-store.js';
import { recentSendOutcomes } from '../src/adapters/storage/suppression-store.js';
import { DEFAULT_SUPPRESSION_SETTINGS, HARD_BOUNCE_SUPPRESSION_MS, SOFT_BOUNCE_SUPPRESSION_MS } from '../src/core/suppression-rules.js';
import type { NewEvent } from '../src/core/events.js';
import type { CatalogStore } from '../src/app/ports.js';
import type { StoredPlan } from '../src/core/instrument/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';
import { settableClock } from './support/server.js';

const noPlan: StoredPlan = { version: 1, htmlEdits: [], textEdits: [] };
const rules = DEFAULT_SUPPRESSION_SETTINGS;
const DAY = 86_400_000;

for (const dialect of await testDialects()) {
  describe(`suppressions on ${dialect}`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const clock = settableClock();
    let campaignId: number;
    let executionId: number;

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      storage = await openStorage(database.config, clock);
      const campaign = await storage.catalog.createCampaign({ name: 'c', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, clock.now());
      campaignId = campaign.id;
      executionId = (await storage.catalog.createExecution(campaignId, { subject: 's', html: '<p>x</p>', text: null }, [], noPlan, clock.now())).id;
    });
    afterAll(async () => {
      await storage?.close();
      await database?.drop();
    });

    /** A message to these recipients (one: attributed to its contact), already sent. */
    async function sentMessage(...to: string[]) {
      const catalog: CatalogStore = storage.catalog;
      const message = await catalog.createMessage(
        { contacts: to.map((email) => ({ email })), createdAt: clock.now(), make: (contacts) => ({ executionId, campaignId, contactId: contacts.length === 1 ? contacts[0]!.id : null, recipients: { to, cc: [] }, recipientCount: to.length, createdAt: clock.now(), consent: true }) },
        [{ type: 'queued', at: clock.now(), source: 'api' }],
      );
      await storage.events.append([{ messageId: message.id, campaignId, type: 'sent', at: clock.now(), source: 'smtp' }]);
      return message;
    }
    const fact = (messageId: number, type: NewEvent['type'], extra: Partial<NewEvent> = {}): NewEvent => ({ messageId, campaignId, type, at: clock.now(), source: 'webhook', ...extra });
    const record = (event: NewEvent) => storage.events.appendWithSuppressionRules(event, rules);

    it('a hard bounce suppresses for 90 days with its event, then stops blocking when the clock passes (no job)', async () => {
      const message = await sentMessage('Hard@Corp.example');
      const t0 = clock.now();
      const { inserted, changes } = await record(fact(message.id, 'bounced', { subtype: 'hard', reason: 'userunknown', dedupeKey: 'wh:1' }));
      expect(inserted).toBe(true);
      expect(changes).toEqual([expect.objectContaining({ email: 'hard@corp.example', action: 'added', reason: 'hard-bounce', actor: 'system', note: 'hard bounce (userunknown)', expiresAt: t0 + HARD_BOUNCE_SUPPRESSION_MS })]);
      const entry = await storage.suppressions.get('HARD@corp.example');
      expect(entry).toMatchObject({ reason: 'hard-bounce', source: 'webhook', actor: 'system', eventId: changes[0]!.eventId, expiresAt: t0 + 90 * DAY });
      const events = await storage.events.listForMessage(message.id);
      expect(events.find((e) => e.type === 'bounced')!.id).toBe(entry!.eventId);
      // The same report again changes nothing and writes no audit row.
      expect(await record(fact(message.id, 'bounced', { subtype: 'hard', dedupeKey: 'wh:1' }))).toEqual({ inserted: false, changes: [] });
      expect(await storage.suppressions.history('hard@corp.example')).toHaveLength(1);

      expect(await storage.catalog.findSuppression('hard@corp.example', t0 + 90 * DAY - 1)).toMatchObject({ reason: 'hard-bounce' });
      expect(await storage.catalog.findSuppression('hard@corp.example', t0 + 90 * DAY)).toBeNull();
      // Still stored, listed as expired.
      expect((await storage.suppressions.list({ state: 'expired', limit: 10 }, t0 + 90 * DAY)).map((e) => e.email)).toContain('hard@corp.example');
      expect((await storage.suppressions.list({ state: 'active', limit: 10 }, t0 + 90 * DAY)).map((e) => e.email)).not.toContain('hard@corp.example');
    });

    it('complaints and unsubscribes are permanent, and a later hard bounce does not shorten them', async () => {
      const message = await sentMessage('angry@corp.example');
      await record(fact(message.id, 'complained', { subtype: 'abuse' }));
      expect(await storage.suppressions.get('angry@corp.example')).toMatchObject({ reason: 'complaint', expiresAt: null });
      expect((await record(fact(message.id, 'bounced', { subtype: 'hard' }))).changes).toEqual([]);
      expect(await storage.catalog.findSuppression('angry@corp.example', clock.now() + 10_000 * DAY)).toMatchObject({ reason: 'complaint', expiresAt: null });

      const other = await sentMessage('leaver@corp.example');
      await record(fact(other.id, 'bounced', { subtype: 'hard' }));
      const { changes } = await record(fact(other.id, 'unsubscribed', { subtype: 'one-click', source: 'unsubscribe' }));
      expect(changes).toEqual([expect.objectContaining({ action: 'extended', reason: 'unsubscribe', expiresAt: null })]);
      expect((await storage.suppressions.history('leaver@corp.example')).map((c) => [c.action, c.reason])).toEqual([
        ['added', 'hard-bounce'],
        ['extended', 'unsubscribe'],
      ]);
    });

    it('soft bounces: 3 of the last 5 sends suppress for 7 days; a delivery in between resets the count', async () => {
      const email = 'full@corp.example';
      const soft = async () => record(fact((await sentMessage(email)).id, 'bounced', { subtype: 'soft', reason: 'mailboxfull' }));
      expect((await soft()).changes).toEqual([]);
      expect((await soft()).changes).toEqual([]);
      await record(fact((await sentMessage(email)).id, 'delivered'));
      expect((await soft()).changes).toEqual([]);
      expect(await recentSendOutcomes(storage.database.db, email, 5)).toEqual(['soft-bounce', 'delivered', 'soft-bounce', 'soft-bounce']);
      expect((await soft()).changes).toEqual([]);
      const t = clock.now();
      const { changes } = await soft();
      expect(changes).toEqual([expect.objectContaining({ action: 'added', reason: 'soft-bounces', expiresAt: t + SOFT_BOUNCE_SUPPRESSION_MS, note: '3 soft bounces in the last 5 sends since the last delivery' })]);
      expect(await storage.catalog.findSuppression(email, t + 7 * DAY - 1)).not.toBeNull();
      expect(await storage.catalog.findSuppression(email, t + 7 * DAY)).toBeNull();
    });

    it('counts sends to several recipients by the events that name the address, and ignores our relay refusing a message', async () => {
      const email = 'group@corp.example';
      for (let i = 0; i < 2; i++) {
        const message = await sentMessage(email, 'someone@corp.example');
        await record(fact(message.id, 'bounced', { subtype: 'soft', recipient: email }));
      }
      // A message to several naming nobody suppresses nobody.
      const unnamed = await sentMessage(email, 'someone@corp.example');
      expect((await record(fact(unnamed.id, 'bounced', { subtype: 'hard' }))).changes).toEqual([]);
      // Our relay's refusal at submission is not the mailbox's.
      const refused = await sentMessage(email);
      expect((await record(fact(refused.id, 'bounced', { subtype: 'soft', source: 'smtp' }))).changes).toEqual([]);
      // The message to several naming nobody is no send known to the address.
      expect(await recentSendOutcomes(storage.database.db, email, 5)).toEqual(['none', 'soft-bounce', 'soft-bounce']);
      const third = await sentMessage(email, 'someone@corp.example');
      expect((await record(fact(third.id, 'bounced', { subtype: 'soft', recipient: email }))).changes).toHaveLength(1);
    });

    it('applySuppressionRules works inside the caller\'s transaction: rolled back, nothing is written', async () => {
      const a = await sentMessage('batch-a@corp.example');
      const b = await sentMessage('batch-b@corp.example');
      const now = clock.now();
      const write = (fail: boolean) =>
        storage.database.db.transaction().execute(async (trx) => {
          const events = [fact(b.id, 'complained'), fact(a.id, 'bounced', { subtype: 'hard' }), fact(a.id, 'delivered')];
          const ids = await trx.insertInto('events').values(events.map((e) => eventToRow(e, now))).returning('id').execute();
          const changes = await applySuppressionRules(trx, events.map((e, i) => ({ ...e, id: ids[i]!.id })), rules, now);
          if (fail) throw new Error('the batch failed');
          return changes;
        });
      await expect(write(true)).rejects.toThrow('the batch failed');
      expect(await storage.suppressions.get('batch-a@corp.example')).toBeNull();
      expect(await storage.suppressions.history('batch-b@corp.example')).toEqual([]);
      const changes = await write(false);
      expect(changes.map((c) => [c.email, c.reason])).toEqual([
        ['batch-a@corp.example', 'hard-bounce'],
        ['batch-b@corp.example', 'complaint'],
      ]);
    });

    it('manual add and remove are audited with actor and note; never shortened; listed by keyset pages and filters', async () => {
      const now = clock.now();
      const [added] = await storage.suppressions.add([{ email: 'Manual@Corp.example', reason: 'manual', expiresAt: null, note: 'asked by phone', source: 'manual' }], 'api-key:abc', now);
      expect(added).toMatchObject({ merge: 'added', change: { email: 'manual@corp.example', action: 'added', actor: 'api-key:abc', note: 'asked by phone', eventId: null, at: now } });
      const [again] = await storage.suppressions.add([{ email: 'manual@corp.example', reason: 'manual', expiresAt: now + DAY, note: null, source: 'manual' }], 'cli:ops', now);
      expect(again).toEqual({ merge: 'unchanged', change: null });
      expect(await storage.suppressions.remove('MANUAL@corp.example', 'cli:ops', 'resubscribed', now + 1)).toMatchObject({ action: 'removed', reason: 'manual', actor: 'cli:ops', note: 'resubscribed' });
      expect(await storage.suppressions.remove('manual@corp.example', 'cli:ops', null, now + 2)).toBeNull();
      expect(await storage.catalog.findSuppression('manual@corp.example', now + 2)).toBeNull();
      expect((await storage.suppressions.history('manual@corp.example')).map((c) => [c.action, c.actor])).toEqual([
        ['added', 'api-key:abc'],
        ['removed', 'cli:ops'],
      ]);

      await storage.suppressions.add(
        ['p1', 'p2', 'p3', 'p_4'].map((local) => ({ email: `${local}@page.example`, reason: 'manual' as const, expiresAt: null, note: null, source: 'import' as const })),
        'cli:ops',
        now,
      );
      const page1 = await storage.suppressions.list({ state: 'all', prefix: 'p', limit: 2 }, now);
      const page2 = await storage.suppressions.list({ state: 'all', prefix: 'p', limit: 2, after: page1.at(-1)!.email }, now);
      expect([...page1, ...page2].map((e) => e.email)).toEqual(['p1@page.example', 'p2@page.example', 'p3@page.example', 'p_4@page.example']);
      // `_` is no wildcard.
      expect((await storage.suppressions.list({ state: 'all', prefix: 'p_', limit: 10 }, now)).map((e) => e.email)).toEqual(['p_4@page.example']);
      expect((await storage.suppressions.list({ state: 'active', reason: 'complaint', limit: 100 }, now)).map((e) => e.email)).toContain('angry@corp.example');
      expect((await storage.suppressions.list({ state: 'active', reason: 'complaint', limit: 100 }, now)).every((e) => e.reason === 'complaint')).toBe(true);
    });
  });

  describe(`migration 0010 on ${dialect}`, () => {
    it('renames the old reasons and gives every entry a first audit row', async () => {
      const target = await createTestDatabase(dialect);
      const database = openDatabase(target.config.dialect === 'sqlite' ? { dialect: 'sqlite', file: target.config.file } : { dialect: 'postgres', url: target.config.url });
      try {
        await migrateTo(database, '0008-event-recipients');
        await sql`insert into suppressions (email, reason, source, created_at, expires_at) values ('u@x.example', 'unsubscribed', 'unsubscribe', 5, null), ('c@x.example', 'complained', 'api', 6, null), ('h@x.example', 'hard-bounce', 'api', 7, 99)`.execute(database.db);
        await migrateToLatest(database);
        const rows = await database.db.selectFrom('suppressions').select(['email', 'reason', 'actor']).orderBy('email').execute();
        expect(rows).toEqual([
          { email: 'c@x.example', reason: 'complaint', actor: 'system' },
          { email: 'h@x.example', reason: 'hard-bounce', actor: 'system' },
          { email: 'u@x.example', reason: 'unsubscribe', actor: 'system' },
        ]);
        const changes = await database.db.selectFrom('suppression_changes').select(['email', 'action', 'reason', 'expires_at', 'at']).orderBy('email').execute();
        expect(changes).toEqual([
          { email: 'c@x.example', action: 'added', reason: 'complaint', expires_at: null, at: 6 },
          { email: 'h@x.example', action: 'added', reason: 'hard-bounce', expires_at: 99, at: 7 },
          { email: 'u@x.example', action: 'added', reason: 'unsubscribe', expires_at: null, at: 5 },
        ]);
      } finally {
        await database.db.destroy();
        await target.drop();
      }
    });
  });
}
