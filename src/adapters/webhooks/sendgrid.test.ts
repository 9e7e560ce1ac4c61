import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SENDGRID_REPLAY_WINDOW_MS, createSendGridWebhook } from './sendgrid.js';
import { WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './provider.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(process.cwd(), 'test/fixtures/webhooks/sendgrid', `${name}.json`), 'utf8'));

const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const VERIFICATION_KEY = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const SECONDS = String(Math.floor(NOW / 1000));

function signedRequest(body: string, options: { key?: KeyObject; timestamp?: string; now?: number } = {}): WebhookRequest {
  const timestamp = options.timestamp ?? SECONDS;
  const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), Buffer.from(body)]), options.key ?? privateKey).toString('base64');
  return {
    rawBody: Buffer.from(body),
    headers: { 'x-twilio-email-event-webhook-signature': signature, 'x-twilio-email-event-webhook-timestamp': timestamp },
    query: {},
    clientAddress: null,
    now: options.now ?? NOW,
  };
}

const sendgrid = () => createSendGridWebhook({ verificationKey: VERIFICATION_KEY });

async function outcomesOf(...names: string[]) {
  const provider = sendgrid();
  const request = signedRequest(JSON.stringify(names.map(fixture)));
  await provider.authenticate(request);
  return provider.parse(request).outcomes;
}

const REFERENCE = {
  token: 'tok_sendgrid',
  providerMessageId: 'W0wDmEq6SCKCwE2jXaT0_A',
  messageIdHeader: 'W0wDmEq6SCKCwE2jXaT0_A@ismtpd0001p1lon1.sendgrid.net',
};
const TRACKING_REFERENCE = { ...REFERENCE, messageIdHeader: null };
const at = (i: number) => (1796205600 + i) * 1000;

describe('sendgrid: the factory', () => {
  it('refuses to start without a usable verification key', () => {
    expect(() => createSendGridWebhook({ verificationKey: '' })).toThrow(/verificationKey is empty/);
    expect(() => createSendGridWebhook({} as { verificationKey: string })).toThrow(/verificationKey is empty/);
    expect(() => createSendGridWebhook({ verificationKey: 'bm90IGEga2V5' })).toThrow(/verificationKey is not a base64 DER public key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(() => createSendGridWebhook({ verificationKey: rsa })).toThrow(/P-256/);
  });
});

describe('sendgrid: authentication', () => {
  const body = JSON.stringify([fixture('delivered')]);

  it('accepts a request signed with the key, within the window', async () => {
    await expect(sendgrid().authenticate(signedRequest(body))).resolves.toBeUndefined();
    const late = signedRequest(body, { now: NOW + SENDGRID_REPLAY_WINDOW_MS });
    await expect(sendgrid().authenticate(late)).resolves.toBeUndefined();
  });

  it('refuses another key, a forged signature, a tampered body, a changed timestamp', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const good = signedRequest(body);
    const cases: WebhookRequest[] = [
      signedRequest(body, { key: other }),
      { ...good, headers: { ...good.headers, 'x-twilio-email-event-webhook-signature': Buffer.alloc(70, 1).toString('base64') } },
      { ...good, rawBody: Buffer.from(body.replace('Recipient@Example.com', 'victim@example.com')) },
      { ...good, headers: { ...good.headers, 'x-twilio-email-event-webhook-timestamp': String(Number(SECONDS) + 1) } },
    ];
    expect(cases[2]?.rawBody.equals(good.rawBody)).toBe(false);
    for (const request of cases) await expect(sendgrid().authenticate(request)).rejects.toThrow(/signature does not verify/);
  });

  it('refuses a timestamp outside the replay window, either way', async () => {
    const stale = signedRequest(body, { now: NOW + SENDGRID_REPLAY_WINDOW_MS + 1000 });
    await expect(sendgrid().authenticate(stale)).rejects.toThrow(/minutes from now/);
    const future = signedRequest(body, { now: NOW - SENDGRID_REPLAY_WINDOW_MS - 1000 });
    await expect(sendgrid().authenticate(future)).rejects.toThrow(/minutes from now/);
  });

  it('refuses missing or malformed headers', async () => {
    const good = signedRequest(body);
    const { 'x-twilio-email-event-webhook-signature': _signature, ...noSignature } = good.headers;
    await expect(sendgrid().authenticate({ ...good, headers: noSignature })).rejects.toThrow(/x-twilio-email-event-webhook-signature is missing/);
    const repeated = { ...good.headers, 'x-twilio-email-event-webhook-timestamp': [SECONDS, SECONDS] };
    await expect(sendgrid().authenticate({ ...good, headers: repeated })).rejects.toThrow(WebhookAuthError);
    await expect(sendgrid().authenticate(signedRequest(body, { timestamp: '1.7e9' }))).rejects.toThrow(/not epoch seconds/);
  });
});

