import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createPostmarkWebhook, parsePostmark } from './postmark.js';
import { WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './provider.js';
import { derivedEventId } from './webhook-json.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/webhooks/postmark/${name}.json`, import.meta.url));
const parse = (name: string) => parsePostmark(fixture(name)).outcomes;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const TOKEN = 'AhIAAQIDBAUGBwgJCgsM';
const MESSAGE = '883953f4-6105-42a2-a16a-77a8eac79483';
const reference = (providerMessageId: string | null, token: string | null = TOKEN) => ({ token, providerMessageId, messageIdHeader: null, envelopeId: null });

describe('each record type', () => {
  test('Delivery: delivered', () => {
    expect(parse('delivery')).toEqual([
      {
        kind: 'delivered',
        recipient: 'john@example.com',
        at: Date.UTC(2026, 10, 5, 16, 33, 54, 907),
        reporter: 'postmark',
        id: derivedEventId('postmark', ['Delivery', MESSAGE, 'john@example.com', '2026-11-05T16:33:54.9070259Z']),
        reference: reference(MESSAGE),
        detail: { event: 'Delivery', tag: 'welcome-email', messageStream: 'outbound', details: 'smtp;250 2.0.0 OK 1572971634 x1si123 - gsmtp' },
      },
    ]);
  });

  test('Bounce HardBounce: a hard bounce, its int64 ID kept exact, codes read from Details', () => {
    expect(parse('bounce')).toEqual([
      {
        kind: 'bounced',
        recipient: 'john@example.com',
        at: Date.UTC(2026, 10, 5, 16, 33, 54, 907),
        reporter: 'postmark',
        id: 'bounce-4323372036854775807',
        reference: reference(MESSAGE),
        bounce: {
          hard: true,
          reason: 'userunknown',
          status: '5.1.1',
          replyCode: 550,
          diagnostic: 'smtp;550 5.1.1 The email account that you tried to reach does not exist.',
        },
        detail: {
          event: 'Bounce',
          tag: 'Test',
          messageStream: 'outbound',
          type: 'HardBounce',
          description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
          inactive: true,
          canActivate: true,
        },
      },
    ]);
  });

  test('Bounce DnsError: soft, a lookup that failed (Postmark calls it temporary)', () => {
    const [outcome] = parse('bounce-dns-error');
    expect(outcome).toMatchObject({ kind: 'bounced', recipient: 'ops@example.net', id: 'bounce-692560173', reference: reference('0f9e38c1-5d0c-4b4c-9e3c-4f1d58c0a1b2', null) });
    expect(outcome!.bounce).toEqual({ hard: false, reason: 'networkerror', status: null, replyCode: null, diagnostic: 'DNS lookup for example.net timed out' });
    expect(outcome!.detail).toMatchObject({ tag: null });
  });

  test('Bounce Transient: deferred, its reason from the text, the time with its offset', () => {
    const [outcome] = parse('bounce-transient');
    expect(outcome).toMatchObject({ kind: 'deferred', recipient: 'full@example.org', at: Date.UTC(2026, 10, 6, 7, 5, 0, 123) });
    expect(outcome!.bounce).toEqual({
      hard: false,
      reason: 'mailboxfull',
      status: '4.2.2',
      replyCode: 452,
      diagnostic: 'smtp;452 4.2.2 The email account that you tried to reach is over quota.',
    });
  });

  test('Bounce AutoResponder: an auto-reply, not a bounce', () => {
    const outcomes = parse('bounce-auto-responder');
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ kind: 'auto-reply', recipient: 'away@example.org', id: 'bounce-692560175', detail: { type: 'AutoResponder' } });
    expect(outcomes[0]!.bounce).toBeUndefined();
  });

  test('SpamComplaint: complained (abuse), keyed by the bounce ID', () => {
    expect(parse('spam-complaint')).toEqual([
      {
        kind: 'complained',
        recipient: 'john@example.com',
        at: Date.UTC(2026, 10, 5, 16, 33, 54, 907),
        reporter: 'postmark',
        id: 'bounce-42',
        reference: reference('00000000-0000-0000-0000-000000000000', null),
        feedbackType: 'abuse',
        detail: { event: 'SpamComplaint', tag: 'Test', messageStream: 'outbound' },
      },
    ]);
  });

  test('Open: opened, with the user agent and the Geo address; Postmark gives no machine flag', () => {
    expect(parse('open')).toEqual([
      {
        kind: 'opened',
        recipient: 'john@example.com',
        at: Date.UTC(2026, 10, 5, 16, 40, 12, 501),
        reporter: 'postmark',
        id: derivedEventId('postmark', ['Open', MESSAGE, 'john@example.com', '2026-11-05T16:40:12.5012345Z']),
        reference: reference(MESSAGE),
        machine: null,
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/35.0.1916.153 Safari/537.36',
        ip: '188.2.95.4',
        detail: { event: 'Open', tag: 'welcome-email', messageStream: 'outbound', firstOpen: true, readSeconds: 5, platform: 'WebMail' },
      },
    ]);
  });

  test('Click: clicked, with the original link', () => {
    expect(parse('click')).toEqual([
      {
        kind: 'clicked',
        recipient: 'john@example.com',
        at: Date.UTC(2026, 10, 5, 16, 41, 0, 0),
        reporter: 'postmark',
        id: derivedEventId('postmark', ['Click', MESSAGE, 'john@example.com', '2026-11-05T16:41:00.0000000Z']),
        reference: reference(MESSAGE),
        machine: null,
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_7_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/35.0.1916.153 Safari/537.36',
        ip: '188.2.95.4',
        url: 'https://example.com/offer?utm_source=mail',
        detail: { event: 'Click', tag: 'welcome-email', messageStream: 'outbound', clickLocation: 'HTML', platform: 'Desktop' },
      },
    ]);
  });

  test('SubscriptionChange, a manual suppression: unsubscribed', () => {
    expect(parse('subscription-change')).toEqual([
      {
        kind: 'unsubscribed',
        recipient: 'john@example.com',
        at: Date.UTC(2026, 10, 5, 17, 0, 0, 416),
        reporter: 'postmark',
        id: derivedEventId('postmark', ['SubscriptionChange', MESSAGE, 'john@example.com', '2026-11-05T17:00:00.416071Z']),
        reference: reference(MESSAGE),
        detail: { event: 'SubscriptionChange', tag: 'welcome-email', messageStream: 'outbound', suppressionReason: 'ManualSuppression', origin: 'Recipient' },
      },
    ]);
  });

  test('SubscriptionChange after a hard bounce, or a reactivation: nothing (the Bounce record reports the fact)', () => {
    expect(parse('subscription-change-hard-bounce')).toEqual([]);
    expect(parse('subscription-change-reactivated')).toEqual([]);
  });
});

