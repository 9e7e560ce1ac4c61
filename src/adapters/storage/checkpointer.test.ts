import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { openStorage, type Storage } from './index.js';

describe('the checkpointer thread', () => {
  let dir: string | undefined;
  let storage: Storage | undefined;
  let checkpointer: Checkpointer | undefined;
  afterEach(async () => {
    await checkpointer?.stop();
    await storage?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('copies into the database file what the writers leave in the WAL', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-checkpointer-'));
    const file = path.join(dir, 'db.sqlite');
    storage = await openStorage({ dialect: 'sqlite', file }, { now: () => 0 });
    const { rows } = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(storage.database.db);
    expect(rows[0]!.wal_autocheckpoint).toBe(10_000);

    // About 6 MB of rows, committed: past SQLite's default bound (1000 pages, 4 MB) but under the
    // writers' own, so they stay in the WAL.
    const sizeBefore = statSync(file).size;
    const campaign = await storage.catalog.createCampaign({ name: 'c', kind: 'one-off', trackOpens: true, trackClicks: true, trackingBaseUrl: null, honeypot: false }, 0);
    const execution = await storage.catalog.createExecution(campaign.id, { subject: 's', html: '<p>x</p>', text: null }, [], { version: 1, htmlEdits: [], textEdits: [] }, 0);
    const message = await storage.catalog.createMessage({ executionId: execution.id, campaignId: campaign.id, contactId: null, recipients: { to: ['a@b.example'], cc: [] }, recipientCount: 1, createdAt: 0, consent: true }, []);
    const padding = 'x'.repeat(3000);
    await storage.events.append(Array.from({ length: 2000 }, (_, i) => ({ messageId: message.id, campaignId: campaign.id, type: 'delivered' as const, at: i, source: 'api' as const, detail: { padding } })));
    expect(statSync(file).size).toBe(sizeBefore);

    // The checkpointer copies them, all of them.
    const checkpoints: { walPages: number; copiedPages: number }[] = [];
    checkpointer = await startCheckpointer({ file, intervalMs: 10, onCheckpoint: (c) => checkpoints.push(c) });
    await waitFor(() => checkpoints.some((c) => c.walPages > 0 && c.copiedPages === c.walPages));
    expect(statSync(file).size).toBeGreaterThan(sizeBefore + 2000 * 3000);
    const { rows: count } = await sql<{ n: number }>`select count(*) as n from events`.execute(storage.database.db);
    expect(Number(count[0]!.n)).toBe(2000);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a checkpoint');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
