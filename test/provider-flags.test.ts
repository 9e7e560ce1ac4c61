/**
 * Provider flags through the server, on every dialect: SendGrid's sg_machine_open, Mailgun's
 * client-info.bot and Brevo's proxy_open posted as signed (or authenticated) webhooks become the
 * reason of the provider open they flag, and the report counts each against mailsight's verdict on
 * the same message's nearest open hit: agreed, disagreed, unmatched. A hit arriving after the flag,
 * and a revision of the matched hit's verdict, move the figures; a full recount still agrees.
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recount } from '../src/adapters/storage/recount.js';
import * as R from '../src/adapters/http/api-responses.js';
import { bounceToken } from '../src/core/verp.js';
import { testDialects } from './support/databases.js';
import { mailgunSigned, sendGridBatch } from './support/signed-webhooks.js';
import { startTestServer, type TestServer } from './support/server.js';

const sendgrid = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const MAILGUN_KEY = 'mailgun-signing-key-for-tests';
const BREVO_TOKEN = 'brevo-secret-token';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';
const NOW = Date.UTC(2027, 0, 15, 12, 0, 0);

for (const dialect of await testDialects()) {
  describe(`provider flags against mailsight's verdicts (${dialect})`, () => {
    let s: TestServer;
    let campaignId: number;
    let executionId: number;

    beforeAll(async () => {
      s = await startTestServer(dialect, {
        WEBHOOK_PROVIDERS: 'sendgrid,mailgun,brevo',
        WEBHOOK_SENDGRID_VERIFICATION_KEY: sendgrid.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
        WEBHOOK_MAILGUN_SIGNING_KEY: MAILGUN_KEY,
        WEBHOOK_BREVO_AUTH: `bearer:${BREVO_TOKEN}`,
      });
      s.clock.set(NOW);
      const campaign = (await s.api('POST', '/api/campaigns', { name: 'flags' })).body;
      campaignId = campaign.id;
      executionId = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Hi', html: '<p>hello</p>' })).body.id;
    });
    afterAll(async () => s?.close());

    const token = (id: number) => bounceToken(s.services.keyring.current, id);
    async function delivered(email: string, to = executionId) {
      const m = (await s.api('POST', '/api/messages', { executionId: to, to: [email] })).body;
      await s.api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', at: s.clock.now() });
      return m;
    }
    const pixel = (m: any) => new URL(/<img src="([^"]+)"/.exec(m.html)![1]!).pathname;
    const hit = (m: any, ip: string, ua: string, extra: Record<string, string> = {}) =>
      s.app.inject({ method: 'GET', url: pixel(m), headers: { 'x-forwarded-for': ip, 'user-agent': ua, 'accept-language': 'en', ...extra } });
    const events = async (id: number) => (await s.api('GET', `/api/messages/${id}`)).body.events as { id: number; type: string; reason: string | null; verdict: string | null; reasons: string[]; at: number }[];
    const report = async (of = campaignId) => (await s.api('GET', `/api/campaigns/${of}/report`)).body;
    /** The report's flags of one series (opens unless said), by reason. */
    const flags = async (series: 'opens' | 'clicks' = 'opens', of = campaignId) =>
      Object.fromEntries(
        ((await report(of)).providerFlags as { reason: string; series: string }[]).filter((f) => f.series === series).map(({ reason, series: _series, ...rest }) => [reason, rest]),
      );
    async function recountAgrees(of = campaignId) {
      const result = await recount(s.storage.database.db, { campaignId: of, fix: false });
      expect(result.differences).toEqual([]);
      expect(result.factDifferences).toBe(0);
    }

    const sendgridPost = (batch: object[]) => s.app.inject({ method: 'POST', url: '/webhooks/sendgrid', ...sendGridBatch(batch, s.clock.now(), sendgrid.privateKey) });
    const mailgunPost = (eventData: object) => s.app.inject({ method: 'POST', url: '/webhooks/mailgun', ...mailgunSigned(eventData, s.clock.now(), MAILGUN_KEY) });
    const brevoPost = (event: object) =>
      s.app.inject({ method: 'POST', url: '/webhooks/brevo', headers: { authorization: `Bearer ${BREVO_TOKEN}`, 'content-type': 'application/json' }, payload: JSON.stringify(event) });

    it('SendGrid: a machine open agreeing with an Apple prefetch hit, a flag with no hit near it, and an unflagged open counted nowhere', async () => {
      const m = await delivered('mpp@icloud.example');
      s.clock.advance(20_000);
      await hit(m, '104.28.28.5', 'Mozilla/5.0', { 'accept-language': '' });
      const mine = (await events(m.id)).find((e) => e.type === 'opened')!;
      expect(mine.verdict).toBe('machine');
      const at = Math.floor(s.clock.now() / 1000);
      const open = (id: string, seconds: number, machine: boolean) => ({ email: 'mpp@icloud.example', timestamp: seconds, event: 'open', sg_event_id: id, sg_message_id: 'sg1.f', mailsight_token: token(m.id), sg_machine_open: machine, useragent: 'Mozilla/5.0', ip: '17.58.0.1' });
      const response = await sendgridPost([open('o1', at + 2, true), open('o2', at - 7200, true), open('o3', at + 10, false)]);
      expect(response.statusCode, response.body).toBe(200);
      const provider = (await events(m.id)).filter((e) => e.type === 'provider_opened');
      // In time order: the flag two hours before any hit, the one 2 s after the prefetch, the unflagged open.
      expect(provider.map((e) => [e.at - mine.at, e.reason])).toEqual([
        [-7_200_000, 'provider:sendgrid-machine-open'],
        [2_000, 'provider:sendgrid-machine-open'],
        [10_000, null],
      ]);
      // A provider's flag is its reason, never a verdict: provider opens are not hits.
      expect(provider.every((e) => e.verdict === null)).toBe(true);
      expect(await flags()).toEqual({ 'provider:sendgrid-machine-open': { flagged: 2, agreed: 1, disagreed: 0, unmatched: 1 } });
      // Posted again (a provider's retry): stored once, counted once.
      expect((await sendgridPost([open('o1', at + 2, true)])).json()).toMatchObject({ recorded: 0, duplicates: 1 });
      expect((await flags())['provider:sendgrid-machine-open']).toMatchObject({ flagged: 2 });
      await recountAgrees();
    });

    it("Mailgun: a generic bot flag on an open mailsight called human is a disagreement, in the report's figures and sentence", async () => {
      const m = await delivered('reader@corp.example');
      s.clock.advance(3 * 3_600_000);
      await hit(m, '198.51.100.20', CHROME);
      expect((await events(m.id)).find((e) => e.type === 'opened')!.verdict).toBe('human');
      const response = await mailgunPost({
        event: 'opened',
        timestamp: s.clock.now() / 1000 + 1.5,
        id: 'mg-open-1',
        recipient: 'reader@corp.example',
        'user-variables': { mailsight_token: token(m.id) },
        ip: '40.94.1.2',
        'client-info': { 'user-agent': CHROME, bot: 'generic' },
      });
      expect(response.statusCode, response.body).toBe(200);
      expect((await events(m.id)).find((e) => e.type === 'provider_opened')!.reason).toBe('provider:mailgun-bot-generic');
      const r = await report();
      expect(R.CampaignReport.safeParse(r).success).toBe(true);
      expect(r.providerFlags).toContainEqual({ reason: 'provider:mailgun-bot-generic', series: 'opens', flagged: 1, agreed: 0, disagreed: 1, unmatched: 0 });
      expect(r.providerFlagSummary).toContain('1 open flagged provider:mailgun-bot-generic: mailsight said machine or bot for 0, human for 1, and saw no open within 60 s of 0');
      await recountAgrees();

      // The hit's verdict revised to bot (as later evidence would): the flag now agrees, and the recount says the same.
      const mine = (await events(m.id)).find((e) => e.type === 'opened')!;
      await s.storage.events.appendHits([], [{ eventId: mine.id, previous: { verdict: 'human', reasons: [], at: mine.at }, next: { verdict: 'bot', reasons: ['header:no-accept-language'], at: s.clock.now() } }], s.clock.now());
      expect((await flags())['provider:mailgun-bot-generic']).toEqual({ flagged: 1, agreed: 1, disagreed: 0, unmatched: 0 });
      await recountAgrees();
    });

    it('Brevo: a proxy open recorded before mailsight saw the hit is unmatched, then agreed once the hit arrives', async () => {
      const m = await delivered('someone@icloud.example');
      s.clock.advance(30_000);
      const response = await brevoPost({ event: 'proxy_open', email: 'someone@icloud.example', 'message-id': '<brevo-9@smtp-relay.mailin.fr>', 'X-Mailin-custom': `mailsight_token=${token(m.id)}`, ts_epoch: s.clock.now(), user_agent: 'Mozilla/5.0' });
      expect(response.statusCode, response.body).toBe(200);
      expect((await events(m.id)).find((e) => e.type === 'provider_opened')!.reason).toBe('provider:brevo-proxy-open');
      expect((await flags())['provider:brevo-proxy-open']).toEqual({ flagged: 1, agreed: 0, disagreed: 0, unmatched: 1 });
      s.clock.advance(5_000);
      await hit(m, '104.28.28.9', 'Mozilla/5.0', { 'accept-language': '' });
      expect((await events(m.id)).find((e) => e.type === 'opened')!.verdict).toBe('machine');
      expect((await flags())['provider:brevo-proxy-open']).toEqual({ flagged: 1, agreed: 1, disagreed: 0, unmatched: 0 });
      // The hit counts as ever in the report's totals: the provider's open adds nothing to them.
      const totals = (await report()).totals;
      expect(totals.byVerdict.machine.totalOpens).toBe(2);
      await recountAgrees();
    });

    it("Mailgun clicks: a bot flag is compared with the message's click hits, the honeypot's included, apart from its opens", async () => {
      const flagged = (await s.api('POST', '/api/campaigns', { name: 'flagged clicks', tracking: { honeypot: true } })).body.id as number;
      const execution = (await s.api('POST', `/api/campaigns/${flagged}/executions`, { subject: 'Hi', html: '<p><a href="https://shop.example/sale">Sale</a></p>' })).body.id as number;
      const m = await delivered('clicker@corp.example', execution);
      const click = async (url: string, ip: string, ua: string) => {
        const response = await s.app.inject({ method: 'GET', url: new URL(url).pathname, headers: { 'x-forwarded-for': ip, 'user-agent': ua, 'accept-language': 'en' } });
        expect(response.statusCode).toBeLessThan(400);
      };
      const mailgunClick = (id: string, at: number, url: string, bot: string | undefined) =>
        mailgunPost({
          event: 'clicked',
          timestamp: at / 1000,
          id,
          recipient: 'clicker@corp.example',
          'user-variables': { mailsight_token: token(m.id) },
          ip: '40.94.1.2',
          url,
          'client-info': { 'user-agent': CHROME, ...(bot === undefined ? {} : { bot }) },
        });
      const link = (m.links as { ordinal: number; tracked: string }[]).find((l) => l.ordinal === 1)!.tracked;

      // A reader clicks the link three hours after delivery; Mailgun calls its click a bot's a second later.
      s.clock.advance(3 * 3_600_000);
      await click(link, '198.51.100.20', CHROME);
      expect((await events(m.id)).find((e) => e.type === 'clicked')!.verdict).toBe('human');
      expect((await mailgunClick('mg-click-1', s.clock.now() + 1_000, link, 'generic')).statusCode).toBe(200);
      // A flag two hours before any click, and an unflagged click: the first unmatched, the second counted nowhere.
      expect((await mailgunClick('mg-click-2', s.clock.now() - 7_200_000, link, 'generic')).statusCode).toBe(200);
      expect((await mailgunClick('mg-click-3', s.clock.now() + 2_000, link, '')).statusCode).toBe(200);
      const provider = (await events(m.id)).filter((e) => e.type === 'provider_clicked');
      expect(provider.map((e) => e.reason)).toEqual(['provider:mailgun-bot-generic', 'provider:mailgun-bot-generic', null]);
      expect(await flags('clicks', flagged)).toEqual({ 'provider:mailgun-bot-generic': { flagged: 2, agreed: 0, disagreed: 1, unmatched: 1 } });
      // A flagged click is no flagged open: the opens' figures hold nothing of this campaign.
      expect(await flags('opens', flagged)).toEqual({});
      await recountAgrees(flagged);

      // Ten minutes on, a scanner follows the hidden honeypot link: Mailgun's flag arrives first and
      // is unmatched, then mailsight's hit (a bot's, by the honeypot) lands 3 s away and it agrees.
      s.clock.advance(10 * 60_000);
      expect((await mailgunClick('mg-click-4', s.clock.now(), m.honeypotUrl, 'generic')).statusCode).toBe(200);
      expect((await flags('clicks', flagged))['provider:mailgun-bot-generic']).toEqual({ flagged: 3, agreed: 0, disagreed: 1, unmatched: 2 });
      s.clock.advance(3_000);
      await click(m.honeypotUrl, '203.0.113.9', 'Mozilla/5.0');
      expect((await events(m.id)).filter((e) => e.type === 'clicked').map((e) => e.verdict)).toEqual(['human', 'bot']);
      expect((await flags('clicks', flagged))['provider:mailgun-bot-generic']).toEqual({ flagged: 3, agreed: 1, disagreed: 1, unmatched: 1 });

      const r = await report(flagged);
      expect(R.CampaignReport.safeParse(r).success).toBe(true);
      expect(r.providerFlagSummary).toEqual(['3 clicks flagged provider:mailgun-bot-generic: mailsight said machine or bot for 1, human for 1, and saw no click within 60 s of 1']);
      await recountAgrees(flagged);
    });
  });
}
