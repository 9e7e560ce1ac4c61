import { describe, expect, test } from 'vitest';
import { instrument, type PlanOptions } from './index.js';
import { findTextUrls } from './text-links.js';
import { restoreOriginal, trackingUrls } from './test-support.js';
import { createLinkPolicy } from './url-rules.js';

const policy = createLinkPolicy({});
const urlsIn = (text: string): string[] => findTextUrls(text, policy).map((found) => found.url);

describe('bare URLs in a text part', () => {
  test.each([
    ['Visit https://a.example/x.', 'https://a.example/x'],
    ['Visit https://a.example/x, then', 'https://a.example/x'],
    ['Really? https://a.example/x?!', 'https://a.example/x'],
    ['See https://a.example/x; or', 'https://a.example/x'],
    ['Link: https://a.example/x:', 'https://a.example/x'],
    ['(see https://a.example/x)', 'https://a.example/x'],
    ['(see https://a.example/wiki/Foo_(bar))', 'https://a.example/wiki/Foo_(bar)'],
    ['[docs](https://a.example/docs)', 'https://a.example/docs'],
    ['<https://a.example/x>', 'https://a.example/x'],
    ['"https://a.example/x"', 'https://a.example/x'],
    ["'https://a.example/x'", 'https://a.example/x'],
    ['\u201chttps://a.example/x\u201d', 'https://a.example/x'],
    ['https://a.example/search?q=a&b=c#top.', 'https://a.example/search?q=a&b=c#top'],
    ['HTTP://A.EXAMPLE/UP', 'HTTP://A.EXAMPLE/UP'],
    ['end of text https://a.example', 'https://a.example'],
  ])('%j gives %j', (text, url) => {
    expect(urlsIn(text)).toEqual([url]);
  });

  test.each([
    ['a bare scheme', 'the base is http:// plus the host'],
    ['a scheme glued to a word', 'xhttps://a.example/'],
    ['a placeholder with spaces', 'https://a.example/u/{{ user.id }}/prefs'],
    ['a merge tag', 'https://a.example/?e=*|EMAIL|*'],
    ['no scheme', 'www.a.example/x'],
    ['a mailto', 'mailto:a@a.example'],
  ])('skips %s', (_case, text) => {
    expect(urlsIn(text)).toEqual([]);
  });

  test('excluded destinations are skipped like in HTML', () => {
    const excluding = createLinkPolicy({ excludedDestinations: ['a.example'] });
    expect(findTextUrls('https://www.a.example/x https://b.example/y', excluding).map((found) => found.url)).toEqual(['https://b.example/y']);
  });

  test('rewritten in place, everything else byte-identical, ordinals after the HTML links', () => {
    const text = 'Hi,\r\n\r\nYour order: https://shop.example/o/1?x=1&y=2.\r\nHelp (https://shop.example/help)\r\n\tUnsubscribe: <https://shop.example/u>\r\n';
    const result = instrument({ html: '<a href="https://shop.example/">shop</a>', text }, { trackClicks: true, trackOpens: false }, trackingUrls);
    expect(result.text).toBe(`Hi,\r\n\r\nYour order: ${trackingUrls.click(2)}.\r\nHelp (${trackingUrls.click(3)})\r\n\tUnsubscribe: <${trackingUrls.click(4)}>\r\n`);
    expect(restoreOriginal(result.text ?? '', result, 'text')).toBe(text);
    expect(result.links.filter((link) => link.part === 'text')).toEqual([
      { ordinal: 2, url: 'https://shop.example/o/1?x=1&y=2', raw: 'https://shop.example/o/1?x=1&y=2', text: 'https://shop.example/o/1?x=1&y=2', part: 'text', condition: null, tracked: trackingUrls.click(2) },
      { ordinal: 3, url: 'https://shop.example/help', raw: 'https://shop.example/help', text: 'https://shop.example/help', part: 'text', condition: null, tracked: trackingUrls.click(3) },
      { ordinal: 4, url: 'https://shop.example/u', raw: 'https://shop.example/u', text: 'https://shop.example/u', part: 'text', condition: null, tracked: trackingUrls.click(4) },
    ]);
  });

  test('rewriteText: false or trackClicks: false leave the text part alone', () => {
    const text = 'Go to https://shop.example/.';
    const off: PlanOptions[] = [
      { trackClicks: true, trackOpens: true, rewriteText: false },
      { trackClicks: false, trackOpens: true },
    ];
    for (const options of off) {
      expect(instrument({ text }, options, trackingUrls)).toMatchObject({ text, links: [] });
    }
  });
});
