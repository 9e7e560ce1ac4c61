import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAILGUN_NONCE_SCOPE, MAILGUN_REPLAY_WINDOW_MS, createMailgunWebhook } from './mailgun.js';
import { WebhookAuthError, WebhookPayloadError, type NonceRegistry, type WebhookRequest } from './provider.js';

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(resolve(process.cwd(), 'test/fixtures/webhooks/mailgun', `${name}.json`), 'utf8'));

const SIGNING_KEY = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0';
const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const SECONDS = String(Math.floor(NOW / 1000));

/** A NonceRegistry as the port describes it, over a Map; it records what it was asked. */
function memoryNonces(): NonceRegistry & { claims: Array<[string, string, number]> } {
  const seen = new Map<string, number>();
  const claims: Array<[string, string, number]> = [];
  return {
    claims,
    async claim(scope, value, expiresAt, now) {
      claims.push([scope, value, expiresAt]);
      const key = `${scope}:${value}`;
      const until = seen.get(key);
      if (until !== undefined && until > now) return false;
      seen.set(key, expiresAt);
      return true;
    },
  };
}

interface SignOptions {
  key?: string;
  timestamp?: string;
  token?: string;
  now?: number;
}

function signedRequest(eventData: unknown, options: SignOptions = {}): WebhookRequest {
  const timestamp = options.timestamp ?? SECONDS;
  const token = options.token ?? randomBytes(25).toString('hex');
  const signature = createHmac('sha256', options.key ?? SIGNING_KEY).update(timestamp + token).digest('hex');
  return rawRequest(JSON.stringify({ signature: { timestamp, token, signature }, 'event-data': eventData }), options.now);
}

function rawRequest(body: string, now = NOW): WebhookRequest {
  return { rawBody: Buffer.from(body), headers: { 'content-type': 'application/json' }, query: {}, clientAddress: null, now };
}

const mailgun = (nonces: NonceRegistry = memoryNonces()) => createMailgunWebhook({ signingKey: SIGNING_KEY, nonces });

async function outcomesOf(name: string) {
  const provider = mailgun();
  const request = signedRequest(fixture(name));
  await provider.authenticate(request);
  return provider.parse(request).outcomes;
}

const MESSAGE_ID = '20261203120000.1.2F7A3C4B5D6E7F80@mg.example.com';
const REFERENCE = { token: 'tok_mailgun', providerMessageId: MESSAGE_ID, messageIdHeader: MESSAGE_ID };
/** Mailgun's timestamps are seconds with microseconds: 1796299200.329574 + i, in ms. */
const at = (i: number) => (1796299200 + i) * 1000 + 330;
const base = (event: string, i: number) => ({
  recipient: 'alice@example.com',
  at: at(i),
  reporter: 'mailgun',
  id: `mg-${event}-${i}-CPgfbmQMTCKtHW6uIWtuVe`,
  reference: REFERENCE,
});

describe('mailgun: the factory', () => {
  it('refuses to start without a signing key or a nonce registry', () => {
    expect(() => createMailgunWebhook({ signingKey: '', nonces: memoryNonces() })).toThrow(/signingKey is empty/);
    expect(() => createMailgunWebhook({ signingKey: '  ', nonces: memoryNonces() })).toThrow(/signingKey is empty/);
    expect(() => createMailgunWebhook({ nonces: memoryNonces() } as never)).toThrow(/signingKey is empty/);
    expect(() => createMailgunWebhook({ signingKey: SIGNING_KEY } as never)).toThrow(/nonces is missing/);
  });
});

