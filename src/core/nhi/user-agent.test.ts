import { describe, expect, it } from 'vitest';
import { readUserAgent } from './user-agent.js';

describe('readUserAgent', () => {
  it('recognises self-named bots, libraries and previewers', () => {
    for (const ua of [
      'Barracuda Sentinel (EE)',
      'python-requests/2.31.0',
      'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)',
      'Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/534+ (KHTML, like Gecko) BingPreview/1.0b',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36',
      'curl/8.4.0',
      'Go-http-client/1.1',
      'GoogleMessages',
    ]) {
      expect(readUserAgent(ua).selfNamedBot, ua).toBe(true);
    }
  });

  it('does not call mail proxies, mail clients or phones bots', () => {
    for (const ua of [
      'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
      'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
      'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17830; Pro)',
      'Mozilla/5.0 (Linux; Android 12; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
      'Mozilla/5.0',
    ]) {
      expect(readUserAgent(ua).selfNamedBot, ua).toBe(false);
    }
    expect(readUserAgent('Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)')).toMatchObject({ gmailProxy: true, outdatedBrowser: false });
  });

  it('flags Gmail prefetch, bare Mozilla, Office discovery and outdated browsers', () => {
    expect(readUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/42.0.2311.135 Safari/537.36 Edge/12.246 Mozilla/5.0')).toMatchObject({
      gmailPrefetch: true,
      outdatedBrowser: false,
    });
    expect(readUserAgent('Mozilla/5.0').bareMozilla).toBe(true);
    expect(readUserAgent('Mozilla/5.0 (iPhone)').bareMozilla).toBe(false);
    expect(readUserAgent('Microsoft Office Existence Discovery').officeDiscovery).toBe(true);
    expect(readUserAgent('Mozilla/5.0 (Windows NT 6.1) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36').outdatedBrowser).toBe(true);
    expect(readUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36').outdatedBrowser).toBe(false);
    expect(readUserAgent(null).missing).toBe(true);
  });

  it('remembers readings without letting callers change them, and reads the same however many strings it has seen', () => {
    const chrome = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/57.0.2987.133 Safari/537.36';
    const first = readUserAgent(chrome);
    expect(first.outdatedBrowser).toBe(true);
    expect(Object.isFrozen(first)).toBe(true);
    expect(readUserAgent(chrome)).toBe(first);
    for (let i = 0; i < 5_000; i++) readUserAgent(`agent ${i}`);
    expect(readUserAgent(chrome)).toEqual(first);
    expect(readUserAgent(null)).toEqual(readUserAgent(''));
    expect(readUserAgent(null).missing).toBe(true);
  });

  it('tells a browser’s claim (which comes with Accept-Language) from mail clients and proxies (which need not)', () => {
    const claims = [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36 Edg/128.0.0.0',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
    ];
    for (const ua of claims) expect(readUserAgent(ua).browserClaim, ua).toBe(true);
    const notClaims = [
      'Mozilla/5.0',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/605.1.15 (KHTML, like Gecko)',
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.3.1',
      'Mozilla/5.0 (Linux; Android 14; SM-A546B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/128.0.0.0 Mobile Safari/537.36',
      'Mozilla/4.0 (compatible; ms-office; MSOffice 16)',
      'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
      '',
    ];
    for (const ua of notClaims) expect(readUserAgent(ua).browserClaim, ua).toBe(false);
  });

  it('tells a user agent that names no browser and no device (blank, bare Mozilla, bare WebKit) from every other', () => {
    const named = ['', 'Mozilla/5.0', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/605.1.15 (KHTML, like Gecko)', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)'];
    for (const ua of named) expect(readUserAgent(ua).namesNoBrowser, ua).toBe(true);
    const others = [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
      'Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; rv:11.0) like Gecko',
      'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)',
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/605.1.15 (KHTML, like Gecko) Edge/18',
    ];
    for (const ua of others) expect(readUserAgent(ua).namesNoBrowser, ua).toBe(false);
  });
});
