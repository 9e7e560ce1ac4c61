import { describe, expect, test } from 'vitest';
import { createCredentialCheck, WebhookSettingsError, type CredentialSettings } from './credentials.js';
import { WebhookAuthError, type WebhookRequest } from './provider.js';

function request(headers: WebhookRequest['headers'] = {}, query: WebhookRequest['query'] = {}, clientAddress: string | null = '203.0.113.9'): WebhookRequest {
  return { rawBody: Buffer.from('{}'), headers, query, clientAddress, now: Date.UTC(2026, 0, 1) };
}
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const check = (settings: CredentialSettings) => createCredentialCheck('postmark', settings);

/** The WebhookAuthError message of a refused request. */
function refusal(run: () => void): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookAuthError);
    return (error as Error).message;
  }
  throw new Error('the request was accepted');
}

describe('basic auth', () => {
  const accept = check({ credentials: { scheme: 'basic', user: 'hooks', password: 's3cret:with:colons' } });

  test('the right user and password pass; the scheme name is case-insensitive', () => {
    expect(() => accept(request({ authorization: basic('hooks', 's3cret:with:colons') }))).not.toThrow();
    expect(() => accept(request({ authorization: basic('hooks', 's3cret:with:colons').replace('Basic', 'bAsIc') }))).not.toThrow();
  });

  test('a wrong user, a wrong password, or no colon are wrong credentials, without the secret in the message', () => {
    for (const authorization of [basic('other', 's3cret:with:colons'), basic('hooks', 'guess'), basic('hooks', ''), `Basic ${Buffer.from('hooks').toString('base64')}`, 'Basic !!!']) {
      const message = refusal(() => accept(request({ authorization })));
      expect(message).toMatch(/wrong basic auth credentials|malformed/);
      expect(message).not.toContain('s3cret');
    }
  });

  test('a missing Authorization header, another scheme, or no credentials after the scheme are refused saying so', () => {
    expect(refusal(() => accept(request()))).toBe('postmark webhook: missing Authorization header (Basic expected)');
    expect(refusal(() => accept(request({ authorization: 'Bearer s3cret:with:colons' })))).toBe('postmark webhook: Authorization uses the Bearer scheme, Basic expected');
    expect(refusal(() => accept(request({ authorization: 'Basic' })))).toBe('postmark webhook: Authorization Basic carries no credentials');
  });

  test('credentials in the query string are not basic auth', () => {
    expect(refusal(() => accept(request({}, { user: 'hooks', password: 's3cret:with:colons' })))).toMatch(/missing Authorization/);
  });

  test('a header given twice is refused rather than guessed between', () => {
    const authorization = [basic('hooks', 's3cret:with:colons'), basic('x', 'y')];
    expect(refusal(() => accept(request({ authorization })))).toBe('postmark webhook: the authorization header is given 2 times');
  });
});

describe('bearer token', () => {
  const accept = check({ credentials: { scheme: 'bearer', token: 'tok-123' } });

  test('the right token passes; a wrong one, a missing one, or Basic credentials do not', () => {
    expect(() => accept(request({ authorization: 'Bearer tok-123' }))).not.toThrow();
    expect(refusal(() => accept(request({ authorization: 'Bearer tok-124' })))).toBe('postmark webhook: wrong bearer token');
    expect(refusal(() => accept(request({ authorization: 'Bearer tok-1234' })))).toBe('postmark webhook: wrong bearer token');
    expect(refusal(() => accept(request()))).toBe('postmark webhook: missing Authorization header (Bearer expected)');
    expect(refusal(() => accept(request({ authorization: basic('tok-123', '') })))).toBe('postmark webhook: Authorization uses the Basic scheme, Bearer expected');
  });
});

describe('a secret header', () => {
  const accept = check({ credentials: { scheme: 'header', header: 'X-Webhook-Secret', secret: 'hdr-secret' } });

  test('the header (looked up lower-cased) with the secret passes; a wrong or missing one does not', () => {
    expect(() => accept(request({ 'x-webhook-secret': 'hdr-secret' }))).not.toThrow();
    expect(refusal(() => accept(request({ 'x-webhook-secret': 'hdr-secreT' })))).toBe('postmark webhook: wrong secret in the X-Webhook-Secret header');
    expect(refusal(() => accept(request({ authorization: 'Bearer hdr-secret' })))).toBe('postmark webhook: missing X-Webhook-Secret header');
  });
});