describe('sendgrid: events', () => {
  it('every documented event, in one batch, in order; group_resubscribe gives none', async () => {
    const outcomes = await outcomesOf(
      'processed',
      'dropped',
      'delivered',
      'deferred',
      'bounce',
      'blocked',
      'open',
      'open-machine',
      'click',
      'spamreport',
      'unsubscribe',
      'group_unsubscribe',
      'group_resubscribe',
    );
    const category = ['newsletter'];
    expect(outcomes).toEqual([
      { kind: 'sent', recipient: 'recipient@example.com', at: at(0), reporter: 'sendgrid', id: 'sg_event_id_processed_0', reference: REFERENCE, detail: { event: 'processed', category } },
      {
        kind: 'blocked',
        recipient: 'recipient@example.com',
        at: at(1),
        reporter: 'sendgrid',
        id: 'sg_event_id_dropped_1',
        reference: REFERENCE,
        bounce: { hard: false, reason: 'suppressed', status: '5.0.0', replyCode: null, diagnostic: 'Bounced Address' },
        detail: { event: 'dropped', category },
      },
      {
        kind: 'delivered',
        recipient: 'recipient@example.com',
        at: at(2),
        reporter: 'sendgrid',
        id: 'sg_event_id_delivered_2',
        reference: REFERENCE,
        detail: { event: 'delivered', category, response: '250 OK' },
      },
      {
        kind: 'deferred',
        recipient: 'recipient@example.com',
        at: at(3),
        reporter: 'sendgrid',
        id: 'sg_event_id_deferred_3',
        reference: REFERENCE,
        bounce: { hard: false, reason: 'mailboxfull', status: '4.2.2', replyCode: 450, diagnostic: '450 4.2.2 Mailbox full, try again later' },
        detail: { event: 'deferred', category, attempt: '5' },
      },
      {
        kind: 'bounced',
        recipient: 'recipient@example.com',
        at: at(4),
        reporter: 'sendgrid',
        id: 'sg_event_id_bounce_4',
        reference: REFERENCE,
        bounce: { hard: true, reason: 'userunknown', status: '5.1.1', replyCode: 550, diagnostic: '550 5.1.1 The email account that you tried to reach does not exist.' },
        detail: { event: 'bounce', category, type: 'bounce', bounceClassification: 'Invalid Address' },
      },
      {
        kind: 'bounced',
        recipient: 'recipient@example.com',
        at: at(5),
        reporter: 'sendgrid',
        id: 'sg_event_id_bounce_5',
        reference: REFERENCE,
        bounce: { hard: false, reason: 'blocked', status: '5.7.1', replyCode: 550, diagnostic: '550 5.7.1 Service unavailable; client host blocked using Spamhaus' },
        detail: { event: 'bounce', category, type: 'blocked', bounceClassification: 'Reputation' },
      },
      {
        kind: 'opened',
        recipient: 'recipient@example.com',
        at: at(6),
        reporter: 'sendgrid',
        id: 'sg_event_id_open_6',
        reference: TRACKING_REFERENCE,
        machine: false,
        userAgent: 'Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)',
        ip: '255.255.255.255',
        detail: { event: 'open', category },
      },
      {
        kind: 'opened',
        recipient: 'recipient@example.com',
        at: at(7),
        reporter: 'sendgrid',
        id: 'sg_event_id_open_7',
        reference: TRACKING_REFERENCE,
        machine: true,
        userAgent: 'Mozilla/5.0',
        ip: '17.58.0.1',
        flag: 'provider:sendgrid-machine-open',
        detail: { event: 'open', category },
      },
      {
        kind: 'clicked',
        recipient: 'recipient@example.com',
        at: at(8),
        reporter: 'sendgrid',
        id: 'sg_event_id_click_8',
        reference: TRACKING_REFERENCE,
        url: 'http://www.sendgrid.com/',
        userAgent: 'Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)',
        ip: '255.255.255.255',
        detail: { event: 'click', category },
      },
      {
        kind: 'complained',
        recipient: 'recipient@example.com',
        at: at(9),
        reporter: 'sendgrid',
        id: 'sg_event_id_spamreport_9',
        reference: TRACKING_REFERENCE,
        feedbackType: 'spamreport',
        detail: { event: 'spamreport', category },
      },
      {
        kind: 'unsubscribed',
        recipient: 'recipient@example.com',
        at: at(10),
        reporter: 'sendgrid',
        id: 'sg_event_id_unsubscribe_10',
        reference: TRACKING_REFERENCE,
        detail: { event: 'unsubscribe', category },
      },
      {
        kind: 'unsubscribed',
        recipient: 'recipient@example.com',
        at: at(11),
        reporter: 'sendgrid',
        id: 'sg_event_id_group_unsubscribe_11',
        reference: TRACKING_REFERENCE,
        detail: { event: 'group_unsubscribe', category, asmGroupId: 10 },
      },
    ]);
  });

  it('a drop that is not a suppression is a rejection', async () => {
    const event = { ...fixture('dropped'), reason: 'Invalid SMTPAPI header' };
    const [outcome] = sendgrid().parse(signedRequest(JSON.stringify([event]))).outcomes;
    expect(outcome?.bounce).toMatchObject({ hard: false, reason: 'rejected', diagnostic: 'Invalid SMTPAPI header' });
  });

  it('a bounce with an unclassified reason reads the diagnostic; an unknown one stays hard', async () => {
    const parse = (event: Record<string, unknown>) => sendgrid().parse(signedRequest(JSON.stringify([event]))).outcomes[0]?.bounce;
    expect(parse({ ...fixture('bounce'), bounce_classification: 'Mailbox Unavailable', reason: '552 5.2.2 mailbox full', status: '5.2.2' })).toMatchObject({
      hard: false,
      reason: 'mailboxfull',
    });
    expect(parse({ ...fixture('bounce'), bounce_classification: 'Unclassified', reason: '550 rejected', status: '5.0.0' })).toMatchObject({
      hard: true,
      reason: 'undefined',
    });
  });

  it('without our custom argument or a message id, the reference says so', async () => {
    const { mailsight_token: _token, sg_message_id: _id, ...bare } = fixture('open');
    const [outcome] = sendgrid().parse(signedRequest(JSON.stringify([bare]))).outcomes;
    expect(outcome?.reference).toEqual({ token: null, providerMessageId: null, messageIdHeader: null });
  });
});

