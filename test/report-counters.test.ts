/**
 * The report counters against a full recount from the events, after mixed traffic through the real
 * server: deliveries reported late and twice, bounces hard and soft, complaints, one-click
 * unsubscribes, human opens and clicks, scanner bursts whose earlier verdicts are revised, Mailgun's
 * bot flags on opens and clicks posted before and after mailsight's hits, on every dialect, and
 * through two nodes at once on PostgreSQL. Zero differences, and the report read from
 * the counters equals the SQL recount of the same figures. Then `recount` finds and fixes a counter
 * and a message's facts spoiled by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import { systemClock } from '../src/app/ports.js';
import { recount } from '../src/adapters/storage/recount.js';
import { linkClicks, sumCounters, totalsFromCounters } from '../src/app/report-figures.js';
import { createTestDatabase, postgresReachable, testDialects, type TestDatabase } from './support/databases.js';
import { dialectEnv, startTestServer, type TestServer } from './support/server.js';
import { mulberry32 } from '../src/core/seeded-random.js';
import { bounceToken } from '../src/core/verp.js';
import { mailgunSigned } from './support/signed-webhooks.js';

const HTML = '<p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a> <a href="https://shop.example/a">A again</a></p>';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0 Safari/537.36';
const DOMAINS = ['gmail.com', 'outlook.com', 'yahoo.com', 'icloud.com', 'corp.example'];
const path = (url: string) => new URL(url).pathname;

interface Created {
  id: number;
  html: string;
  links: { tracked: string; part: string }[];
  unsubscribeUrl: string;
  recipients: { to: string[] };
}

const MAILGUN_KEY = 'mailgun-signing-key-for-tests';
const MAILGUN_ENV = { WEBHOOK_PROVIDERS: 'mailgun', WEBHOOK_MAILGUN_SIGNING_KEY: MAILGUN_KEY };
/** Mailgun's client-info.bot as it comes: kinds, a plain true, and a person's empty one (no flag). */
const MAILGUN_BOTS = ['generic', 'apple', true, ''] as const;

/**
 * Posts Mailgun's report of an open or a click of `m`, `offset` ms from now, with a bot flag; its own
 * random generator, so that the rest of the traffic is what it was without it.
 */
interface ProviderReports {
  random: () => number;
  post(m: Created, event: 'opened' | 'clicked', offset: number, bot: (typeof MAILGUN_BOTS)[number]): Promise<void>;
}

/** ProviderReports through `inject` of a node whose clock is `now`, its ids tagged with `node`. */
function mailgunReports(app: Mailsight['app'], keyring: Mailsight['services']['keyring'], now: () => number, seed: number, node: string): ProviderReports {
  let n = 0;
  return {
    random: mulberry32(seed),
    async post(m, event, offset, bot) {
      const eventData = {
        event,
        timestamp: (now() + offset) / 1000,
        id: `mg-${node}-${m.id}-${n++}`,
        recipient: m.recipients.to[0],
        'user-variables': { mailsight_token: bounceToken(keyring.current, m.id) },
        ...(event === 'clicked' ? { url: m.links[0]!.tracked } : {}),
        'client-info': { 'user-agent': CHROME, bot },
      };
      const response = await app.inject({ method: 'POST', url: '/webhooks/mailgun', ...mailgunSigned(eventData, now(), MAILGUN_KEY) });
      expect(response.statusCode, response.body).toBe(200);
    },
  };
}

type Call = (method: 'GET' | 'POST', url: string, body?: unknown) => Promise<{ status: number; body: any }>;
type Hit = (method: 'GET' | 'HEAD' | 'POST', url: string, headers: Record<string, string>, payload?: string) => Promise<number>;

