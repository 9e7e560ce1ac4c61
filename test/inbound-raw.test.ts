/**
 * The raw mail of a report kept for review, on every dialect: served as a download with headers
 * that keep a browser from rendering it (or running anything in it) on the dashboard's origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialects } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';

/** Mail a stranger could send to the bounce address: HTML with a script, not a report. */
const HOSTILE = 'From: someone@elsewhere.test\r\nSubject: hello\r\nContent-Type: text/html\r\n\r\n<script>fetch("/api/keys",{method:"POST"})</script>\r\n';

for (const dialect of await testDialects()) {
  describe(`raw mail of an inbound report (${dialect})`, () => {
    let s: TestServer;
    let reportId: number;
    beforeAll(async () => {
      s = await startTestServer(dialect);
      const [result] = await s.services.mail.ingestMany([{ raw: Buffer.from(HOSTILE), origin: 'file:hostile' }]);
      expect(result!.kept).toBe('not-a-report');
      const kept = (await s.api('GET', '/api/inbound-reports')).body.reports as { id: number }[];
      reportId = kept[0]!.id;
    });
    afterAll(async () => s?.close());

    it('is an attachment, not sniffed, sandboxed, with the mail unchanged', async () => {
      const response = await s.app.inject({ method: 'GET', url: `/api/inbound-reports/${reportId}/raw`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^message\/rfc822/);
      expect(response.headers['content-disposition']).toBe(`attachment; filename="inbound-${reportId}.eml"`);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
      expect(response.body).toBe(HOSTILE);
    });

    it('answers 404 for a report that does not exist, without the download headers', async () => {
      const response = await s.app.inject({ method: 'GET', url: `/api/inbound-reports/${reportId + 1000}/raw`, headers: { authorization: `Bearer ${s.apiKey}` } });
      expect(response.statusCode).toBe(404);
      expect(response.headers['content-disposition']).toBeUndefined();
    });
  });
}
