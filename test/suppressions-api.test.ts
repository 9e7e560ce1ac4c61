/** The suppression list through the API, on a real server over every dialect, with a settable clock. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

const DAY = 86_400_000;

for (const dialect of await testDialects()) {
  describe(`suppressions through the API (${dialect})`, () => {
    let s: TestServer;
    let executionId: number;
    let campaignId: number;
    let actor: string;

    beforeAll(async () => {
      s = await startTestServer(dialect);
      actor = `api-key:${s.apiKey.split('_')[1]}`;
      const campaign = await s.api('POST', '/api/campaigns', { name: 'suppressions' });
      campaignId = campaign.body.id;
      executionId = (await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', html: '<p><a href="https://shop.example/">shop</a></p>' })).body.id;
    });
    afterAll(async () => s?.close());

    // Each send to an address is another execution (a newsletter's next issue): twice in one execution would be a duplicate.
    const message = async (to: string) => {
      const execution = (await s.api('POST', `/api/campaigns/${campaignId}/executions`, { subject: 's', html: '<p><a href="https://shop.example/">shop</a></p>' })).body.id;
      return (await s.api('POST', '/api/messages', { executionId: execution, to: [to] })).body;
    };
    const report = (id: number, body: object) => s.api('POST', `/api/messages/${id}/events`, body);
    const csv = (payload: string, contentType = 'text/csv') =>
      s.app.inject({ method: 'POST', url: '/api/suppressions/import', headers: { authorization: `Bearer ${s.apiKey}`, 'content-type': contentType }, payload });
    const exported = async (all = false) => {
      const response = await s.app.inject({ method: 'GET', url: `/api/suppressions/export.csv${all ? '?all=true' : ''}`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
      return response.body;
    };

    it('a hard bounce blocks the address for 90 days, then no longer, with no job run', async () => {
      const first = await message('gone@corp.example');
      expect((await report(first.id, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1' })).status).toBe(201);
      const detail = await s.api('GET', '/api/suppressions/GONE@corp.example');
      expect(detail.status).toBe(200);
      const bounce = (await s.api('GET', `/api/messages/${first.id}`)).body.events.find((e: any) => e.type === 'bounced');
      expect(detail.body.suppression).toMatchObject({ email: 'gone@corp.example', reason: 'hard-bounce', source: 'api', actor: 'system', eventId: bounce.id, active: true, expiresAt: s.clock.now() + 90 * DAY });
      expect(detail.body.history).toEqual([expect.objectContaining({ action: 'added', actor: 'system', eventId: bounce.id })]);
      expect((await message('gone@corp.example')).status).toEqual({ state: 'blocked' });

      s.clock.advance(90 * DAY);
      expect((await message('gone@corp.example')).status).toEqual({ state: 'queued' });
      expect((await s.api('GET', '/api/suppressions/gone@corp.example')).body.suppression.active).toBe(false);
      expect((await s.api('GET', '/api/suppressions?state=expired')).body.suppressions.map((e: any) => e.email)).toContain('gone@corp.example');
    });

    it('complaints and one-click unsubscribes suppress for good, with the event that caused them', async () => {
      const complained = await message('spam@corp.example');
      await report(complained.id, { type: 'complained' });
      await report(complained.id, { type: 'bounced', bounceType: 'hard' });
      expect((await s.api('GET', '/api/suppressions/spam@corp.example')).body.suppression).toMatchObject({ reason: 'complaint', expiresAt: null });

      const leaving = await message('leave@corp.example');
      const url = new URL(leaving.unsubscribeUrl).pathname;
      const oneClick = await s.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
      expect(oneClick.statusCode).toBe(200);
      const unsubscribed = (await s.api('GET', `/api/messages/${leaving.id}`)).body.events.find((e: any) => e.type === 'unsubscribed');
      const detail = (await s.api('GET', '/api/suppressions/leave@corp.example')).body;
      expect(detail.suppression).toMatchObject({ reason: 'unsubscribe', source: 'unsubscribe', expiresAt: null, eventId: unsubscribed.id });
      s.clock.advance(3650 * DAY);
      expect((await message('leave@corp.example')).status).toEqual({ state: 'blocked' });
      expect((await message('spam@corp.example')).status).toEqual({ state: 'blocked' });
    });

    it('soft bounces: 3 of the last 5 sends suppress for 7 days; a delivery in between resets the count', async () => {
      const soft = async () => {
        const m = await message('busy@corp.example');
        expect(m.status.state).toBe('queued');
        await report(m.id, { type: 'sent' });
        await report(m.id, { type: 'bounced', bounceType: 'soft', code: 452, status: '4.2.2' });
      };
      await soft();
      await soft();
      const delivered = await message('busy@corp.example');
      await report(delivered.id, { type: 'delivered' });
      await soft();
      await soft();
      expect((await s.api('GET', '/api/suppressions/busy@corp.example')).status).toBe(404);
      await soft();
      expect((await s.api('GET', '/api/suppressions/busy@corp.example')).body.suppression).toMatchObject({ reason: 'soft-bounces', expiresAt: s.clock.now() + 7 * DAY });
      expect((await message('busy@corp.example')).status).toEqual({ state: 'blocked' });
      s.clock.advance(7 * DAY);
      expect((await message('busy@corp.example')).status).toEqual({ state: 'queued' });
    });

    it('manual add and remove are audited with the API key and the note', async () => {
      const added = await s.api('POST', '/api/suppressions', { email: 'Hand@Corp.example', note: 'asked on the phone' });
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ result: 'added', suppression: { email: 'hand@corp.example', reason: 'manual', source: 'manual', actor, note: 'asked on the phone', expiresAt: null } });
      // A shorter one changes nothing.
      const shorter = await s.api('POST', '/api/suppressions', { email: 'hand@corp.example', expiresAt: s.clock.now() + DAY });
      expect(shorter.status).toBe(200);
      expect(shorter.body).toMatchObject({ result: 'unchanged', change: null, suppression: { expiresAt: null } });
      expect((await message('hand@corp.example')).status).toEqual({ state: 'blocked' });

      const removed = await s.api('DELETE', '/api/suppressions/hand@corp.example?note=called%20back');
      expect(removed.status).toBe(200);
      expect(removed.body.removed).toMatchObject({ action: 'removed', reason: 'manual', actor, note: 'called back' });
      expect((await message('hand@corp.example')).status).toEqual({ state: 'queued' });
      expect((await s.api('DELETE', '/api/suppressions/hand@corp.example', { note: 'again' })).status).toBe(404);
      await s.api('POST', '/api/suppressions', { email: 'hand@corp.example', reason: 'complaint', expiresAt: s.clock.now() + DAY });
      expect((await s.api('DELETE', '/api/suppressions/hand@corp.example', { note: 'by body' })).body.removed.note).toBe('by body');
      const history = (await s.api('GET', '/api/suppressions/hand@corp.example')).body;
      expect(history.suppression).toBeNull();
      expect(history.history.map((c: any) => [c.action, c.actor, c.note])).toEqual([
        ['added', actor, 'asked on the phone'],
        ['removed', actor, 'called back'],
        ['added', actor, null],
        ['removed', actor, 'by body'],
      ]);
    });

    it('lists by reason and prefix, a page at a time', async () => {
      for (const n of [1, 2, 3]) await s.api('POST', '/api/suppressions', { email: `page${n}@list.example` });
      const first = await s.api('GET', '/api/suppressions?prefix=page&limit=2');
      expect(first.body.suppressions.map((e: any) => e.email)).toEqual(['page1@list.example', 'page2@list.example']);
      const second = await s.api('GET', `/api/suppressions?prefix=page&limit=2&after=${encodeURIComponent(first.body.next)}`);
      expect(second.body).toMatchObject({ suppressions: [{ email: 'page3@list.example' }], next: null });
      const complaints = await s.api('GET', '/api/suppressions?reason=complaint');
      expect(complaints.body.suppressions.map((e: any) => e.email)).toEqual(['spam@corp.example']);
    });

    it('imports CSV all or nothing, naming the bad line; the export imports again as it was', async () => {
      const bad = await csv('email,reason,expires_at,note\r\nok1@csv.example,manual,,fine\r\nok2@csv.example,manual,2099-01-01,\r\nnot-an-address,manual,,\r\n');
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toBe('CSV line 4: email: not an email address: "not-an-address"');
      expect((await s.api('GET', '/api/suppressions/ok1@csv.example')).status).toBe(404);
      for (const [body, problem] of [
        ['email,reason\na@csv.example,bounced\n', 'CSV line 2: reason: not one of "hard-bounce", "soft-bounces", "complaint", "unsubscribe", "manual": "bounced"'],
        ['email,reason,expires_at\na@csv.example,manual,tomorrow\n', 'CSV line 2: expires_at: not an ISO 8601 date'],
        ['email,reason,expires_at\na@csv.example,manual,2020-01-01\n', 'CSV line 2: expires_at: 2020-01-01T00:00:00.000Z is not in the future'],
        ['email,reason\na@csv.example,manual\nA@csv.example,manual\n', 'CSV line 3: a@csv.example appears again (first on line 2)'],
        ['email,colour\n', 'CSV line 1: unknown column "colour"'],
        ['email,reason\n"a@csv.example,manual\n', 'CSV line 2: a quoted field is never closed'],
        ['email,reason\na@csv.example\n', 'CSV line 2: 1 fields, the header has 2'],
        ['', 'CSV line 1: empty file'],
      ] as const) {
        const response = await csv(body);
        expect(response.statusCode, body).toBe(400);
        expect(response.json().message).toContain(problem);
      }
      expect((await csv('email\nx@csv.example\n', 'text/csv; charset=latin1')).statusCode).toBe(415);
      expect((await s.api('POST', '/api/suppressions/import', { email: 'x@csv.example' })).status).toBe(415);

      const good = await csv('email,reason,expires_at,note\r\nok1@csv.example,manual,,"said ""stop"", twice"\r\nok2@csv.example,hard-bounce,2099-01-01,\r\n-dash@csv.example,manual,,"=HYPERLINK(""http://evil.example"")"\r\n');
      expect(good.statusCode).toBe(200);
      expect(good.json()).toEqual({ rows: 3, added: 3, extended: 0, unchanged: 0 });
      const ok1 = (await s.api('GET', '/api/suppressions/ok1@csv.example')).body;
      expect(ok1.suppression).toMatchObject({ source: 'import', actor, note: 'said "stop", twice' });

      const before = await exported();
      expect(before.split('\r\n')[0]).toBe('email,reason,expires_at,note');
      // Formula injection neutralised: the cells start with an apostrophe.
      expect(before).toContain(`\r\n'-dash@csv.example,manual,,"'=HYPERLINK(""http://evil.example"")"\r\n`);
      expect(before).toContain('\r\nok2@csv.example,hard-bounce,2099-01-01T00:00:00.000Z,\r\n');
      expect(before).not.toContain('gone@corp.example'); // expired

      const all = await exported(true);
      expect(all.split('\r\n')[0]).toBe('email,reason,expires_at,note,state,source,actor,event_id,created_at');
      expect(all).toMatch(/\r\ngone@corp\.example,hard-bounce,[^,]+,hard bounce,expired,api,system,\d+,/);

      // Round trip: remove every active entry, import the export, export again: the same file.
      let page = (await s.api('GET', '/api/suppressions?limit=1000')).body.suppressions;
      for (const e of page) expect((await s.api('DELETE', `/api/suppressions/${encodeURIComponent(e.email)}`)).status).toBe(200);
      expect(await exported()).toBe('email,reason,expires_at,note\r\n');
      const again = await csv(before);
      expect(again.statusCode).toBe(200);
      expect(again.json().added).toBe(page.length);
      expect(await exported()).toBe(before);
      page = (await s.api('GET', '/api/suppressions?limit=1000')).body.suppressions;
      expect(page.find((e: any) => e.email === '-dash@csv.example').note).toBe('=HYPERLINK("http://evil.example")');
    });

    it('refuses bad input with a 400 naming what is wrong', async () => {
      const cases: [string, string, unknown, RegExp][] = [
        ['POST', '/api/suppressions', { email: 'nope' }, /^email: not an email address/],
        ['POST', '/api/suppressions', { email: 'a@b.example', reason: 'bounced' }, /^reason: not one of "hard-bounce"/],
        ['POST', '/api/suppressions', { email: 'a@b.example', expiresAt: 1_000_000_000_000 }, /^expiresAt: 2001-09-09T01:46:40.000Z is not in the future/],
        ['POST', '/api/suppressions', { email: 'a@b.example', colour: 'red' }, /colour/],
        ['GET', '/api/suppressions/not-an-address', undefined, /^email: not an email address: "not-an-address"/],
        ['GET', '/api/suppressions?limit=0', undefined, /^limit: not a plain decimal integer/],
        ['GET', '/api/suppressions?state=gone', undefined, /^state: not one of/],
        ['GET', '/api/suppressions?reason=bounced', undefined, /^reason: not one of/],
      ];
      for (const [method, url, body, message] of cases) {
        const response = await s.api(method as 'GET' | 'POST', url, body);
        expect(response.status, url).toBe(400);
        expect(response.body.message, url).toMatch(message);
      }
      expect((await s.api('GET', '/api/suppressions/never@corp.example')).status).toBe(404);
      const anonymous = await s.app.inject({ method: 'GET', url: '/api/suppressions' });
      expect(anonymous.statusCode).toBe(401);
    });
  });
}