/** Mixed traffic for one message, chosen by a seeded random generator. */
async function traffic(m: Created, random: () => number, api: Call, hit: Hit, advance: (ms: number) => void, provider?: ProviderReports): Promise<void> {
  // Sometimes, Mailgun's report of the same open or click, `offset` ms from it, flagged or not.
  const reported = async (event: 'opened' | 'clicked', offset: number) => {
    if (provider === undefined || provider.random() < 0.5) return;
    await provider.post(m, event, offset, MAILGUN_BOTS[Math.floor(provider.random() * MAILGUN_BOTS.length)]!);
  };
  const human = { 'user-agent': CHROME, 'accept-language': 'en', 'x-forwarded-for': `198.51.100.${(m.id % 250) + 1}` };
  const pixel = path(/<img src="([^"]+)"/.exec(m.html)![1]!);
  const links = m.links.filter((l) => l.part === 'html').map((l) => path(l.tracked));
  const roll = random();
  if (roll < 0.08) {
    await api('POST', `/api/messages/${m.id}/events`, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', id: `b-${m.id}` });
    // The same report twice: stored once.
    await api('POST', `/api/messages/${m.id}/events`, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', id: `b-${m.id}` });
    return;
  }
  if (roll < 0.14) {
    await api('POST', `/api/messages/${m.id}/events`, { type: 'bounced', bounceType: 'soft', code: 452, status: '4.2.2' });
    if (random() < 0.5) await api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', id: `late-${m.id}` });
    return;
  }
  const deliveredFirst = random() < 0.7;
  if (deliveredFirst) await api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', id: `d-${m.id}` });
  if (random() < 0.6) {
    advance(60_000);
    await hit('GET', pixel, human);
    await reported('opened', 1_500);
    if (random() < 0.3) await hit('GET', pixel, human);
  }
  if (random() < 0.3) {
    advance(120_000);
    // The provider's report first, then mailsight's hit: the flag's figures move when the hit arrives.
    await reported('clicked', 2_000);
    await reported('clicked', -3 * 3_600_000);
    await hit('GET', links[Math.floor(random() * links.length)]!, human);
  }
  if (random() < 0.25) {
    // A scanner following every link at machine speed: the first click's verdict is revised.
    advance(1_000);
    for (const link of links) {
      await hit('GET', link, { 'user-agent': CHROME, 'x-forwarded-for': '203.0.113.9' });
      advance(40);
    }
    await reported('clicked', -100);
  }
  if (random() < 0.05) await hit('HEAD', links[0]!, human);
  if (random() < 0.06) await hit('POST', path(m.unsubscribeUrl), { 'content-type': 'application/x-www-form-urlencoded' }, 'List-Unsubscribe=One-Click');
  if (random() < 0.03) await api('POST', `/api/messages/${m.id}/events`, { type: 'complained' });
  // A delivery report that comes after the opens, and again.
  if (!deliveredFirst && random() < 0.8) {
    await api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', id: `d-${m.id}` });
    await api('POST', `/api/messages/${m.id}/events`, { type: 'delivered', id: `d-${m.id}` });
  }
}

/** The counters' report equals the SQL recount of the same figures, and a full recount finds nothing to fix. */
async function expectCountersRight(node: Mailsight, campaignId: number): Promise<void> {
  const result = await recount(node.storage.database.db, { campaignId, fix: false });
  expect(result.differences).toEqual([]);
  expect(result.factDifferences).toBe(0);
  const byExecution = await node.storage.reports.counters({ campaignId });
  const totals = totalsFromCounters(sumCounters(byExecution));
  expect(totals).toEqual(await node.storage.reports.campaignTotals(campaignId));
  for (const link of await node.storage.reports.linkClickTotals(campaignId)) {
    expect({ executionId: link.executionId, ordinal: link.ordinal, ...linkClicks(byExecution.get(link.executionId)!, link.ordinal) }).toEqual(link);
  }
}

for (const dialect of await testDialects()) {
  describe(`report counters and the recount agree (${dialect})`, () => {
    let s: TestServer;
    beforeAll(async () => {
      s = await startTestServer(dialect, MAILGUN_ENV);
    });
    afterAll(async () => s?.close());

    it("after mixed traffic: revisions, late and repeated deliveries, bounces, unsubscribes, complaints, Mailgun's flags", async () => {
      const random = mulberry32(dialect === 'sqlite' ? 3 : 4);
      const campaign = await s.api('POST', '/api/campaigns', { name: 'replay', kind: 'recurring' });
      const messages: Created[] = [];
      for (const subject of ['week 1', 'week 2']) {
        const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject, html: HTML });
        for (let i = 0; i < 30; i++) {
          const created = await s.api('POST', '/api/messages', { executionId: execution.body.id, to: [`r${i}@${DOMAINS[i % DOMAINS.length]}`] });
          expect(created.status).toBe(201);
          messages.push(created.body);
        }
      }
      const hit: Hit = async (method, url, headers, payload) => (await s.app.inject({ method, url, headers, ...(payload ? { payload } : {}) })).statusCode;
      const mailgun = mailgunReports(s.app, s.services.keyring, () => s.clock.now(), dialect === 'sqlite' ? 5 : 6, 'one');
      for (const m of messages) await traffic(m, random, s.api, hit, (ms) => s.clock.advance(ms), mailgun);
      await expectCountersRight(s, campaign.body.id);

      const report = await s.api('GET', `/api/campaigns/${campaign.body.id}/report`);
      expect(report.body.totals.messages).toBe(60);
      expect(report.body.executions).toHaveLength(2);
      expect(report.body.executions[0].totals.messages + report.body.executions[1].totals.messages).toBe(60);
      // The traffic above had every kind of finding in it.
      expect(report.body.totals.hardBounced).toBeGreaterThan(0);
      expect(report.body.totals.byVerdict.bot.totalClicks).toBeGreaterThan(0);
      expect(report.body.totals.byVerdict.human.uniqueOpens).toBeGreaterThan(0);
      const flagged = report.body.providerFlags as { series: string; agreed: number; disagreed: number; unmatched: number }[];
      const sum = (series: string, outcome: 'agreed' | 'disagreed' | 'unmatched') => flagged.filter((f) => f.series === series).reduce((n, f) => n + f[outcome], 0);
      // Every outcome of a flagged click; the opens here are all people's, so their flags only disagree.
      for (const outcome of ['agreed', 'disagreed', 'unmatched'] as const) expect(sum('clicks', outcome), outcome).toBeGreaterThan(0);
      expect(sum('opens', 'disagreed')).toBeGreaterThan(0);
      expect(report.body.providers.map((p: { provider: string }) => p.provider)).toEqual(['gmail', 'microsoft', 'yahoo', 'apple', 'other']);
      expect(report.body.providers.reduce((n: number, p: { messages: number }) => n + p.messages, 0)).toBe(60);
      const executionReport = await s.api('GET', `/api/executions/${report.body.executions[1].execution.id}/report`);
      expect(executionReport.status).toBe(200);
      expect(executionReport.body.totals).toEqual(report.body.executions[1].totals);
    });

    it('recount finds a spoiled counter and a spoiled message, fixes both, and says what it fixed', async () => {
      const campaigns = await s.api('GET', '/api/campaigns');
      const campaignId = campaigns.body.campaigns[0].id as number;
      const db = s.storage.database.db;
      const execution = await db.selectFrom('report_counters').select('execution_id').where('campaign_id', '=', campaignId).where('name', '=', 'messages').executeTakeFirstOrThrow();
      await db.deleteFrom('report_counters').where('execution_id', '=', execution.execution_id).where('name', '=', 'messages').execute();
      await db.insertInto('report_counters').values({ execution_id: execution.execution_id, name: 'messages', shard: 3, campaign_id: campaignId, value: 999 }).execute();
      const victim = await db.selectFrom('message_facts').select('message_id').where('campaign_id', '=', campaignId).orderBy('message_id').executeTakeFirstOrThrow();
      await db.updateTable('message_facts').set({ status: 'queued', flags: 0 }).where('message_id', '=', victim.message_id).execute();

      const found = await recount(db, { campaignId, fix: true });
      expect(found.differences.map((d) => [d.name, d.stored, d.counted])).toContainEqual(['messages', 999, 30]);
      expect(found.factDifferences).toBe(1);
      const again = await recount(db, { campaignId, fix: false });
      expect(again.differences).toEqual([]);
      expect(again.factDifferences).toBe(0);
      await expectCountersRight(s, campaignId);
    });
  });
}

