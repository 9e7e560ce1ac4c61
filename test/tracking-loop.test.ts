/**
 * The core loop end to end through the real server (inject, no socket) on every dialect:
 * campaign -> execution -> message -> opens, clicks, unsubscribes, delivery events -> report.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { testDialects } from './support/databases.js';

const HTML = `<!DOCTYPE html>
<html><body>
<p><a href="https://shop.example/a?x=1&amp;y=2">First</a></p>
<p><a href="https://shop.example/b">Second</a> and <a href="https://shop.example/a?x=1&amp;y=2">First again</a></p>
<p><a href="mailto:help@shop.example">Mail us</a></p>
</body></html>`;
const TEXT = 'Visit https://shop.example/text-only today.';

const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

for (const dialect of await testDialects()) {
  describe(`tracking loop on ${dialect}`, () => {
    let s: TestServer;
    let campaignId: number;
    let executionId: number;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      const campaign = await s.api('POST', '/api/campaigns', { name: 'Spring sale', kind: 'one-off' });
      expect(campaign.status).toBe(201);
      campaignId = campaign.body.id;
      const execution = await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 'Spring', html: HTML, text: TEXT });
      expect(execution.status).toBe(201);
      executionId = execution.body.id;
    });
    afterAll(async () => s?.close());

    it('extracts each link occurrence of the execution, in document order', async () => {
      const { body } = await s.api('GET', `/api/executions/${executionId}`);
      expect(body.links.map((l: any) => [l.ordinal, l.part, l.url, l.text])).toEqual([
        [1, 'html', 'https://shop.example/a?x=1&y=2', 'First'],
        [2, 'html', 'https://shop.example/b', 'Second'],
        [3, 'html', 'https://shop.example/a?x=1&y=2', 'First again'],
        [4, 'text', 'https://shop.example/text-only', 'https://shop.example/text-only'],
      ]);
    });

    it('creates a message with instrumented parts and one-click unsubscribe headers', async () => {
      const { status, body } = await s.api('POST', '/api/messages', { executionId, to: ['Ann@Corp.Example'] });
      expect(status).toBe(201);
      expect(body.status).toEqual({ state: 'queued' });
      expect(body.links).toHaveLength(4);
      for (const link of body.links) expect(link.tracked).toMatch(/^https:\/\/track\.test\/c\/[A-Za-z0-9_-]+$/);
      expect(new Set(body.links.map((l: any) => l.tracked)).size).toBe(4);
      expect(body.html).toContain(body.links[0].tracked);
      expect(body.html).toMatch(/<img src="https:\/\/track\.test\/o\/[A-Za-z0-9_-]+"/);
      expect(body.html).toContain('href="mailto:help@shop.example"');
      expect(body.text).toBe(`Visit ${body.links[3].tracked} today.`);
      expect(body.headers['List-Unsubscribe']).toMatch(/^<https:\/\/track\.test\/u\/[A-Za-z0-9_-]+>$/);
      expect(body.headers['List-Unsubscribe-Post']).toBe('List-Unsubscribe=One-Click');
    });

    it('records opens, clicks and HEAD probes, and counts them right', async () => {
      const created = await s.api('POST', '/api/messages', { executionId, to: [{ email: 'bob@corp.example', attributes: { plan: 'pro' } }] });
      const id = created.body.id;
      const pixel = /<img src="([^"]+)"/.exec(created.body.html)![1]!;
      const first = created.body.links[0].tracked;
      const second = created.body.links[1].tracked;

      await s.api('POST', `/api/messages/${id}/events`, { type: 'delivered', id: 'dlv-1' });
      s.clock.advance(60_000);
      const open = await s.app.inject({ method: 'GET', url: new URL(pixel).pathname, headers: { 'user-agent': 'Mozilla/5.0 Test', 'x-forwarded-for': '203.0.113.9', 'accept-language': 'fr' } });
      expect(open.statusCode).toBe(200);
      expect(open.headers['content-type']).toBe('image/gif');
      expect(open.rawPayload.length).toBe(43);
      expect(open.headers['cache-control']).toContain('no-store');

      s.clock.advance(5_000);
      const click = await s.app.inject({ method: 'GET', url: new URL(first).pathname, headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(click.statusCode).toBe(302);
      expect(click.headers.location).toBe('https://shop.example/a?x=1&y=2');
      const head = await s.app.inject({ method: 'HEAD', url: new URL(second).pathname });
      expect(head.statusCode).toBe(302);
      await s.app.inject({ method: 'GET', url: new URL(first).pathname });

      const view = await s.api('GET', `/api/messages/${id}`);
      expect(view.body.status).toEqual({ state: 'clicked' });
      expect(view.body.inferredOpen).toBe(false);
      expect(view.body.contact.attributes).toEqual({ plan: 'pro' });
      const hits = view.body.events.filter((e: any) => e.hit);
      expect(hits.map((e: any) => [e.type, e.hit.method, e.hit.linkOrdinal])).toEqual([
        ['opened', 'GET', null],
        ['clicked', 'GET', 1],
        ['clicked', 'HEAD', 2],
        ['clicked', 'GET', 1],
      ]);
      expect(hits[0].hit).toMatchObject({ ip: '203.0.113.9', userAgent: 'Mozilla/5.0 Test', headers: { 'accept-language': 'fr' } });
    });

    it('counts a click without an open as an inferred open', async () => {
      const created = await s.api('POST', '/api/messages', { executionId, to: ['carol@corp.example'] });
      await s.app.inject({ method: 'GET', url: new URL(created.body.links[1].tracked).pathname });
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.inferredOpen).toBe(true);
    });

    it('never records or redirects for a forged, altered or misused token', async () => {
      const created = await s.api('POST', '/api/messages', { executionId, to: ['dan@corp.example'] });
      const click = tokenOf(created.body.links[0].tracked);
      const open = tokenOf(/<img src="([^"]+)"/.exec(created.body.html)![1]!);
      const altered = click.slice(0, 5) + (click[5] === 'A' ? 'B' : 'A') + click.slice(6);
      for (const url of [`/c/${altered}`, `/c/${click.slice(0, -3)}`, `/c/${open}`, '/c/not-a-token', `/c/${'A'.repeat(3000)}`]) {
        const response = await s.app.inject({ method: 'GET', url });
        expect(response.statusCode, url).toBe(404);
        expect(response.headers.location).toBeUndefined();
      }
      // A pixel is always a pixel, valid token or not.
      for (const url of [`/o/${click}`, '/o/garbage', '/o/%FF%FE', `/o/${'x'.repeat(5000)}`]) {
        const response = await s.app.inject({ method: 'GET', url });
        expect(response.statusCode, url).toBe(200);
        expect(response.headers['content-type']).toBe('image/gif');
      }
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.events.map((e: any) => e.type)).toEqual(['queued']);
    });

    it('unsubscribes only on POST, once, and blocks later messages to the address', async () => {
      const created = await s.api('POST', '/api/messages', { executionId, to: ['erin@corp.example'] });
      const url = new URL(/<([^>]+)>/.exec(created.body.headers['List-Unsubscribe'])![1]!).pathname;
      const page = await s.app.inject({ method: 'GET', url });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<form method="post"');
      expect((await s.api('GET', `/api/messages/${created.body.id}`)).body.status.state).toBe('queued');

      const wrongBody = await s.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'foo=bar' });
      expect(wrongBody.statusCode).toBe(400);
      const oneClick = await s.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
      expect(oneClick.statusCode).toBe(200);
      expect(oneClick.headers.location).toBeUndefined();
      const boundary = 'XyZ';
      const multipart = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
      const again = await s.app.inject({ method: 'POST', url, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: multipart });
      expect(again.statusCode).toBe(200);

      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.status.state).toBe('unsubscribed');
      expect(view.body.events.filter((e: any) => e.type === 'unsubscribed')).toHaveLength(1);

      const blocked = await s.api('POST', '/api/messages', { executionId, to: ['ERIN@corp.example'] });
      expect(blocked.status).toBe(201);
      expect(blocked.body.status).toEqual({ state: 'blocked' });
      expect(blocked.body.html).toBeNull();
      expect(blocked.body.suppressed[0]).toMatchObject({ email: 'erin@corp.example', reason: 'unsubscribe' });
      const report = await s.api('POST', `/api/messages/${blocked.body.id}/events`, { type: 'delivered' });
      expect(report.status).toBe(409);
      expect(report.body.message).toMatch(/blocked/);
    });

    it('records delivery events idempotently and suppresses hard bounces', async () => {
      const created = await s.api('POST', '/api/messages', { executionId, to: ['frank@corp.example'] });
      const id = created.body.id;
      const bounce = { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', text: 'no such user', id: 'dsn-77' };
      expect((await s.api('POST', `/api/messages/${id}/events`, bounce)).status).toBe(201);
      expect((await s.api('POST', `/api/messages/${id}/events`, bounce)).status).toBe(200);
      const view = await s.api('GET', `/api/messages/${id}`);
      expect(view.body.status).toEqual({ state: 'bounced', bounceType: 'hard' });
      expect(view.body.events.filter((e: any) => e.type === 'bounced')).toHaveLength(1);
      const next = await s.api('POST', '/api/messages', { executionId, to: ['frank@corp.example'] });
      expect(next.body.status.state).toBe('blocked');
    });

    it('treats a message to several recipients as one message for "someone"', async () => {
      const created = await s.api('POST', '/api/messages', { executionId, to: ['g1@corp.example', 'g2@corp.example'], cc: ['g3@corp.example'] });
      expect(created.status).toBe(201);
      await s.app.inject({ method: 'GET', url: new URL(created.body.links[0].tracked).pathname });
      const view = await s.api('GET', `/api/messages/${created.body.id}`);
      expect(view.body.contact).toBeNull();
      expect(view.body.message.recipientCount).toBe(3);
      expect(view.body.status.state).toBe('clicked');
    });

    it('reports campaign totals, rates and clicks per link occurrence', async () => {
      const { status, body } = await s.api('GET', `/api/campaigns/${campaignId}/report`);
      expect(status).toBe(200);
      // ann, bob, carol, dan, erin, erin(blocked), frank, frank(blocked), group
      expect(body.totals).toMatchObject({
        messages: 9,
        sent: 5, // bob (delivered), carol (click), erin (unsubscribed), frank (bounced), group (click)
        delivered: 4, // bob (report), carol and the group (clicked), erin (unsubscribed): only frank bounced
        hardBounced: 1,
        blocked: 2,
        unsubscribed: 1,
        uniqueOpens: 3, // bob opened; carol and the group only clicked
        inferredOpens: 2,
        totalOpens: 1,
        uniqueClicks: 3,
        totalClicks: 4, // HEAD probes are not clicks
      });
      expect(body.rates.deliveryRate).toBeCloseTo(4 / 5);
      expect(body.rates.openRate).toBeCloseTo(3 / 4);
      const byOrdinal = Object.fromEntries(body.links.map((l: any) => [l.ordinal, [l.uniqueClicks, l.totalClicks]]));
      expect(byOrdinal).toEqual({ 1: [2, 3], 2: [1, 1], 3: [0, 0], 4: [0, 0] });
    });

    it('answers bad API input with 400 naming the field, and no key with 401', async () => {
      const noName = await s.api('POST', '/api/campaigns', { kind: 'weekly' });
      expect(noName.status).toBe(400);
      expect(noName.body.message).toMatch(/name/);
      expect(noName.body.message).toMatch(/kind/);
      const badEmail = await s.api('POST', '/api/messages', { executionId, to: ['not-an-address'] });
      expect(badEmail.status).toBe(400);
      expect(badEmail.body.message).toMatch(/^to\[0\]/);
      const badEvent = await s.api('POST', '/api/messages/1/events', { type: 'bounced', bounceType: 'maybe' });
      expect(badEvent.status).toBe(400);
      expect(badEvent.body.message).toMatch(/bounceType/);
      const missing = await s.api('GET', '/api/messages/999999');
      expect(missing.status).toBe(404);
      const unauth = await s.app.inject({ method: 'GET', url: '/api/campaigns' });
      expect(unauth.statusCode).toBe(401);
      const wrongKey = await s.app.inject({ method: 'GET', url: '/api/campaigns', headers: { authorization: `Bearer ${s.apiKey.slice(0, -2)}xx` } });
      expect(wrongKey.statusCode).toBe(401);
      const badJson = await s.app.inject({ method: 'POST', url: '/api/campaigns', headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': 'application/json' }, payload: '{"name":' });
      expect(badJson.statusCode).toBe(400);
    });
  });
}