describe('a secret in the query string', () => {
  const accept = check({ credentials: { scheme: 'query', parameter: 'key', secret: 'q-secret' } });

  test('the parameter with the secret passes; a wrong, empty or missing one does not', () => {
    expect(() => accept(request({}, { key: 'q-secret' }))).not.toThrow();
    expect(refusal(() => accept(request({}, { key: 'q-secre' })))).toBe("postmark webhook: wrong secret in the 'key' query parameter");
    expect(refusal(() => accept(request({}, { key: '' })))).toBe("postmark webhook: missing 'key' query parameter");
    expect(refusal(() => accept(request({ key: 'q-secret' })))).toBe("postmark webhook: missing 'key' query parameter");
  });
});

describe('the source address allow list', () => {
  const accept = check({ credentials: { scheme: 'bearer', token: 'tok' }, allowedSources: ['1.179.112.0/20', '172.246.240.0/20', '2001:db8::/32'] });
  const authorization = 'Bearer tok';

  test('listed addresses pass, IPv4-mapped IPv6 included', () => {
    for (const address of ['1.179.112.1', '1.179.127.255', '172.246.240.7', '::ffff:1.179.120.3', '2001:db8::1']) {
      expect(() => accept(request({ authorization }, {}, address))).not.toThrow();
    }
  });

  test('an address outside the list, an unknown one, or garbage is refused, even with the right credentials', () => {
    expect(refusal(() => accept(request({ authorization }, {}, '1.179.128.0')))).toBe('postmark webhook: client address 1.179.128.0 is not in the allowed sources');
    expect(refusal(() => accept(request({ authorization }, {}, null)))).toBe('postmark webhook: client address unknown, and only listed sources are allowed');
    expect(refusal(() => accept(request({ authorization }, {}, 'not-an-ip')))).toMatch(/not in the allowed sources/);
  });

  test('a listed address does not stand in for the credentials', () => {
    expect(refusal(() => accept(request({}, {}, '1.179.112.1')))).toMatch(/missing Authorization/);
    expect(refusal(() => accept(request({ authorization: 'Bearer nope' }, {}, '1.179.112.1')))).toBe('postmark webhook: wrong bearer token');
  });

  test('without a list, any address passes', () => {
    const open = check({ credentials: { scheme: 'bearer', token: 'tok' }, allowedSources: [] });
    expect(() => open(request({ authorization }, {}, null))).not.toThrow();
  });
});

describe('settings that cannot work refuse to build', () => {
  test.each([
    [{ scheme: 'basic', user: '', password: 'p' }, 'credentials.user'],
    [{ scheme: 'basic', user: 'u', password: '' }, 'credentials.password'],
    [{ scheme: 'bearer', token: '' }, 'credentials.token'],
    [{ scheme: 'header', header: 'X-Secret', secret: '' }, 'credentials.secret'],
    [{ scheme: 'header', header: 'bad header', secret: 's' }, 'credentials.header'],
    [{ scheme: 'query', parameter: 'key', secret: '' }, 'credentials.secret'],
    [{ scheme: 'query', parameter: '', secret: 's' }, 'credentials.parameter'],
  ] as const)('%o names %s', (credentials, setting) => {
    let thrown: unknown;
    try {
      check({ credentials });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WebhookSettingsError);
    expect((thrown as WebhookSettingsError).setting).toBe(setting);
    expect((thrown as Error).message).toContain(setting);
  });

  test('a bad allow list entry names its index and the problem', () => {
    expect(() => check({ credentials: { scheme: 'bearer', token: 't' }, allowedSources: ['10.0.0.0/8', '10.0.0.1/8'] })).toThrow(
      /allowedSources\[1\]: '10\.0\.0\.1\/8' has host bits set/,
    );
  });
});