describe('mailgun: authentication', () => {
  it('accepts a signed, fresh, first-seen request and claims its token until the window closes', async () => {
    const nonces = memoryNonces();
    await mailgun(nonces).authenticate(signedRequest(fixture('delivered'), { token: 'once' }));
    expect(nonces.claims).toEqual([[MAILGUN_NONCE_SCOPE, 'once', Number(SECONDS) * 1000 + MAILGUN_REPLAY_WINDOW_MS]]);
  });

  it('refuses a reused token', async () => {
    const provider = mailgun();
    const request = signedRequest(fixture('delivered'));
    await provider.authenticate(request);
    await expect(provider.authenticate(request)).rejects.toThrow(/token was already used/);
  });

  it('refuses another key, a forged signature, a changed token or timestamp, without claiming the token', async () => {
    const nonces = memoryNonces();
    const provider = mailgun(nonces);
    const good = JSON.parse(signedRequest(fixture('delivered')).rawBody.toString());
    const variants = [
      JSON.parse(signedRequest(fixture('delivered'), { key: 'key-someone-else' }).rawBody.toString()),
      { ...good, signature: { ...good.signature, signature: 'ab'.repeat(32) } },
      { ...good, signature: { ...good.signature, token: `${good.signature.token}x` } },
      { ...good, signature: { ...good.signature, timestamp: String(Number(SECONDS) - 1) } },
    ];
    for (const body of variants) await expect(provider.authenticate(rawRequest(JSON.stringify(body)))).rejects.toThrow(/signature does not verify/);
    expect(nonces.claims).toEqual([]);
  });

  it('refuses a timestamp outside the window, either way', async () => {
    const stale = signedRequest(fixture('delivered'), { now: NOW + MAILGUN_REPLAY_WINDOW_MS + 1000 });
    await expect(mailgun().authenticate(stale)).rejects.toThrow(/signature\.timestamp is more than 10 minutes from now/);
    const future = signedRequest(fixture('delivered'), { now: NOW - MAILGUN_REPLAY_WINDOW_MS - 1000 });
    await expect(mailgun().authenticate(future)).rejects.toThrow(/more than 10 minutes/);
    const edge = signedRequest(fixture('delivered'), { now: NOW + MAILGUN_REPLAY_WINDOW_MS });
    await expect(mailgun().authenticate(edge)).resolves.toBeUndefined();
  });

  it('refuses a body without a signature block, or with a malformed one', async () => {
    const provider = mailgun();
    await expect(provider.authenticate(rawRequest('{oops'))).rejects.toThrow(new WebhookAuthError('mailgun: body is not JSON'));
    await expect(provider.authenticate(rawRequest(JSON.stringify({ 'event-data': fixture('delivered') })))).rejects.toThrow(/signature is missing/);
    const good = JSON.parse(signedRequest(fixture('delivered')).rawBody.toString());
    const short = { ...good, signature: { ...good.signature, signature: 'abc' } };
    await expect(provider.authenticate(rawRequest(JSON.stringify(short)))).rejects.toThrow(/signature\.signature is missing or malformed/);
    const { token: _token, ...noToken } = good.signature;
    await expect(provider.authenticate(rawRequest(JSON.stringify({ ...good, signature: noToken })))).rejects.toThrow(/signature\.token/);
  });
});