describe('bounce types', () => {
  const bounce = (Type: string, Details = '') =>
    parsePostmark(json({ RecordType: 'Bounce', ID: 7, Type, MessageID: 'm-1', Email: 'a@example.com', BouncedAt: '2026-11-05T16:33:54Z', Details })).outcomes;

  test.each([
    ['HardBounce', 'bounced', 'userunknown', true],
    ['BadEmailAddress', 'bounced', 'userunknown', true],
    ['AddressChange', 'bounced', 'hasmoved', true],
    ['SoftBounce', 'bounced', 'undefined', false],
    ['Unknown', 'bounced', 'undefined', false],
    ['SpamNotification', 'bounced', 'spamdetected', false],
    ['VirusNotification', 'bounced', 'virusdetected', false],
    ['Blocked', 'bounced', 'blocked', false],
    ['DMARCPolicy', 'bounced', 'authfailure', false],
    ['DnsError', 'bounced', 'networkerror', false],
    ['Transient', 'deferred', 'undefined', false],
    ['ManuallyDeactivated', 'blocked', 'suppressed', false],
    ['Unconfirmed', 'blocked', 'suppressed', false],
    ['SMTPApiError', 'blocked', 'systemerror', false],
    ['TemplateRenderingFailed', 'blocked', 'contenterror', false],
  ])('%s -> %s (%s)', (type, kind, reason, hard) => {
    const [outcome] = bounce(type);
    expect(outcome).toMatchObject({ kind, bounce: { reason, hard } });
  });

  test.each([
    ['SpamComplaint', 'complained'],
    ['Unsubscribe', 'unsubscribed'],
    ['AutoResponder', 'auto-reply'],
    ['ChallengeVerification', 'auto-reply'],
  ])('%s -> %s, without bounce facts', (type, kind) => {
    const [outcome] = bounce(type);
    expect(outcome).toMatchObject({ kind });
    expect(outcome!.bounce).toBeUndefined();
  });

  test.each(['Subscribe', 'OpenRelayTest', 'InboxPlacement'])('%s -> no outcome', (type) => {
    expect(bounce(type)).toEqual([]);
  });

  test('a soft bounce whose text names the reason takes it; a dead domain under DnsError is hard', () => {
    expect(bounce('SoftBounce', '552 5.2.2 Mailbox full')[0]!.bounce).toEqual({ hard: false, reason: 'mailboxfull', status: '5.2.2', replyCode: 552, diagnostic: '552 5.2.2 Mailbox full' });
    expect(bounce('DnsError', 'Host or domain name not found')[0]!.bounce).toMatchObject({ hard: true, reason: 'hostunknown' });
  });

  test('an unknown Type is refused naming it', () => {
    expect(() => bounce('Bogus')).toThrow(/event 0: 'Type' 'Bogus' is not one of postmark's values/);
  });
});

describe('refused payloads', () => {
  const valid = JSON.parse(fixture('delivery').toString()) as Record<string, unknown>;
  const without = (field: string) => json(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== field)));

  test('malformed JSON', () => {
    expect(() => parsePostmark(Buffer.from('{"RecordType": "Delivery",'))).toThrow(WebhookPayloadError);
    expect(() => parsePostmark(Buffer.from('{"RecordType": "Delivery",'))).toThrow(/postmark webhook: the body is not JSON/);
    expect(() => parsePostmark(Buffer.from([0xff, 0xfe]))).toThrow(/not UTF-8/);
  });

  test.each(['RecordType', 'MessageID', 'Recipient', 'DeliveredAt'])('a missing %s is named', (field) => {
    expect(() => parsePostmark(without(field))).toThrow(new WebhookPayloadError(`postmark webhook: event 0: '${field}' is missing`));
  });

  test('wrong types and values are named', () => {
    expect(() => parsePostmark(json({ ...valid, RecordType: 'Inbound' }))).toThrow(/'RecordType' 'Inbound' is not one of/);
    expect(() => parsePostmark(json({ ...valid, DeliveredAt: '2026-11-05 16:33:54' }))).toThrow(/'DeliveredAt' must be an ISO 8601 time with its offset/);
    expect(() => parsePostmark(json({ ...valid, Recipient: 'nobody' }))).toThrow(/'Recipient' is not an email address/);
    expect(() => parsePostmark(json({ ...valid, Metadata: 'x' }))).toThrow(/'Metadata' must be an object/);
    expect(() => parsePostmark(json({ RecordType: 'Bounce', ID: 'abc', Type: 'HardBounce', MessageID: 'm', Email: 'a@b.c', BouncedAt: '2026-01-01T00:00:00Z' }))).toThrow(
      /'ID' must be a non-negative integer/,
    );
    expect(() => parsePostmark(json({ RecordType: 'Click', MessageID: 'm', Recipient: 'a@b.c', ReceivedAt: '2026-01-01T00:00:00Z' }))).toThrow(/'OriginalLink' is missing/);
    expect(() => parsePostmark(json({ RecordType: 'SubscriptionChange', Recipient: 'a@b.c', ChangedAt: '2026-01-01T00:00:00Z' }))).toThrow(/'SuppressSending' is missing/);
  });

  test('a batch with one bad record is refused whole', () => {
    expect(() => parsePostmark(json([valid, { ...valid, Recipient: undefined }]))).toThrow(/event 1: 'Recipient' is missing/);
  });
});

