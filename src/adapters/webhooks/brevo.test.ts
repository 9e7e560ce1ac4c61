import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import { BREVO_SOURCE_RANGES, createBrevoWebhook, parseBrevo } from './brevo.js';
import { WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './provider.js';
import { derivedEventId } from './webhook-json.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/webhooks/brevo/${name}.json`, import.meta.url));
const parse = (name: string) => parseBrevo(fixture(name)).outcomes;
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const TOKEN = 'AhIAAQIDBAUGBwgJCgsM';
const MESSAGE_ID = '<202611101600.23094875683@smtp-relay.mailin.fr>';
const RECIPIENT = 'example@domain.com';
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)';

/** What every fixture but list-addition shares; `seconds` is its ts_event, ts_epoch is that + 123 ms. */
function expected(event: string, kind: ReportedOutcome['kind'], seconds: number, extra: Partial<ReportedOutcome> = {}, idExtra: string[] = []): ReportedOutcome {
  const at = seconds * 1000 + 123;
  return {
    kind,
    recipient: RECIPIENT,
    at,
    reporter: 'brevo',
    id: derivedEventId('brevo', [event, MESSAGE_ID, RECIPIENT, at, ...idExtra]),
    reference: { token: TOKEN, providerMessageId: MESSAGE_ID, messageIdHeader: '202611101600.23094875683@smtp-relay.mailin.fr', envelopeId: null },
    detail: { event, subject: 'My first Transactional', tags: ['transac_messages'], templateId: '22', sendingIp: '185.41.28.109' },
    ...extra,
  };
}
const facts = (hard: boolean, reason: string, diagnostic: string, status: string | null = null, replyCode: number | null = null) => ({ bounce: { hard, reason, status, replyCode, diagnostic } }) as Partial<ReportedOutcome>;

describe('each event', () => {
  test.each<[string, ReportedOutcome]>([
    ['request', expected('request', 'sent', 1794326400)],
    ['delivered', expected('delivered', 'delivered', 1794326401)],
    [
      'hard-bounce',
      expected(
        'hard_bounce',
        'bounced',
        1794326402,
        facts(true, 'userunknown', '550 5.1.1 <example@domain.com>: Recipient address rejected: User unknown in local recipient table', '5.1.1', 550),
      ),
    ],
    ['soft-bounce', expected('soft_bounce', 'bounced', 1794326403, facts(false, 'mailboxfull', '552 5.2.2 Mailbox full', '5.2.2', 552))],
    ['deferred', expected('deferred', 'deferred', 1794326404, facts(false, 'systemerror', '421 4.7.0 Try again later, closing connection', '4.7.0', 421))],
    ['blocked', expected('blocked', 'blocked', 1794326405, facts(false, 'suppressed', 'blocked : due to blacklist user'))],
    ['invalid-email', expected('invalid_email', 'blocked', 1794326406, facts(true, 'userunknown', 'invalid email address'))],
    ['spam', expected('spam', 'complained', 1794326407, { feedbackType: 'abuse' })],
    ['error', expected('error', 'blocked', 1794326408, facts(false, 'systemerror', 'sender not valid'))],
    ['opened', expected('opened', 'opened', 1794326409, { machine: false, userAgent: UA })],
    ['unique-opened', expected('unique_opened', 'opened', 1794326409, { machine: false, userAgent: UA })],
    ['proxy-open', expected('proxy_open', 'opened', 1794326410, { machine: true, userAgent: 'Mozilla/5.0', flag: 'provider:brevo-proxy-open' })],
    ['click', expected('click', 'clicked', 1794326411, { machine: null, userAgent: UA, url: 'https://example.com/offer?x=1' }, ['https://example.com/offer?x=1'])],
    ['unsubscribed', expected('unsubscribed', 'unsubscribed', 1794326412)],
  ])('%s', (name, outcome) => {
    expect(parse(name)).toEqual([outcome]);
  });

  test('list_addition: no outcome (about a contact list, not a message)', () => {
    expect(parse('list-addition')).toEqual([]);
  });

  test('a batch without ts_epoch: ts_event in seconds, a date with its offset, the token from a tag', () => {
    const [delivered, click] = parse('batch');
    expect(delivered).toMatchObject({
      kind: 'delivered',
      at: 1794326500_000,
      id: derivedEventId('brevo', ['delivered', '<b1@smtp-relay.mailin.fr>', 'a@example.com', 1794326500_000]),
      reference: { token: TOKEN, providerMessageId: '<b1@smtp-relay.mailin.fr>', messageIdHeader: 'b1@smtp-relay.mailin.fr' },
    });
    expect(click).toMatchObject({
      kind: 'clicked',
      at: Date.UTC(2026, 10, 10, 16, 1, 0),
      id: derivedEventId('brevo', ['click', '<b1@smtp-relay.mailin.fr>', 'a@example.com', '2026-11-10T17:01:00+01:00', 'https://example.com/b']),
      reference: { token: null },
    });
  });

  test('a date without its zone is not guessed: at is null, the id still stable', () => {
    const body = json({ event: 'delivered', email: 'a@example.com', 'message-id': '<m@x>', date: '2026-11-10 17:00:00' });
    const [outcome] = parseBrevo(body).outcomes;
    expect(outcome!.at).toBeNull();
    expect(outcome!.id).toBe(derivedEventId('brevo', ['delivered', '<m@x>', 'a@example.com', '2026-11-10 17:00:00']));
  });

  test('the token from X-Mailin-custom as JSON', () => {
    const body = json({ event: 'delivered', email: 'a@example.com', 'message-id': '<m@x>', ts_epoch: 1794326400000, 'X-Mailin-custom': '{"mailsight_token":"abc_DEF-1"}' });
    expect(parseBrevo(body).outcomes[0]!.reference.token).toBe('abc_DEF-1');
  });
});