describe('mailgun: events', () => {
  it('accepted: sent', async () => {
    expect(await outcomesOf('accepted')).toEqual([{ kind: 'sent', ...base('accepted', 0), detail: { event: 'accepted', tags: ['newsletter'] } }]);
  });

  it('rejected: blocked, Mailgun refused it, naming no recipient', async () => {
    expect(await outcomesOf('rejected')).toEqual([
      {
        kind: 'blocked',
        ...base('rejected', 1),
        recipient: null,
        bounce: {
          hard: false,
          reason: 'rejected',
          status: null,
          replyCode: null,
          diagnostic:
            'Sandbox subdomains are for test purposes only: Please add your own domain or add the address to authorized recipients in Account Settings.',
        },
        detail: { event: 'rejected', tags: ['newsletter'] },
      },
    ]);
  });

  it('delivered', async () => {
    expect(await outcomesOf('delivered')).toEqual([{ kind: 'delivered', ...base('delivered', 2), detail: { event: 'delivered', tags: ['newsletter'], response: 'OK' } }]);
  });

  it('failed permanent: a hard bounce for an unknown user', async () => {
    expect(await outcomesOf('failed-permanent')).toEqual([
      {
        kind: 'bounced',
        ...base('failed', 3),
        bounce: {
          hard: true,
          reason: 'userunknown',
          status: '5.1.1',
          replyCode: 550,
          diagnostic:
            "5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces.",
        },
        detail: { event: 'failed', tags: ['newsletter'], severity: 'permanent', reason: 'bounce', attempt: 1 },
      },
    ]);
  });

  it('failed temporary: deferred, soft', async () => {
    const [outcome] = await outcomesOf('failed-temporary');
    expect(outcome).toMatchObject({
      kind: 'deferred',
      id: 'mg-failed-4-CPgfbmQMTCKtHW6uIWtuVe',
      bounce: { hard: false, reason: 'mailboxfull', status: '4.2.2', replyCode: 452 },
      detail: { severity: 'temporary', reason: 'generic' },
    });
  });

  it('failed because suppressed: blocked, never sent', async () => {
    const [outcome] = await outcomesOf('failed-suppress-bounce');
    expect(outcome).toMatchObject({
      kind: 'blocked',
      bounce: { hard: false, reason: 'suppressed', status: null, replyCode: null, diagnostic: 'Not delivering to previously bounced address' },
    });
  });

  it('failed permanent with a reason that is not about the address: soft', async () => {
    const event = { ...fixture('failed-permanent'), reason: 'old' };
    const [outcome] = mailgun().parse(signedRequest(event)).outcomes;
    expect(outcome?.bounce).toMatchObject({ hard: false, reason: 'expired' });
  });

  it('opened: client-info.bot flags a machine, its kind in the reason; an empty one a person', async () => {
    const userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.31 (KHTML, like Gecko) Chrome/26.0.1410.43 Safari/537.31';
    expect(await outcomesOf('opened')).toEqual([
      { kind: 'opened', ...base('opened', 6), machine: false, userAgent, ip: '50.56.129.169', detail: { event: 'opened', tags: ['newsletter'] } },
    ]);
    const [bot] = await outcomesOf('opened-bot');
    expect(bot).toMatchObject({ kind: 'opened', machine: true, ip: '17.58.0.1', flag: 'provider:mailgun-bot-apple' });
    const generic = fixture('opened-bot');
    (generic['client-info'] as Record<string, unknown>)['bot'] = 'generic';
    expect(mailgun().parse(signedRequest(generic)).outcomes[0]).toMatchObject({ machine: true, flag: 'provider:mailgun-bot-generic' });
    const { 'client-info': _info, ...noInfo } = fixture('opened');
    expect(mailgun().parse(signedRequest(noInfo)).outcomes[0]).toMatchObject({ machine: null, userAgent: null });
  });

  it('clicked: client-info.bot flags the click as it flags an open; an empty or absent one flags nothing', () => {
    const clicked = (bot: unknown) => {
      const event = fixture('clicked');
      const info = event['client-info'] as Record<string, unknown>;
      if (bot === undefined) delete info['bot'];
      else info['bot'] = bot;
      return mailgun().parse(signedRequest(event)).outcomes[0]!;
    };
    expect(clicked('generic')).toMatchObject({ kind: 'clicked', url: 'https://example.com/landing?x=1', machine: true, flag: 'provider:mailgun-bot-generic' });
    expect(clicked('apple')).toMatchObject({ kind: 'clicked', machine: true, flag: 'provider:mailgun-bot-apple' });
    expect(clicked(true)).toMatchObject({ kind: 'clicked', machine: true, flag: 'provider:mailgun-bot' });
    for (const person of ['', undefined, false]) {
      const outcome = clicked(person);
      expect(outcome).toMatchObject({ kind: 'clicked', machine: person === undefined ? null : false });
      expect(outcome).not.toHaveProperty('flag');
    }
  });

  it('clicked, unsubscribed, complained', async () => {
    expect(await outcomesOf('clicked')).toMatchObject([{ kind: 'clicked', ...base('clicked', 8), url: 'https://example.com/landing?x=1', machine: false }]);
    expect(await outcomesOf('unsubscribed')).toEqual([{ kind: 'unsubscribed', ...base('unsubscribed', 9), detail: { event: 'unsubscribed', tags: ['newsletter'] } }]);
    expect(await outcomesOf('complained')).toEqual([
      { kind: 'complained', ...base('complained', 10), feedbackType: 'complained', detail: { event: 'complained', tags: ['newsletter'] } },
    ]);
  });

  it('without our user variable or a message id, the reference says so', () => {
    const { 'user-variables': _vars, message: _message, ...bare } = fixture('delivered');
    expect(mailgun().parse(signedRequest(bare)).outcomes[0]?.reference).toEqual({ token: null, providerMessageId: null, messageIdHeader: null });
  });
});

describe('mailgun: payload errors name the field', () => {
  const parse = (eventData: unknown) => () => mailgun().parse(signedRequest(eventData));

  it('no event-data, an unknown event, a missing id or recipient', () => {
    expect(parse(undefined)).toThrow(/event-data: /);
    expect(parse({ ...fixture('delivered'), event: 'teleported' })).toThrow(/event-data\.event "teleported" is not a Mailgun event/);
    const { id: _id, ...noId } = fixture('delivered');
    expect(parse(noId)).toThrow(/event-data\.id: /);
    const { recipient: _recipient, ...noRecipient } = fixture('delivered');
    expect(parse(noRecipient)).toThrow(/event-data\.recipient is missing/);
  });

  it('a failure without severity or delivery-status, a click without url', () => {
    const { severity: _severity, ...noSeverity } = fixture('failed-permanent');
    expect(parse(noSeverity)).toThrow(/event-data\.severity: /);
    const { 'delivery-status': _status, ...noStatus } = fixture('failed-permanent');
    expect(parse(noStatus)).toThrow(/event-data\.delivery-status: /);
    const { url: _url, ...noUrl } = fixture('clicked');
    expect(parse(noUrl)).toThrow(/event-data\.url: /);
  });

  it('a body that is not JSON', () => {
    expect(() => mailgun().parse(rawRequest('{oops'))).toThrow(new WebhookPayloadError('mailgun: body is not JSON'));
  });
});
