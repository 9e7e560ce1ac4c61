/**
 * Verdicts through the real server on every dialect: stored with each hit, revised with history when
 * later hits bring evidence, counted apart in reports; privacy settings applied after classification.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { testDialects } from './support/databases.js';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';
const SCANNER = 'Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36';
const HTML = '<html><body><a href="https://shop.example/1">1</a> <a href="https://shop.example/2">2</a> <a href="https://shop.example/3">3</a></body></html>';

for (const dialect of await testDialects()) {
  describe(`verdicts through the server on ${dialect}`, () => {
    let s: TestServer;
    let executionId: number;
    let campaignId: number;

    beforeAll(async () => {
      s = await startTestServer(dialect, { SELF_NETWORKS: '192.0.2.0/24', SELF_ADDRESSES: 'seed@inbox.example,@shop.example' });
      const campaign = await s.api('POST', '/api/campaigns', { name: 'nhi', tracking: { honeypot: true } });
      campaignId = campaign.body.id;
      executionId = (await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: HTML })).body.id;
    });
    afterAll(async () => s?.close());

    async function delivered(email: string, consent?: boolean) {
      const m = await s.api('POST', '/api/messages', { executionId, to: [consent === undefined ? email : { email, consent }] });
      await s.api('POST', `/api/messages/${m.body.id}/events`, { type: 'delivered', at: s.clock.now() });
      return m.body;
    }
    const path = (url: string) => new URL(url).pathname;
    const pixel = (m: any) => path(/<img src="([^"]+)"/.exec(m.html)![1]!);
    const hit = (url: string, ip: string, ua: string, extra: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') =>
      s.app.inject({ method, url, headers: { 'x-forwarded-for': ip, 'user-agent': ua, 'accept-language': 'en', ...extra } });
    const hits = async (m: any) => (await s.api('GET', `/api/messages/${m.id}`)).body.events.filter((e: any) => e.hit);

    it('stores machine for Apple MPP, human for a person, self for the sender', async () => {
      const m = await delivered('mpp@icloud.example');
      s.clock.advance(20_000);
      await hit(pixel(m), '104.28.28.5', 'Mozilla/5.0');
      s.clock.advance(3 * 3_600_000);
      await hit(pixel(m), '198.51.100.20', CHROME);
      await hit(pixel(m), '192.0.2.10', CHROME);
      expect((await hits(m)).map((e: any) => [e.verdict, e.reasons])).toEqual([
        ['machine', ['ua:bare-mozilla', 'net:apple-mpp']],
        ['human', []],
        ['self', ['net:self']],
      ]);
    });

    it("gives the sender's own addresses (seed and test copies) the self verdict, from any network", async () => {
      // A campaign of its own, so that the report test below counts only its messages.
      const campaign = await s.api('POST', '/api/campaigns', { name: 'seeds' });
      const execution = (await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: HTML })).body.id;
      const send = async (email: string) => {
        const m = await s.api('POST', '/api/messages', { executionId: execution, to: [email] });
        await s.api('POST', `/api/messages/${m.body.id}/events`, { type: 'delivered', at: s.clock.now() });
        return m.body;
      };
      const [seed, colleague, reader] = [await send('Seed@Inbox.example'), await send('marketing@shop.example'), await send('reader@inbox.example')];
      s.clock.advance(3_600_000);
      for (const [i, m] of [seed, colleague, reader].entries()) {
        await hit(pixel(m), `198.51.100.${30 + i}`, CHROME);
        await hit(path(m.links[0].tracked), `198.51.100.${30 + i}`, CHROME);
        s.clock.advance(60_000);
      }
      expect((await hits(seed)).map((e: any) => [e.verdict, e.reasons])).toEqual([
        ['self', ['recipient:self']],
        ['self', ['recipient:self']],
      ]);
      expect((await hits(colleague)).map((e: any) => e.verdict)).toEqual(['self', 'self']);
      expect((await hits(reader)).map((e: any) => e.verdict)).toEqual(['human', 'human']);
    });

    it('revises the first click of a burst and keeps the history', async () => {
      const m = await delivered('scan@corp.example');
      s.clock.advance(40_000);
      await hit(path(m.links[0].tracked), '40.107.1.2', SCANNER, { 'accept-language': '' });
      const first = (await hits(m))[0];
      s.clock.advance(300);
      await hit(path(m.links[1].tracked), '40.107.1.2', SCANNER, { 'accept-language': '' });
      s.clock.advance(300);
      await hit(path(m.links[2].tracked), '40.107.1.2', SCANNER, {}, 'HEAD');
      const after = await hits(m);
      expect(after.map((e: any) => e.verdict)).toEqual(['bot', 'bot', 'bot']);
      expect(after[0].reasons).toContain('burst:multi-link');
      expect(after[2].reasons).toContain('method:head');
      const history = (await s.api('GET', `/api/events/${first.id}/verdicts`)).body.revisions as any[];
      expect(history.length).toBeGreaterThanOrEqual(1);
      expect(history[0]!.previous?.verdict).toBe(first.verdict);
      expect(history.at(-1)!.next.verdict).toBe('bot');

      // The person's own click an hour later stays human.
      s.clock.advance(3_600_000);
      await hit(path(m.links[1].tracked), '198.51.100.44', CHROME, { referer: 'https://eur01.safelinks.protection.outlook.com/?url=x' });
      expect((await hits(m)).at(-1)).toMatchObject({ verdict: 'human', reasons: ['referer:gateway'] });
    });

    it('marks the honeypot hit and the clicks around it as bot', async () => {
      const m = await delivered('trap@corp.example');
      expect(m.honeypotUrl).toMatch(/\/c\//);
      expect(m.html).toContain(m.honeypotUrl);
      s.clock.advance(600_000);
      await hit(path(m.links[2].tracked), '203.0.113.50', CHROME);
      s.clock.advance(5_000);
      const trap = await hit(path(m.honeypotUrl), '203.0.113.50', CHROME);
      expect(trap.statusCode).toBe(200);
      expect((await hits(m)).map((e: any) => [e.verdict, e.reasons.includes('honeypot')])).toEqual([
        ['bot', true],
        ['bot', true],
      ]);
    });

    it('counts all and human side by side in the report', async () => {
      const report = await s.api('GET', `/api/campaigns/${campaignId}/report`);
      const t = report.body.totals;
      expect(t.totalOpens).toBe(3);
      expect(t.byVerdict.human.totalOpens).toBe(1);
      expect(t.byVerdict.machine.totalOpens).toBe(1);
      expect(t.byVerdict.self.totalOpens).toBe(1);
      expect(t.totalClicks).toBe(4); // 2 scanner GETs, the person's click, the click before the honeypot; HEAD and honeypot never count
      expect(t.byVerdict.human.totalClicks).toBe(1);
      expect(t.byVerdict.bot.totalClicks).toBe(3);
      expect(report.body.humanRates.clickRate).toBeCloseTo(1 / 3);
      const link2 = report.body.links.find((l: any) => l.ordinal === 2);
      expect(link2.totalClicks).toBe(2);
      expect(link2.byVerdict.human).toEqual({ uniqueClicks: 1, totalClicks: 1 });
    });

    it('keeps no IP, user agent or headers for a contact without consent, but counts the hit', async () => {
      const m = await delivered('private@corp.example', false);
      s.clock.advance(3_600_000);
      await hit(pixel(m), '198.51.100.77', CHROME, { referer: 'https://mail.example/' });
      const [e] = await hits(m);
      expect(e).toMatchObject({ anonymous: true, verdict: 'human', hit: { ip: null, userAgent: null, headers: {} } });
    });
  });
}

describe('IP truncation', () => {
  it('stores /24 and /48 networks after classification saw the full address', async () => {
    const s = await startTestServer('sqlite', { IP_STORAGE: 'truncated', SELF_NETWORKS: '192.0.2.10/32' });
    try {
      const campaign = await s.api('POST', '/api/campaigns', { name: 'trunc' });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: HTML });
      const m = (await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['t@corp.example'] })).body;
      const px = new URL(/<img src="([^"]+)"/.exec(m.html)![1]!).pathname;
      await s.app.inject({ method: 'GET', url: px, headers: { 'x-forwarded-for': '192.0.2.10', 'user-agent': CHROME } });
      await s.app.inject({ method: 'GET', url: px, headers: { 'x-forwarded-for': '2001:db8:1234:5678::1', 'user-agent': CHROME } });
      const events = (await s.api('GET', `/api/messages/${m.id}`)).body.events.filter((e: any) => e.hit);
      expect(events.map((e: any) => [e.hit.ip, e.verdict])).toEqual([
        ['192.0.2.0', 'self'],
        ['2001:db8:1234::', 'human'],
      ]);
    } finally {
      await s.close();
    }
  });
});
