import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { createMailjetWebhook, parseMailjet } from './mailjet.js';
import { WebhookAuthError, WebhookPayloadError, type WebhookRequest } from './provider.js';
import { derivedEventId } from './webhook-json.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/webhooks/mailjet/${name}.json`, import.meta.url));
const parse = (name: string) => parseMailjet(fixture(name)).outcomes;
const TOKEN = 'AhIAAQIDBAUGBwgJCgsM';
const MESSAGE = '1152921525486207071';
const reference = (providerMessageId: string, token: string | null = null) => ({ token, providerMessageId, messageIdHeader: null, envelopeId: null });
const common = { event: '', messageGuid: '1ab23cd4-e567-8901-2345-6789f0a1b2c3', campaignId: '7257', contactId: '4', customCampaign: null, customId: 'helloworld' };
const at = (seconds: number) => seconds * 1000;
const AGENT = 'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0';

describe('each event', () => {
  test('sent: delivered (accepted by the recipient server), the 19-digit MessageID exact, the token from Payload', () => {
    expect(parse('sent')).toEqual([
      {
        kind: 'delivered',
        recipient: 'api@example.com',
        at: at(1794326400),
        reporter: 'mailjet',
        id: derivedEventId('mailjet', ['sent', MESSAGE, 'api@example.com', at(1794326400)]),
        reference: reference(MESSAGE, TOKEN),
        detail: { ...common, event: 'sent', smtpReply: 'sent (250 2.0.0 OK 1433333948 fa5si855896wjc.199 - gsmtp)' },
      },
    ]);
  });

  test('open: opened with address and user agent, the token from a JSON Payload; no machine flag', () => {
    expect(parse('open')).toEqual([
      {
        kind: 'opened',
        recipient: 'api@example.com',
        at: at(1794326500),
        reporter: 'mailjet',
        id: derivedEventId('mailjet', ['open', MESSAGE, 'api@example.com', at(1794326500)]),
        reference: reference(MESSAGE, TOKEN),
        machine: null,
        userAgent: AGENT,
        ip: '127.0.0.1',
        detail: { ...common, event: 'open', geo: 'US' },
      },
    ]);
  });

  test('click: clicked with its URL, which is part of the derived id', () => {
    expect(parse('click')).toEqual([
      {
        kind: 'clicked',
        recipient: 'api@example.com',
        at: at(1794326600),
        reporter: 'mailjet',
        id: derivedEventId('mailjet', ['click', MESSAGE, 'api@example.com', at(1794326600), 'https://mailjet.com']),
        reference: reference(MESSAGE),
        machine: null,
        userAgent: AGENT,
        ip: '127.0.0.1',
        url: 'https://mailjet.com',
        detail: { ...common, event: 'click', geo: 'FR' },
      },
    ]);
  });

  test('bounce, hard: user unknown, codes read from the comment; 2^53 + 1 kept exact', () => {
    expect(parse('bounce')).toEqual([
      {
        kind: 'bounced',
        recipient: 'bounce@example.com',
        at: at(1794326700),
        reporter: 'mailjet',
        id: derivedEventId('mailjet', ['bounce', '9007199254740993', 'bounce@example.com', at(1794326700)]),
        reference: reference('9007199254740993'),
        bounce: {
          hard: true,
          reason: 'userunknown',
          status: '5.1.1',
          replyCode: 550,
          diagnostic: '550 5.1.1 <bounce@example.com>: Recipient address rejected: User unknown in virtual mailbox table',
        },
        detail: {
          event: 'bounce',
          messageGuid: '2bc34de5-f678-9012-3456-7890a1b2c3d4',
          campaignId: '7173',
          contactId: '320',
          customCampaign: null,
          customId: null,
          errorRelatedTo: 'recipient',
          error: 'user unknown',
          hardBounce: true,
          blocked: false,
        },
      },
    ]);
  });

  test('bounce, soft: quota exceeded', () => {
    const [outcome] = parse('bounce-soft');
    expect(outcome).toMatchObject({ kind: 'bounced', reference: reference('19421777835146490'), detail: { hardBounce: false, error: 'quota exceeded' } });
    expect(outcome!.bounce).toEqual({
      hard: false,
      reason: 'mailboxfull',
      status: '4.2.2',
      replyCode: 452,
      diagnostic: '452 4.2.2 The email account that you tried to reach is over quota.',
    });
  });

  test('blocked: never sent, a suppressed address, the token from CustomID', () => {
    const [outcome] = parse('blocked');
    expect(outcome).toMatchObject({
      kind: 'blocked',
      recipient: 'old@example.com',
      reference: reference('1152921525486207072', TOKEN),
      detail: { event: 'blocked', errorRelatedTo: 'mailjet', error: 'preblocked', hardBounce: null, blocked: null },
    });
    expect(outcome!.bounce).toEqual({ hard: false, reason: 'suppressed', status: null, replyCode: null, diagnostic: 'preblocked' });
  });

  test('spam: complained (abuse), the feedback loop kept', () => {
    expect(parse('spam')).toEqual([
      {
        kind: 'complained',
        recipient: 'api@example.com',
        at: at(1794327000),
        reporter: 'mailjet',
        id: derivedEventId('mailjet', ['spam', MESSAGE, 'api@example.com', at(1794327000)]),
        reference: reference(MESSAGE),
        feedbackType: 'abuse',
        detail: { ...common, event: 'spam', source: 'JMRPP' },
      },
    ]);
  });

  test('unsub: unsubscribed', () => {
    expect(parse('unsub')).toEqual([
      {
        kind: 'unsubscribed',
        recipient: 'api@example.com',
        at: at(1794327100),
        reporter: 'mailjet',
        id: derivedEventId('mailjet', ['unsub', MESSAGE, 'api@example.com', at(1794327100)]),
        reference: reference(MESSAGE),
        detail: { ...common, event: 'unsub', listId: '1', ip: '127.0.0.1', agent: AGENT },
      },
    ]);
  });

  test('a batch: one outcome per event, in order', () => {
    expect(parse('batch').map((o) => [o.kind, o.reference.providerMessageId, o.at])).toEqual([
      ['opened', '1152921525486207073', at(1794327200)],
      ['clicked', '1152921525486207073', at(1794327260)],
    ]);
    expect(parseMailjet(Buffer.from('[]')).outcomes).toEqual([]);
  });
});

