/**
 * The report's mailbox providers through the server: a company domain counted under the provider its
 * MX names (here through a resolver standing in for DNS), a domain whose lookup is slow counted as
 * other until the answer comes, and `recount` moving the messages counted before it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recount } from '../src/adapters/storage/recount.js';
import type { MxResolver } from '../src/app/mail-domains.js';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

for (const dialect of await testDialects()) {
  describe(`mailbox providers by MX (${dialect})`, () => {
    let s: TestServer;
    let answerSlow!: () => void;
    const slowAnswered = new Promise<void>((resolve) => (answerSlow = resolve));
    const resolver: MxResolver = {
      async mxHosts(domain) {
        if (domain === 'workspace.example') return ['alt1.aspmx.l.google.com', 'aspmx.l.google.com'];
        if (domain === 'slow.example') return slowAnswered.then(() => ['mx01.mail.icloud.com']);
        throw new Error(`ENOTFOUND ${domain}`);
      },
    };
    beforeAll(async () => {
      s = await startTestServer(dialect, {}, undefined, undefined, { mxResolver: resolver });
    });
    afterAll(async () => s?.close());

    const providers = async (campaignId: number) => {
      const report = await s.api('GET', `/api/campaigns/${campaignId}/report`);
      return Object.fromEntries(report.body.providers.map((p: { provider: string; messages: number }) => [p.provider, p.messages]));
    };

    it('counts a company domain under the provider its MX names, a slow one once known, and recount moves the rest', async () => {
      const campaign = await s.api('POST', '/api/campaigns', { name: 'providers' });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/">x</a></p>' });
      const send = async (to: string) => expect((await s.api('POST', '/api/messages', { executionId: execution.body.id, to: [to] })).status).toBe(201);
      await send('ann@workspace.example');
      await send('bob@gmail.com');
      await send('cy@nowhere.example');
      // The slow domain's lookup is not waited for: its first message counts as other.
      await send('dee@slow.example');
      expect(await providers(campaign.body.id)).toEqual({ gmail: 2, other: 2 });

      answerSlow();
      const db = s.storage.database.db;
      for (let i = 0; i < 100 && !(await db.selectFrom('mail_domains').select('domain').where('domain', '=', 'slow.example').executeTakeFirst()); i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await send('eve@slow.example');
      expect(await providers(campaign.body.id)).toEqual({ gmail: 2, apple: 1, other: 2 });

      const moved = await recount(db, { campaignId: campaign.body.id, fix: true });
      expect(moved.factDifferences).toBe(1);
      expect(moved.differences.map((d) => d.name).sort()).toEqual(['provider:apple:messages', 'provider:apple:status:queued', 'provider:other:messages', 'provider:other:status:queued']);
      expect(await providers(campaign.body.id)).toEqual({ gmail: 2, apple: 2, other: 1 });
      const list = await s.api('GET', `/api/campaigns/${campaign.body.id}/contacts?figure=messages`);
      expect(Object.fromEntries(list.body.rows.map((r: { email: string; provider: string }) => [r.email, r.provider]))).toEqual({
        'ann@workspace.example': 'gmail',
        'bob@gmail.com': 'gmail',
        'cy@nowhere.example': 'other',
        'dee@slow.example': 'apple',
        'eve@slow.example': 'apple',
      });
    });
  });
}
