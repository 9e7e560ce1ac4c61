/** The storage adapter against real databases, the same suite on every dialect. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../src/adapters/storage/index.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';
import { settableClock } from './support/server.js';
import type { NewEvent } from '../src/core/events.js';
import { DEFAULT_SUPPRESSION_SETTINGS } from '../src/core/suppression-rules.js';
import type { PlannedLink, StoredPlan } from '../src/core/instrument/index.js';
import type { Contact } from '../src/app/ports.js';

/** No edits: these executions are never rendered. */
const noPlan: StoredPlan = { version: 1, htmlEdits: [], textEdits: [] };
const link = (ordinal: number, url: string): PlannedLink => ({ ordinal, url, raw: url, text: `link ${ordinal}`, part: 'html', condition: null });

for (const dialect of await testDialects()) {
  describe(`storage on ${dialect}`, () => {
    let database: TestDatabase;
    let storage: Storage;
    const clock = settableClock();

    beforeAll(async () => {
      database = await createTestDatabase(dialect);
      storage = await openStorage(database.config, clock);
    });
    afterAll(async () => {
      await storage?.close();
      await database?.drop();
    });

    async function newMessage(email = 'x@example.com') {
      const campaign = await storage.catalog.createCampaign({ name: 'c', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, clock.now());
      const execution = await storage.catalog.createExecution(campaign.id, { subject: 's', html: '<p>x</p>', text: null }, [link(1, 'https://a.example/')], noPlan, clock.now());
      const contact = await storage.catalog.upsertContact(email, undefined, undefined, clock.now());
      const message = await storage.catalog.createMessage(
        { executionId: execution.id, campaignId: campaign.id, contactId: contact.id, recipients: { to: [email], cc: [] }, recipientCount: 1, createdAt: clock.now(), consent: true },
        [{ type: 'queued', at: clock.now(), source: 'api' }],
      );
      return { campaign, execution, contact, message };
    }

    /** A click judged human, on a message from newMessage(), recorded by `writer` when given. */
    const humanClick = (target: { message: { id: number }; campaign: { id: number } }, at: number, writer?: string): NewEvent => ({
      messageId: target.message.id,
      campaignId: target.campaign.id,
      type: 'clicked',
      at,
      source: 'redirect',
      hit: { method: 'GET', ip: '203.0.113.9', userAgent: 'ua', headers: {}, linkOrdinal: 1 },
      judgement: { verdict: 'human', reasons: [], at },
      ...(writer ? { writer } : {}),
    });

    it('migrates idempotently: a second open finds the schema up to date', async () => {
      const again = await openStorage(database.config, clock);
      await again.close();
    });

    it('round-trips times as exact epoch-millisecond numbers and ids as numbers', async () => {
      clock.set(Date.UTC(2031, 0, 2, 3, 4, 5, 678));
      const { message, campaign } = await newMessage();
      expect(typeof message.id).toBe('number');
      expect((await storage.catalog.getCampaign(campaign.id))!.createdAt).toBe(Date.UTC(2031, 0, 2, 3, 4, 5, 678));
      const events = await storage.events.listForMessage(message.id);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ type: 'queued', at: Date.UTC(2031, 0, 2, 3, 4, 5, 678), source: 'api', hit: null });
    });

    it('stores an event once per dedupe key, across batches and within one', async () => {
      const { message, campaign } = await newMessage();
      const event = (key: string | null, at: number): NewEvent => ({ messageId: message.id, campaignId: campaign.id, type: 'delivered', at, source: 'webhook', dedupeKey: key });
      expect(await storage.events.append([event('k1', 1), event('k2', 2), event(null, 3), event(null, 4)])).toBe(4);
      expect(await storage.events.append([event('k1', 5), event('k3', 6)])).toBe(1);
      const stored = await storage.events.listForMessage(message.id);
      expect(stored.filter((e) => e.type === 'delivered').map((e) => e.at)).toEqual([1, 2, 3, 4, 6]);
    });

    it('writes a batch all or nothing: a bad row rolls back the whole batch', async () => {
      const { message, campaign } = await newMessage();
      const good: NewEvent = { messageId: message.id, campaignId: campaign.id, type: 'opened', at: 1, source: 'pixel', hit: { method: 'GET', ip: '203.0.113.1', userAgent: 'x', headers: {}, linkOrdinal: null } };
      const orphan: NewEvent = { ...good, messageId: 987_654_321 }; // violates the foreign key
      await expect(storage.events.append([good, good, orphan])).rejects.toThrow();
      const stored = await storage.events.listForMessage(message.id);
      expect(stored.filter((e) => e.type === 'opened')).toHaveLength(0);
    });

    it('takes an empty batch of hits (a batch that only carried a delivery time)', async () => {
      expect(await storage.events.appendHits([], [], 0)).toEqual([]);
    });

    it('appends hits of any batch size with their verdicts, ids in order, over the fixed statement sizes', async () => {
      const { message, campaign } = await newMessage();
      const hit = (at: number): NewEvent => ({
        messageId: message.id,
        campaignId: campaign.id,
        type: at % 2 ? 'clicked' : 'opened',
        at,
        source: at % 2 ? 'redirect' : 'pixel',
        hit: { method: 'GET', ip: `198.18.0.${at % 256}`, userAgent: `ua ${at}`, headers: { 'accept-language': 'fr' }, linkOrdinal: at % 2 ? 1 : null },
        judgement: { verdict: at % 3 ? 'human' : 'bot', reasons: at % 3 ? [] : ['burst:multi-link'], at: 7 },
        anonymous: false,
      });
      let at = 0;
      const written: number[] = [];
      // 1, a size below the exact limit, the limit, just over it, and more than the largest statement.
      for (const size of [1, 7, 16, 17, 300]) {
        const batch = Array.from({ length: size }, () => hit(++at));
        const ids = await storage.events.appendHits(batch, [], 1_000 + size);
        expect(ids).toHaveLength(size);
        expect([...ids].sort((a, b) => a - b)).toEqual(ids);
        written.push(...ids);
      }
      const stored = (await storage.events.listForMessage(message.id)).filter((e) => e.hit);
      expect(stored.map((e) => e.id)).toEqual(written);
      expect(stored.map((e) => e.at)).toEqual(Array.from({ length: at }, (_, i) => i + 1));
      expect(stored[299]).toMatchObject({ at: 300, recordedAt: 1_300, hit: { userAgent: 'ua 300', ip: '198.18.0.44', linkOrdinal: null }, judgement: { verdict: 'bot', reasons: ['burst:multi-link'], at: 7 } });
      expect(stored[40]).toMatchObject({ at: 41, recordedAt: 1_017, hit: { method: 'GET', headers: { 'accept-language': 'fr' }, linkOrdinal: 1 }, judgement: { verdict: 'human', reasons: [] } });
    });

    it('reads back the hits recorded since a time, oldest first, with what the classifier needs', async () => {
      const { message, campaign } = await newMessage('recent@example.com');
      await storage.events.append([
        { messageId: message.id, campaignId: campaign.id, type: 'sent', at: 500, source: 'api' },
        { messageId: message.id, campaignId: campaign.id, type: 'delivered', at: 900, source: 'webhook' },
        { messageId: message.id, campaignId: campaign.id, type: 'delivered', at: 950, source: 'webhook' },
      ]);
      const hit = (type: 'opened' | 'clicked', at: number): NewEvent => ({
        messageId: message.id,
        campaignId: campaign.id,
        type,
        at,
        source: type === 'opened' ? 'pixel' : 'redirect',
        hit: { method: 'GET', ip: '203.0.113.8', userAgent: 'ua', headers: { 'accept-language': 'de' }, linkOrdinal: type === 'clicked' ? 1 : null },
        judgement: { verdict: type === 'opened' ? 'machine' : 'bot', reasons: type === 'opened' ? ['net:apple-mpp'] : ['burst:multi-link'], at },
        writer: 'node-a',
      });
      const base = 9_000_000_000_000;
      await storage.events.appendHits([hit('opened', 1_000)], [], base);
      const [click] = await storage.events.appendHits([hit('clicked', 2_000), hit('opened', 3_000)], [], base + 10);
      const recent = (await storage.events.recentHits(base + 5, 10)).filter((h) => h.messageId === message.id);
      expect(recent).toEqual([
        {
          eventId: click,
          kind: 'click',
          at: 2_000,
          method: 'GET',
          ip: '203.0.113.8',
          userAgent: 'ua',
          headers: { 'accept-language': 'de' },
          linkOrdinal: 1,
          messageId: message.id,
          campaignId: campaign.id,
          sentAt: 500,
          deliveredAt: 900,
          linkCount: 1,
          contactEmail: 'recent@example.com',
          judgement: { verdict: 'bot', reasons: ['burst:multi-link'], at: 2_000 },
          writer: 'node-a',
        },
        expect.objectContaining({ kind: 'open', at: 3_000, judgement: { verdict: 'machine', reasons: ['net:apple-mpp'], at: 3_000 } }),
      ]);
      // The limit keeps the newest.
      expect((await storage.events.recentHits(base, 1)).map((h) => h.at)).toEqual([3_000]);
    });

    it("reads the hits other writers recorded after an id, and where to go on from", async () => {
      const target = await newMessage('writers@example.com');
      const { message, campaign } = target;
      const hit = (at: number, writer: string) => humanClick(target, at, writer);
      const { upTo: start } = await storage.events.otherWritersHits(0, 'node-a', 0);
      await storage.events.appendHits([hit(1, 'node-a'), hit(2, 'node-b')], [], 10);
      await storage.events.append([{ messageId: message.id, campaignId: campaign.id, type: 'delivered', at: 3, source: 'api' }]);
      const [fromC] = await storage.events.appendHits([hit(4, 'node-c')], [], 11);
      const seen = await storage.events.otherWritersHits(start, 'node-a', 10);
      expect(seen.hits.map((h) => [h.at, h.writer])).toEqual([
        [2, 'node-b'],
        [4, 'node-c'],
      ]);
      expect(seen.upTo).toBe(fromC);
      expect((await storage.events.otherWritersHits(seen.upTo, 'node-a', 10)).hits).toEqual([]);
    });

    it('revises earlier verdicts with the new hits in one transaction, keeping the history', async () => {
      const target = await newMessage();
      const { message } = target;
      const click = (at: number) => humanClick(target, at);
      const first = await storage.events.appendHits([click(1), click(2)], [], 10);
      const bot = { verdict: 'bot' as const, reasons: ['honeypot'], at: 20 };
      const revisions = first.map((eventId) => ({ eventId, previous: { verdict: 'human' as const, reasons: [], at: 1 }, next: bot }));
      const [third] = await storage.events.appendHits([click(3)], revisions, 20);
      const stored = (await storage.events.listForMessage(message.id)).filter((e) => e.hit);
      expect(stored.map((e) => [e.id, e.judgement?.verdict])).toEqual([
        [first[0], 'bot'],
        [first[1], 'bot'],
        [third, 'human'],
      ]);
      expect(await storage.events.listRevisions(first[1]!)).toEqual([{ eventId: first[1], previous: { verdict: 'human', reasons: [], at: 0 }, next: bot }]);
      // A revision of a row that cannot be written takes the batch's new hits down with it.
      const orphan = { ...click(4), messageId: 987_654_321 };
      await expect(storage.events.appendHits([click(5), orphan], [{ eventId: third!, previous: null, next: bot }], 30)).rejects.toThrow();
      const after = (await storage.events.listForMessage(message.id)).filter((e) => e.hit);
      expect(after).toHaveLength(3);
      expect(after[2]!.judgement?.verdict).toBe('human');
      expect(await storage.events.listRevisions(third!)).toEqual([]);
    });

    it('keeps hit evidence: method, ip, user agent, headers, link ordinal', async () => {
      const { message, campaign } = await newMessage();
      await storage.events.append([
        { messageId: message.id, campaignId: campaign.id, type: 'clicked', at: 10, source: 'redirect', hit: { method: 'HEAD', ip: '2001:db8::1', userAgent: 'Mozilla/5.0', headers: { 'sec-purpose': 'prefetch' }, linkOrdinal: 1 } },
      ]);
      const hit = (await storage.events.listForMessage(message.id)).find((e) => e.type === 'clicked');
      expect(hit!.hit).toEqual({ method: 'HEAD', ip: '2001:db8::1', userAgent: 'Mozilla/5.0', headers: { 'sec-purpose': 'prefetch' }, linkOrdinal: 1 });
    });

    it('writes an execution and its links in one transaction (nothing half-written)', async () => {
      const { campaign } = await newMessage();
      const before = (await storage.catalog.listExecutions(campaign.id)).length;
      // Two occurrences with the same ordinal violate the primary key after the execution row is inserted.
      await expect(storage.catalog.createExecution(campaign.id, { subject: 'dup', html: '<a>', text: null }, [link(1, 'https://a/'), link(1, 'https://b/')], noPlan, clock.now())).rejects.toThrow();
      expect((await storage.catalog.listExecutions(campaign.id)).length).toBe(before);
      const many = Array.from({ length: 1200 }, (_, i) => link(i + 1, `https://l.example/${i}`));
      const execution = await storage.catalog.createExecution(campaign.id, { subject: 'many', html: '<p/>', text: null }, many, noPlan, clock.now());
      expect(await storage.catalog.getLinks(execution.id)).toHaveLength(1200);
    });

    it('upserts contacts case-insensitively and merges attributes', async () => {
      const a = await storage.catalog.upsertContact('Mixed@Case.Example', { plan: 'free' }, true, 1);
      const b = await storage.catalog.upsertContact('mixed@case.example', { city: 'Lyon' }, false, 2);
      expect(b.id).toBe(a.id);
      expect(b).toMatchObject({ email: 'mixed@case.example', attributes: { plan: 'free', city: 'Lyon' }, consent: false });
    });

    it('never weakens a permanent suppression, and lets an expired one lapse', async () => {
      const { message, campaign } = await newMessage('sup@example.com');
      const t0 = clock.now();
      const rules = { ...DEFAULT_SUPPRESSION_SETTINGS, hardBounceMs: 1000 };
      const ev = (at: number, type: 'bounced' | 'unsubscribed', subtype: string): NewEvent => ({ messageId: message.id, campaignId: campaign.id, type, subtype, at, source: 'api' });
      await storage.events.appendWithSuppressionRules(ev(t0, 'bounced', 'hard'), rules);
      expect(await storage.catalog.findSuppression('SUP@example.com', t0 + 500)).toMatchObject({ reason: 'hard-bounce', expiresAt: t0 + 1000 });
      expect(await storage.catalog.findSuppression('sup@example.com', t0 + 1000)).toBeNull();
      await storage.events.appendWithSuppressionRules(ev(t0 + 200, 'unsubscribed', 'page'), rules);
      await storage.events.appendWithSuppressionRules(ev(t0 + 300, 'bounced', 'hard'), rules);
      expect(await storage.catalog.findSuppression('sup@example.com', t0 + 10_000)).toMatchObject({ reason: 'unsubscribe', expiresAt: null });
    });

    it('leases a queued message to one attempt at a time, records its outcome with the queue entry, and lets an expired lease go', async () => {
      const { message, campaign } = await newMessage('lease@example.com');
      const t = clock.now();
      expect(await storage.sendQueue.enqueue(message.id, t)).toMatchObject({ state: 'pending', attempts: 0, nextAttemptAt: t });
      const leases = await Promise.all([1, 2, 3].map(() => storage.sendQueue.lease(message.id, t, 1_000)));
      expect(leases.filter(Boolean)).toHaveLength(1);
      const lease = leases.find(Boolean)!;
      expect(lease).toMatchObject({ attempt: 1, enqueuedAt: t, until: t + 1_000 });
      expect(await storage.sendQueue.due(t, 10)).not.toContain(message.id);
      const deferred: NewEvent = { messageId: message.id, campaignId: campaign.id, type: 'deferred', at: t + 5, source: 'smtp', reason: 'undefined', detail: { code: 451 } };
      expect(await storage.sendQueue.finish(lease, [deferred], { state: 'pending', nextAttemptAt: t + 60_000 }, t + 5, DEFAULT_SUPPRESSION_SETTINGS)).toBe(true);
      expect((await storage.events.listForMessage(message.id)).map((e) => [e.type, e.reason])).toEqual([
        ['queued', null],
        ['deferred', 'undefined'],
      ]);
      // Not due before its time; then leased again, and a lease that ran out (its node died) is taken over.
      expect(await storage.sendQueue.lease(message.id, t + 59_999, 1_000)).toBeNull();
      const second = (await storage.sendQueue.lease(message.id, t + 60_000, 1_000))!;
      expect(second.attempt).toBe(2);
      expect(await storage.sendQueue.lease(message.id, t + 60_999, 1_000)).toBeNull();
      const third = (await storage.sendQueue.lease(message.id, t + 61_000, 1_000))!;
      expect(third.attempt).toBe(3);
      // The attempt that lost its lease still records what the relay said, but leaves the entry to the holder.
      expect(await storage.sendQueue.finish(second, [], { state: 'sent' }, t + 61_001, DEFAULT_SUPPRESSION_SETTINGS)).toBe(false);
      expect(await storage.sendQueue.finish(third, [], { state: 'sent' }, t + 61_002, DEFAULT_SUPPRESSION_SETTINGS)).toBe(true);
      expect(await storage.sendQueue.get(message.id)).toMatchObject({ state: 'sent', attempts: 3, leaseUntil: null });
      // A sent message stays sent whoever queues it again.
      expect(await storage.sendQueue.enqueue(message.id, t + 70_000)).toMatchObject({ state: 'sent' });
      expect(await storage.sendQueue.lease(message.id, t + 70_000, 1_000)).toBeNull();
    });

    it('keeps a reservation for the first message that takes it and blocks a later one, in its transaction', async () => {
      const { message, campaign, execution, contact } = await newMessage('dup@example.com');
      const draft = { executionId: execution.id, campaignId: campaign.id, contactId: contact.id, recipients: { to: ['dup@example.com'], cc: [] }, recipientCount: 1, createdAt: clock.now(), consent: true };
      const reservation = { scope: `execution:${execution.id}`, key: 'dup@example.com', reason: 'duplicate' as const, recipient: 'dup@example.com' };
      const extras = { messageIdHeader: (id: number) => `<m${id}-${dialect}@b.example>`, reservations: [reservation] };
      const [a, b] = await Promise.all([storage.catalog.createMessage(draft, [], extras), storage.catalog.createMessage(draft, [], extras)]);
      const [first, second] = a.duplicateOf === null ? [a, b] : [b, a];
      expect(first.duplicateOf).toBeNull();
      expect(second.duplicateOf).toEqual({ reservation, messageId: first.id });
      expect(first.messageIdHeader).toBe(`<m${first.id}-${dialect}@b.example>`);
      expect((await storage.catalog.getMessage(second.id))!.messageIdHeader).toBe(`<m${second.id}-${dialect}@b.example>`);
      expect((await storage.events.listForMessage(second.id)).map((e) => [e.type, e.reason, e.recipient, e.detail])).toEqual([['blocked', 'duplicate', 'dup@example.com', { duplicateOf: first.id }]]);
      expect(message.messageIdHeader).toBeNull();
      expect(await storage.catalog.fillMessageIdHeader(message.id, `<old-${dialect}@b.example>`)).toBe(`<old-${dialect}@b.example>`);
      expect(await storage.catalog.fillMessageIdHeader(message.id, '<other@b.example>')).toBe(`<old-${dialect}@b.example>`);
    });

    it('records an idempotency key with its message in one transaction; the key again creates nothing', async () => {
      const { message } = await newMessage('idem@example.com');
      const draft = { ...message, createdAt: 1_000 };
      const request = { scope: 'key-a', key: 'k-1', fingerprint: 'f1' };
      const [first, second] = await Promise.all([
        storage.catalog.createIdempotentMessage(draft, [], request, 0),
        storage.catalog.createIdempotentMessage(draft, [], { ...request, fingerprint: 'f2' }, 0),
      ]);
      // Either may win the race; the other finds the winner's key and creates nothing.
      const [winner, loser, fingerprint] = 'created' in first! ? [first, second, 'f1'] : [second, first, 'f2'];
      const created = 'created' in winner! ? winner.created : null;
      expect(created).not.toBeNull();
      expect(loser).toEqual({ earlier: { fingerprint, messageId: created!.id } });
      expect(await storage.catalog.findIdempotencyKey('key-a', 'k-1', 1_000)).toEqual({ fingerprint, messageId: created!.id });
      expect(await storage.catalog.findIdempotencyKey('key-b', 'k-1', 0)).toBeNull();
      // Past its retention the key is forgotten, and taken by the next request.
      expect(await storage.catalog.findIdempotencyKey('key-a', 'k-1', 1_001)).toBeNull();
      const again = await storage.catalog.createIdempotentMessage(draft, [], { ...request, fingerprint: 'f3' }, 1_001);
      expect('created' in again && again.created.id).not.toBe(created!.id);
    });

    it("writes a message's contacts in its transaction: a request whose Idempotency-Key was taken writes none", async () => {
      const { message } = await newMessage('owner@example.com');
      const request = { scope: 'key-c', key: 'k-contacts', fingerprint: 'f1' };
      // A draft made from its recipients' contacts, as the message service writes it.
      const draft = (attributes: Record<string, unknown>, consent: boolean) => ({
        contacts: [
          { email: 'Zed@Example.com', attributes, consent },
          { email: 'amy@example.com', attributes, consent },
        ],
        createdAt: 2_000,
        make: (contacts: Contact[]) => ({ ...message, contactId: null, recipients: { to: contacts.map((c) => c.email), cc: [] }, recipientCount: 2, createdAt: 2_000, consent: contacts.every((c) => c.consent) }),
      });
      const first = await storage.catalog.createIdempotentMessage(draft({ plan: 'gold' }, true), [], request, 0);
      expect('created' in first && first.created.recipients.to).toEqual(['zed@example.com', 'amy@example.com']);
      expect('created' in first && first.created.consent).toBe(true);
      // The same key with another request: refused before any contact is written.
      const second = await storage.catalog.createIdempotentMessage(draft({ plan: 'free' }, false), [], { ...request, fingerprint: 'f2' }, 0);
      expect('earlier' in second).toBe(true);
      for (const email of ['zed@example.com', 'amy@example.com']) {
        const contact = await storage.catalog.upsertContact(email, undefined, undefined, 3_000);
        expect(contact).toMatchObject({ attributes: { plan: 'gold' }, consent: true });
      }
    });

    it('shares signing keys between nodes: the first key written wins', async () => {
      await storage.keys.addSigningKey(50, { by: 'first', box: 'AQ==' }, 1);
      await storage.keys.addSigningKey(50, { by: 'second', box: 'Ag==' }, 2);
      const key = (await storage.keys.signingKeys()).find((k) => k.id === 50)!;
      expect(key).toEqual({ id: 50, sealed: { by: 'first', box: 'AQ==' } });
    });
  });
}