describe('Mailjet errors to reasons', () => {
  const failure = (event: 'bounce' | 'blocked', error: string, comment?: string) =>
    parseMailjet(Buffer.from(JSON.stringify({ event, time: 1794326700, MessageID: 1, email: 'a@example.com', error_related_to: 'x', error, comment }))).outcomes[0]!.bounce;

  test.each([
    ['user unknown', 'userunknown', true],
    ['mailbox inactive', 'suspend', false],
    ['quota exceeded', 'mailboxfull', false],
    ['invalid domain', 'hostunknown', true],
    ['no mail host', 'notaccept', true],
    ['relay/access denied', 'norelaying', false],
    ['greylisted', 'onhold', false],
    ['sender blocked', 'blocked', false],
    ['content blocked', 'spamdetected', false],
    ['policy issue', 'policyviolation', false],
    ['system issue', 'systemerror', false],
    ['protocol issue', 'syntaxerror', false],
    ['connection issue', 'networkerror', false],
    ['Preblocked', 'suppressed', false],
    ['spam reporter', 'suppressed', false],
    ['blacklisted', 'suppressed', false],
    ['duplicate in campaign', 'undefined', false],
    ['bad or empty template', 'contenterror', false],
    ['error in template language', 'contenterror', false],
    ['typofix', 'hostunknown', true],
  ])('%s -> %s (hard: %s)', (error, reason, hard) => {
    expect(failure('bounce', error)).toMatchObject({ reason, hard });
  });

  test('an error Mailjet does not list: the reason from the comment, else undefined', () => {
    expect(failure('bounce', 'something new', '554 5.7.1 Message rejected as spam')).toMatchObject({ reason: 'spamdetected', status: '5.7.1', replyCode: 554 });
    expect(failure('blocked', 'something new')).toMatchObject({ reason: 'undefined', hard: false, diagnostic: 'something new' });
  });
});