const reachable = await postgresReachable();

describe.skipIf(!reachable)('report counters with two nodes writing at once on PostgreSQL', () => {
  let database: TestDatabase;
  let nodes: Mailsight[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    const config = (node: number) =>
      Object.freeze({ ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', NODE_ID: `node-${node}`, ...MAILGUN_ENV, ...dialectEnv('postgres') }), database: database.config });
    nodes = await Promise.all([0, 1].map((node) => build({ config: config(node), logger: pino({ level: 'silent' }) })));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    await database?.drop();
  });

  it('count every hit, revision and report once: zero differences from the recount', async () => {
    const { key } = await createApiKey(nodes[0]!.storage.keys, systemClock, 'counters');
    const apiOf =
      (node: Mailsight): Call =>
      async (method, url, body) => {
        const response = await node.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { payload: JSON.stringify(body) } : {}) });
        return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
      };
    const hitOf =
      (node: Mailsight): Hit =>
      async (method, url, headers, payload) =>
        (await node.app.inject({ method, url, headers, ...(payload ? { payload } : {}) })).statusCode;
    const campaign = await apiOf(nodes[0]!)('POST', '/api/campaigns', { name: 'two nodes' });
    const execution = await apiOf(nodes[1]!)('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: HTML });
    const messages: Created[] = [];
    for (let i = 0; i < 40; i++) messages.push((await apiOf(nodes[i % 2]!)('POST', '/api/messages', { executionId: execution.body.id, to: [`n${i}@${DOMAINS[i % 5]}`] })).body);
    // Each node replays its own traffic for every message, both at once: the same messages from two sides.
    await Promise.all(
      nodes.map(async (node, n) => {
        const random = mulberry32(20 + n);
        const mailgun = mailgunReports(node.app, node.services.keyring, Date.now, 30 + n, `node-${n}`);
        for (const m of messages) await traffic(m, random, apiOf(node), hitOf(node), () => undefined, mailgun);
      }),
    );
    await expectCountersRight(nodes[0]!, campaign.body.id);
  });
});
