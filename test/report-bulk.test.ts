/**
 * The bulk path of `npm run bench:reports` (bench/report-data.ts) writes the rows the server would:
 * the same data written through the stores, as the server writes it (messages through the catalog,
 * delivery facts through `append`, hits through `appendHits`, some of them revised later as a burst
 * is found), leaves the same report counters and message facts as the bulk INSERTs followed by the
 * full recount. So the benchmark's figures are those of a database the server filled.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { openStorage, type Storage } from '../src/adapters/storage/index.js';
import type { Database } from '../src/adapters/storage/schema.js';
import { readCounters } from '../src/adapters/storage/report-counter-store.js';
import { parseState, serializeState } from '../src/core/report-counters.js';
import type { NewEvent, VerdictRevision } from '../src/core/events.js';
import { bulkLoad, campaignMessages, contactAddresses, createCampaigns, DEFAULT_SEED, type ReportDataSpec } from '../bench/report-data.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';
import { settableClock } from './support/server.js';

const SPEC: ReportDataSpec = { messages: 300, seed: DEFAULT_SEED };
/** Events per write, in time order: what the tracking writer's group commit and a webhook batch hand the store. */
const WRITE_BATCH = 40;

/** The same campaigns, contacts, messages and events as bulkLoad, through the stores. */
async function replay(storage: Storage): Promise<number> {
  const campaigns = await createCampaigns(storage, SPEC);
  const addresses = contactAddresses(SPEC);
  const contactIds: number[] = [];
  for (const address of addresses) contactIds.push((await storage.catalog.upsertContact(address, undefined, true, 0)).id);
  const events: NewEvent[] = [];
  for (const [index, campaign] of campaigns.entries()) {
    for (const planned of campaignMessages(SPEC, index, campaign.links, addresses)) {
      const address = addresses[planned.contact]!;
      const message = await storage.catalog.createMessage(
        { executionId: campaign.executionId, campaignId: campaign.campaignId, contactId: contactIds[planned.contact]!, recipients: { to: [address], cc: [] }, recipientCount: 1, createdAt: planned.createdAt, consent: true },
        [],
      );
      for (const e of planned.events) events.push({ ...e, messageId: message.id, campaignId: campaign.campaignId });
    }
  }
  events.sort((a, b) => a.at - b.at);
  for (let i = 0; i < events.length; i += WRITE_BATCH) {
    const batch = events.slice(i, i + WRITE_BATCH);
    const hits = batch.filter((e) => e.hit);
    // A burst is seen once its hits are in: they were first taken for a person's, then revised.
    const burst = hits.map((e) => e.judgement?.reasons.includes('burst:multi-link') ?? false);
    const first = hits.map((e, k) => (burst[k] ? { ...e, judgement: { verdict: 'human' as const, reasons: [], at: e.at } } : e));
    await storage.events.append(batch.filter((e) => !e.hit));
    const ids = await storage.events.appendHits(first, [], batch[batch.length - 1]!.at);
    const revisions: VerdictRevision[] = hits.flatMap((e, k) => (burst[k] ? [{ eventId: ids[k]!, previous: first[k]!.judgement!, next: e.judgement! }] : []));
    if (revisions.length > 0) await storage.events.appendHits([], revisions, batch[batch.length - 1]!.at);
  }
  return events.length;
}

/** The counters (summed over their shards), the facts and the states (parsed, in canonical order). */
async function reportRows(db: Kysely<Database>) {
  const counters = [];
  for (const { id } of await db.selectFrom('campaigns').select('id').orderBy('id').execute()) {
    for (const [executionId, values] of [...(await readCounters(db, { campaignId: id }))].sort(([a], [b]) => a - b)) {
      counters.push(...[...values].map(([name, value]) => ({ executionId, name, value })).sort((a, b) => (a.name < b.name ? -1 : 1)));
    }
  }
  const facts = await db.selectFrom('message_facts').selectAll().orderBy('message_id').execute();
  // Event ids differ between the two databases (rows go in in another order): the deciding events' are left out.
  const withoutIds = (text: string) => {
    const state = parseState(text);
    for (const latest of Object.values(state.latest)) latest[1] = 0;
    return serializeState(state);
  };
  const states = (await db.selectFrom('message_states').selectAll().orderBy('message_id').execute()).map((r) => ({ ...r, state: withoutIds(r.state) }));
  return { counters, facts, states };
}

for (const dialect of await testDialects()) {
  describe(`bench:reports data on ${dialect}`, () => {
    const databases: TestDatabase[] = [];
    const opened: Storage[] = [];
    afterAll(async () => {
      for (const storage of opened) await storage.close();
      for (const database of databases) await database.drop();
    });

    async function fresh(): Promise<Storage> {
      const database = await createTestDatabase(dialect);
      databases.push(database);
      const storage = await openStorage(database.config, settableClock());
      opened.push(storage);
      return storage;
    }

    it('bulk INSERTs and a recount leave the counters and facts that the write path leaves', async () => {
      const bulk = await fresh();
      const loaded = await bulkLoad(bulk, SPEC);
      const served = await fresh();
      const replayed = await replay(served);
      expect(replayed).toBe(loaded.events);
      expect(loaded.messages).toBe(SPEC.messages * 1.2);
      // About five events per message, and every kind of counter the report reads is there.
      expect(loaded.events / SPEC.messages).toBeGreaterThan(4);
      const bulkRows = await reportRows(bulk.database.db);
      const names = bulkRows.counters.map((c) => c.name);
      expect(new Set(bulkRows.counters.map((c) => c.executionId)).size).toBe(3);
      for (const prefix of ['status:bounced-hard', 'status:bounced-soft', 'status:blocked', 'status:clicked', 'complained', 'unsubscribed', 'link:12:clicked:human', 'why:opens:machine:net:apple-mpp', 'why:clicks:bot:burst:multi-link', 'provider:apple:']) {
        expect(names.some((n) => n.startsWith(prefix)), prefix).toBe(true);
      }
      expect(await reportRows(served.database.db)).toEqual(bulkRows);
    }, 60_000);
  });
}