describe('big integers', () => {
  test('19-digit MessageIDs are kept exact, as numbers or strings, alone or in a batch', () => {
    const ids = ['9223372036854775807', '1152921525486207071', '9007199254740993', '1000000000000000001'];
    const body = `[${ids.map((id, i) => `{"event":"sent","time":1794326400,"MessageID":${i % 2 === 0 ? id : `"${id}"`},"email":"a${i}@example.com","mj_message_id":"${id}"}`).join(',')}]`;
    expect(parseMailjet(Buffer.from(body)).outcomes.map((o) => o.reference.providerMessageId)).toEqual(ids);
  });

  test('digits inside strings and escaped quotes are left alone', () => {
    const body = '{"event":"sent","time":1794326400,"MessageID":12345678901234567890,"email":"a@example.com","Payload":"x\\"12345678901234567891\\" y","CustomID":"99999999999999999999"}';
    const [outcome] = parseMailjet(Buffer.from(body)).outcomes;
    expect(outcome!.reference.providerMessageId).toBe('12345678901234567890');
    expect(outcome!.detail).toMatchObject({ customId: '99999999999999999999' });
  });
});

describe('refused payloads', () => {
  const valid = JSON.parse(fixture('click').toString()) as Record<string, unknown>;
  const without = (field: string) => Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(valid).filter(([key]) => key !== field))));

  test('malformed JSON', () => {
    expect(() => parseMailjet(Buffer.from('[{"event":"open"'))).toThrow(/mailjet webhook: the body is not JSON/);
    expect(() => parseMailjet(Buffer.from('{"MessageID": 0123}'))).toThrow(WebhookPayloadError);
    expect(() => parseMailjet(Buffer.from('42'))).toThrow(/event 0 is not a JSON object/);
  });

  test.each(['event', 'MessageID', 'email', 'time', 'url'])('a missing %s is named', (field) => {
    expect(() => parseMailjet(without(field))).toThrow(new WebhookPayloadError(`mailjet webhook: event 0: '${field}' is missing`));
  });

  test('wrong values are named', () => {
    expect(() => parseMailjet(Buffer.from(JSON.stringify({ ...valid, event: 'delivered' })))).toThrow(/'event' 'delivered' is not one of mailjet's values/);
    expect(() => parseMailjet(Buffer.from(JSON.stringify({ ...valid, MessageID: -3 })))).toThrow(/'MessageID' must be a non-negative integer/);
    expect(() => parseMailjet(Buffer.from(JSON.stringify({ ...valid, MessageID: '12a' })))).toThrow(/'MessageID' must be a non-negative integer/);
    expect(() => parseMailjet(Buffer.from(JSON.stringify({ ...valid, time: '1794326400' })))).toThrow(/'time' must be a number/);
  });

  test('a batch with one bad event is refused whole', () => {
    const batch = JSON.parse(fixture('batch').toString()) as Record<string, unknown>[];
    const { email: _email, ...second } = batch[1]!;
    expect(() => parseMailjet(Buffer.from(JSON.stringify([batch[0], second])))).toThrow(/event 1: 'email' is missing/);
  });
});

test('the same event parsed twice has the same id; two clicks in the same second on two links do not', () => {
  expect(parse('bounce')[0]!.id).toBe(parse('bounce')[0]!.id);
  const click = JSON.parse(fixture('click').toString()) as Record<string, unknown>;
  expect(parseMailjet(Buffer.from(JSON.stringify({ ...click, url: 'https://mailjet.com/other' }))).outcomes[0]!.id).not.toBe(parse('click')[0]!.id);
});

describe('createMailjetWebhook', () => {
  const request = (query: Record<string, string>, headers: WebhookRequest['headers'] = {}): WebhookRequest => ({
    rawBody: fixture('sent'),
    headers,
    query,
    clientAddress: '203.0.113.5',
    now: Date.UTC(2026, 10, 11),
  });

  test('authenticates with a secret in the URL, then parses', async () => {
    const provider = createMailjetWebhook({ credentials: { scheme: 'query', parameter: 'secret', secret: 'mj-secret' } });
    expect(provider.name).toBe('mailjet');
    await expect(provider.authenticate(request({ secret: 'mj-secret' }))).resolves.toBeUndefined();
    expect(provider.parse(request({ secret: 'mj-secret' })).outcomes[0]!.reference.providerMessageId).toBe(MESSAGE);
    await expect(provider.authenticate(request({ secret: 'wrong' }))).rejects.toThrow(WebhookAuthError);
    await expect(provider.authenticate(request({}, { authorization: 'Bearer mj-secret' }))).rejects.toThrow(/missing 'secret' query parameter/);
  });

  test('refuses to build without a secret', () => {
    expect(() => createMailjetWebhook({ credentials: { scheme: 'query', parameter: 'secret', secret: '' } })).toThrow(/credentials\.secret is empty/);
  });
});