describe('refused payloads', () => {
  const valid = JSON.parse(fixture('click').toString()) as Record<string, unknown>;
  const without = (...fields: string[]) => json(Object.fromEntries(Object.entries(valid).filter(([key]) => !fields.includes(key))));

  test('malformed JSON', () => {
    expect(() => parseBrevo(Buffer.from('{"event": "delivered"'))).toThrow(/brevo webhook: the body is not JSON/);
    expect(() => parseBrevo(Buffer.from('null'))).toThrow(/event 0 is not a JSON object/);
  });

  test.each(['event', 'email', 'message-id', 'link'])('a missing %s is named', (field) => {
    expect(() => parseBrevo(without(field))).toThrow(new WebhookPayloadError(`brevo webhook: event 0: '${field}' is missing`));
  });

  test('no time at all is named', () => {
    expect(() => parseBrevo(without('ts_epoch', 'ts_event', 'ts', 'date'))).toThrow(/'ts_epoch' is missing \(and so are ts_event, ts and date\)/);
  });

  test('wrong values are named', () => {
    expect(() => parseBrevo(json({ ...valid, event: 'clicked' }))).toThrow(/'event' 'clicked' is not one of brevo's values/);
    expect(() => parseBrevo(json({ ...valid, ts_epoch: '1794326411123' }))).toThrow(/'ts_epoch' must be a number/);
    expect(() => parseBrevo(json({ ...valid, ts_epoch: 1.5 }))).toThrow(/'ts_epoch' must be a positive time in epoch milliseconds/);
    expect(() => parseBrevo(json({ ...valid, tags: 'x' }))).toThrow(/'tags' must be a list of strings/);
    expect(() => parseBrevo(json({ ...valid, email: 42 }))).toThrow(/'email' must be a string/);
  });

  test('a batch with one bad event is refused whole', () => {
    expect(() => parseBrevo(json([valid, valid, { ...valid, 'message-id': '' }]))).toThrow(/event 2: 'message-id' is empty/);
  });
});

test('the same event parsed twice has the same id; another time, another id', () => {
  expect(parse('opened')[0]!.id).toBe(parse('opened')[0]!.id);
  const opened = JSON.parse(fixture('opened').toString()) as Record<string, unknown>;
  expect(parseBrevo(json({ ...opened, ts_epoch: 1794326409124 })).outcomes[0]!.id).not.toBe(parse('opened')[0]!.id);
});

describe('createBrevoWebhook', () => {
  const request = (authorization: string | undefined, clientAddress = '1.179.112.10'): WebhookRequest => ({
    rawBody: fixture('delivered'),
    headers: authorization === undefined ? {} : { authorization },
    query: {},
    clientAddress,
    now: Date.UTC(2026, 10, 11),
  });
  const settings = { credentials: { scheme: 'bearer', token: 'brevo-token' }, allowedSources: BREVO_SOURCE_RANGES } as const;

  test('authenticates with a bearer token from a Brevo address, then parses', async () => {
    const provider = createBrevoWebhook(settings);
    expect(provider.name).toBe('brevo');
    await expect(provider.authenticate(request('Bearer brevo-token'))).resolves.toBeUndefined();
    expect(provider.parse(request('Bearer brevo-token')).outcomes[0]!.kind).toBe('delivered');
    await expect(provider.authenticate(request('Bearer other'))).rejects.toThrow(WebhookAuthError);
    await expect(provider.authenticate(request(undefined))).rejects.toThrow(/missing Authorization/);
    await expect(provider.authenticate(request(`Basic ${Buffer.from('u:brevo-token').toString('base64')}`))).rejects.toThrow(/Bearer expected/);
    await expect(provider.authenticate(request('Bearer brevo-token', '192.0.2.1'))).rejects.toThrow(/not in the allowed sources/);
  });

  test('refuses to build without a secret', () => {
    expect(() => createBrevoWebhook({ credentials: { scheme: 'bearer', token: '' } })).toThrow(/credentials\.token is empty/);
  });
});
