/** Sending through a real SMTP exchange (nodemailer to a local smtp-server) and recording the relay's answer. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParsedMail } from 'mailparser';
import { smtpMailer } from '../src/adapters/smtp/smtp-mailer.js';
import { startSmtpSink, type SmtpSink } from '../src/adapters/smtp/smtp-sink.js';
import { startTestServer, type TestServer } from './support/server.js';

describe('sending over SMTP', () => {
  let sink: SmtpSink;
  let s: TestServer;
  let executionId: number;
  const inbox: { mail: ParsedMail; to: string[] }[] = [];
  const mailer = { current: null as ReturnType<typeof smtpMailer> | null };

  beforeAll(async () => {
    sink = await startSmtpSink((mail, to) => inbox.push({ mail, to }), {
      rejectRecipient: (address) =>
        address.startsWith('gone@') ? { code: 550, message: '5.1.1 no such user' } : address.startsWith('busy@') ? { code: 451, message: '4.3.0 try again later' } : null,
    });
    mailer.current = smtpMailer(`smtp://127.0.0.1:${sink.port}`);
    s = await startTestServer('sqlite', { MAIL_FROM: 'News <news@shop.example>' }, mailer.current);
    const campaign = await s.api('POST', '/api/campaigns', { name: 'sending' });
    const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, {
      subject: 'Hello from the shop',
      html: '<html><body><p><a href="https://shop.example/x">Shop</a></p></body></html>',
      text: 'Shop at https://shop.example/x',
    });
    executionId = execution.body.id;
  });
  afterAll(async () => {
    await s?.close();
    mailer.current?.close();
    await sink?.close();
  });

  it('sends the instrumented message with its list headers and records sent on a 250', async () => {
    const created = await s.api('POST', '/api/messages', { executionId, to: ['ann@corp.example'], cc: ['boss@corp.example'], send: true });
    expect(created.status).toBe(201);
    expect(created.body.send).toMatchObject({ accepted: true, status: 'sent' });
    const delivered = inbox.find((m) => m.to.includes('ann@corp.example'))!;
    expect(delivered.to.sort()).toEqual(['ann@corp.example', 'boss@corp.example']);
    expect(delivered.mail.subject).toBe('Hello from the shop');
    expect(delivered.mail.from?.value[0]).toMatchObject({ name: 'News', address: 'news@shop.example' });
    expect(delivered.mail.html).toContain(created.body.links[0].tracked);
    expect(delivered.mail.text).toContain(created.body.links[1].tracked);
    const header = (key: string) => delivered.mail.headerLines.find((h) => h.key === key)?.line;
    expect(header('list-unsubscribe-post')).toBe('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(header('list-unsubscribe')).toBe(`List-Unsubscribe: ${created.body.headers['List-Unsubscribe']}`);
    const view = await s.api('GET', `/api/messages/${created.body.id}`);
    expect(view.body.status.state).toBe('sent');
    expect(view.body.events.find((e: any) => e.type === 'sent')).toMatchObject({ source: 'smtp', detail: { response: expect.stringMatching(/^250/) } });
  });

  it('records a permanent refusal as a bounce and a temporary one as deferred', async () => {
    const gone = await s.api('POST', '/api/messages', { executionId, to: ['gone@corp.example'], send: true });
    expect(gone.status).toBe(502);
    expect(gone.body.send).toMatchObject({ accepted: false, status: 'bounced' });
    const busy = await s.api('POST', '/api/messages', { executionId, to: ['busy@corp.example'], send: true });
    expect(busy.status).toBe(502);
    expect(busy.body.send).toMatchObject({ accepted: false, status: 'deferred' });
    const view = await s.api('GET', `/api/messages/${gone.body.id}`);
    expect(view.body.events.find((e: any) => e.type === 'bounced').detail).toMatchObject({ code: 550 });
  });

  it('refuses to send twice, and refuses suppressed addresses', async () => {
    const created = await s.api('POST', '/api/messages', { executionId, to: ['twice@corp.example'], send: true });
    const again = await s.api('POST', `/api/messages/${created.body.id}/send`);
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already sent/);
    await s.api('POST', `/api/messages/${created.body.id}/events`, { type: 'complained' });
    const next = await s.api('POST', '/api/messages', { executionId, to: ['twice@corp.example'], send: true });
    expect(next.body.status.state).toBe('blocked');
    expect(next.body.send).toBeNull();
  });
});

describe('sending without a relay', () => {
  it('answers 501 naming the missing setting', async () => {
    const s = await startTestServer('sqlite');
    try {
      const campaign = await s.api('POST', '/api/campaigns', { name: 'x' });
      const execution = await s.api('POST', `/api/campaigns/${campaign.body.id}/executions`, { subject: 's', text: 'hi' });
      const created = await s.api('POST', '/api/messages', { executionId: execution.body.id, to: ['a@corp.example'] });
      const sent = await s.api('POST', `/api/messages/${created.body.id}/send`);
      expect(sent.status).toBe(501);
      expect(sent.body.message).toMatch(/SMTP_URL/);
    } finally {
      await s.close();
    }
  });
});
