import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HitRecord, HitWrite } from '../../app/hit-writer.js';
import { openStorage, type Storage } from '../storage/index.js';
import { shippedNetworksDir } from '../network-lists/network-lists.js';
import { ThreadHitWriter, WriterThreadError } from './thread-hit-writer.js';
import type { WriterThreadSetup } from './protocol.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';

describe('ThreadHitWriter', () => {
  let dir: string;
  let storage: Storage;
  let setup: Omit<WriterThreadSetup, 'warmSince'>;
  let message: { id: number; campaignId: number };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'mailsight-writer-'));
    const database = { dialect: 'sqlite' as const, file: path.join(dir, 'db.sqlite'), synchronous: 'FULL' as const };
    storage = await openStorage(database, { now: () => 0 });
    const campaign = await storage.catalog.createCampaign({ name: 'c', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, 0);
    const execution = await storage.catalog.createExecution(campaign.id, { subject: 's', html: '<p>x</p>', text: null }, [], { version: 1, htmlEdits: [], textEdits: [] }, 0);
    const created = await storage.catalog.createMessage({ executionId: execution.id, campaignId: campaign.id, contactId: null, recipients: { to: ['a@b.example'], cc: [] }, recipientCount: 1, createdAt: 0, consent: true }, []);
    message = { id: created.id, campaignId: campaign.id };
    setup = { database, networkDirs: [shippedNetworksDir()], selfNetworks: ['192.0.2.0/24'], networkListsReloadMs: 60_000, writer: { ipStorage: 'truncated', writerId: 'test', shared: false, selfAddresses: [] }, groupCommit: { maxDelayMs: 1 } };
  });
  afterAll(async () => {
    await storage?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const hit = (at: number, extra: Partial<HitRecord> = {}): HitWrite => ({
    kind: 'hit',
    hit: { kind: 'open', at, method: 'GET', ip: '203.0.113.77', userAgent: CHROME, headers: { 'accept-language': 'fr' }, linkOrdinal: null, messageId: message.id, campaignId: message.campaignId, sentAt: 0, deliveredAt: 0, linkCount: 1, consent: true, selfRecipient: false, ...extra },
  });

  it('classifies and writes on its own connection: committed when the write resolves', async () => {
    const writer = await ThreadHitWriter.start({ setup });
    try {
      await writer.write([hit(3_600_000), hit(3_600_100, { method: 'HEAD', kind: 'click', linkOrdinal: 1, ip: '203.0.113.78' }), hit(3_600_200, { ip: '192.0.2.9' })], 3_600_300);
      const hits = (await storage.events.listForMessage(message.id)).filter((e) => e.hit);
      expect(hits.map((e) => [e.type, e.judgement?.verdict, e.judgement?.reasons, e.hit?.ip, e.recordedAt])).toEqual([
        ['opened', 'human', [], '203.0.113.0', 3_600_300],
        ['clicked', 'bot', ['method:head'], '203.0.113.0', 3_600_300],
        ['opened', 'self', ['net:self'], '192.0.2.0', 3_600_300],
      ]);
      // A batch that cannot be written fails alone; the thread goes on with the next.
      await expect(writer.write([hit(3_700_000, { messageId: 987_654 })], 3_700_000)).rejects.toThrow(WriterThreadError);
      await writer.write([hit(3_800_000)], 3_800_000);
      expect((await storage.events.listForMessage(message.id)).filter((e) => e.hit)).toHaveLength(4);
    } finally {
      await writer.close();
    }
  });

  it('fails the batches a dying thread held, and starts a new thread for the next', async () => {
    // A stand-in speaking the protocol, that dies on the batch of message 13.
    const script = path.join(dir, 'mortal-writer.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
       parentPort.on('message', (m) => {
         if (m.type === 'close') { parentPort.postMessage({ type: 'closed' }); parentPort.close(); return; }
         // A packed hit holds its message id 8th.
         if (m.batch[7] === 13) process.exit(3);
         parentPort.postMessage({ type: 'done', seqs: [m.seq] });
       });
       parentPort.postMessage({ type: 'ready' });`,
    );
    const logged: string[] = [];
    const writer = await ThreadHitWriter.start({ setup, script, onLog: (level, text) => logged.push(`${level}: ${text}`) });
    try {
      await writer.write([hit(1)], 1);
      await expect(writer.write([hit(2, { messageId: 13 })], 2)).rejects.toThrow(/exited \(code 3\)/);
      expect(logged).toEqual([expect.stringMatching(/^error: the hit writer thread stopped/)]);
      await writer.write([hit(3)], 3);
    } finally {
      await writer.close();
    }
  });

  it('refuses to start, naming the problem, when the thread cannot open its database', async () => {
    const broken = { ...setup, database: { dialect: 'sqlite' as const, file: path.join(dir, 'not-a-dir.txt', 'db.sqlite'), synchronous: 'FULL' as const } };
    writeFileSync(path.join(dir, 'not-a-dir.txt'), 'a file where a directory should be');
    await expect(ThreadHitWriter.start({ setup: broken })).rejects.toThrow(/hit writer thread failed: .*not-a-dir/);
  });
});