describe('sendgrid: payload errors name the field', () => {
  const parse = (body: string) => () => sendgrid().parse(signedRequest(body));

  it('a body that is not a JSON array', () => {
    expect(parse('{oops')).toThrow(new WebhookPayloadError('sendgrid: body is not JSON'));
    expect(parse(JSON.stringify(fixture('open')))).toThrow(/not an array of events/);
  });

  it('an unknown event, a missing field, a bounce without its type, a click without its url', () => {
    expect(parse(JSON.stringify([fixture('open'), { ...fixture('open'), event: 'teleport' }]))).toThrow(/\[1\]\.event "teleport" is not a SendGrid event/);
    const { sg_event_id: _id, ...noId } = fixture('delivered');
    expect(parse(JSON.stringify([noId]))).toThrow(/\[0\]\.sg_event_id: /);
    const { type: _type, ...noType } = fixture('bounce');
    expect(parse(JSON.stringify([noType]))).toThrow(/\[0\]\.type: /);
    const { url: _url, ...noUrl } = fixture('click');
    expect(parse(JSON.stringify([noUrl]))).toThrow(/\[0\]\.url: /);
    expect(parse(JSON.stringify([{ ...fixture('open'), timestamp: '1796205600' }]))).toThrow(/\[0\]\.timestamp: /);
  });
});
