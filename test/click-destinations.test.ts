/**
 * A click answers with the stored destination serialized as a URI (WHATWG URL): punycode host,
 * percent-encoded UTF-8 path and query, line breaks dropped, whether the link was in the HTML part
 * or the text part. A raw non-ASCII `Location` would fail the answer or reach the browser as Latin-1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';
import { testDialects } from './support/databases.js';

const HTML = `<p><a href="https://ru.wikipedia.org/wiki/Москва">Moscow</a>
<a href="https://exämple.com/päth?q=ü#à">umlauts</a>
<a href="https://shop.example/line
break?x=1">a line break</a></p>`;
const TEXT = 'Prix : https://shop.example/prix/5€?q=é maintenant.';

/** Each link's expected `Location`, by ordinal, as the link occurrences list them. */
const EXPECTED: [ordinal: number, part: 'html' | 'text', location: string][] = [
  [1, 'html', 'https://ru.wikipedia.org/wiki/%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B0'],
  [2, 'html', 'https://xn--exmple-cua.com/p%C3%A4th?q=%C3%BC#%C3%A0'],
  [3, 'html', 'https://shop.example/linebreak?x=1'],
  [4, 'text', 'https://shop.example/prix/5%E2%82%AC?q=%C3%A9'],
];

for (const dialect of await testDialects()) {
  describe(`click destinations on ${dialect}`, () => {
    let s: TestServer;
    let message: { id: number; links: { ordinal: number; part: string; tracked: string }[] };

    beforeAll(async () => {
      s = await startTestServer(dialect);
      const campaign = await s.api('POST', '/api/campaigns', { name: 'international' });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: HTML, text: TEXT });
      expect(execution.status).toBe(201);
      message = (await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['reader@corp.example'] })).body;
    });
    afterAll(async () => s?.close());

    it('redirects to the destination as a valid URI and records the click', async () => {
      expect(message.links.map((l) => [l.ordinal, l.part])).toEqual(EXPECTED.map(([ordinal, part]) => [ordinal, part]));
      for (const [ordinal, , location] of EXPECTED) {
        const tracked = message.links.find((l) => l.ordinal === ordinal)!.tracked;
        // Twice: the second answer comes from the cached link table.
        for (let i = 0; i < 2; i++) {
          const answer = await s.app.inject({ method: 'GET', url: new URL(tracked).pathname });
          expect(answer.statusCode, `link ${ordinal}`).toBe(302);
          expect(answer.headers.location, `link ${ordinal}`).toBe(location);
          // Visible ASCII only, on the wire too.
          expect(answer.raw.res.getHeader('location')).toMatch(/^[\x21-\x7e]+$/);
        }
      }
      const events = (await s.api('GET', `/api/messages/${message.id}`)).body.events;
      const clicks = events.filter((e: { type: string }) => e.type === 'clicked').map((e: { hit: { linkOrdinal: number } }) => e.hit.linkOrdinal);
      expect(clicks.sort()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    });
  });
}