test('the same record parsed twice has the same id; another time, another id', () => {
  expect(parse('open')[0]!.id).toBe(parse('open')[0]!.id);
  const open = JSON.parse(fixture('open').toString()) as Record<string, unknown>;
  expect(parsePostmark(json({ ...open, ReceivedAt: '2026-11-05T16:40:13Z' })).outcomes[0]!.id).not.toBe(parse('open')[0]!.id);
});

describe('createPostmarkWebhook', () => {
  const request = (authorization?: string): WebhookRequest => ({
    rawBody: fixture('delivery'),
    headers: authorization === undefined ? {} : { authorization },
    query: {},
    clientAddress: '50.31.156.6',
    now: Date.UTC(2026, 10, 6),
  });
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  test('authenticates with basic auth, then parses', async () => {
    const provider = createPostmarkWebhook({ credentials: { scheme: 'basic', user: 'postmark', password: 'pw' }, allowedSources: ['50.31.156.6'] });
    expect(provider.name).toBe('postmark');
    await expect(provider.authenticate(request(basic('postmark', 'pw')))).resolves.toBeUndefined();
    expect(provider.parse(request(basic('postmark', 'pw'))).outcomes).toHaveLength(1);
    await expect(provider.authenticate(request(basic('postmark', 'nope')))).rejects.toThrow(WebhookAuthError);
    await expect(provider.authenticate(request())).rejects.toThrow(/missing Authorization/);
    await expect(provider.authenticate(request('Bearer pw'))).rejects.toThrow(/Basic expected/);
    await expect(provider.authenticate({ ...request(basic('postmark', 'pw')), clientAddress: '198.51.100.1' })).rejects.toThrow(/not in the allowed sources/);
  });

  test('refuses to build without a secret', () => {
    expect(() => createPostmarkWebhook({ credentials: { scheme: 'basic', user: 'postmark', password: '' } })).toThrow(/credentials\.password is empty/);
  });
});
