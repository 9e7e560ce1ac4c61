import { describe, expect, test } from 'vitest';
import { instrument, InstrumentError, type InstrumentResult, type PlanOptions } from './index.js';
import { restoreOriginal, summarize, trackingUrls, withoutNotrack } from './test-support.js';

const CLICKS: PlanOptions = { trackClicks: true, trackOpens: false };
const click = (ordinal: number): string => trackingUrls.click(ordinal);

function run(html: string, options: Partial<PlanOptions> = {}): InstrumentResult {
  const result = instrument({ html }, { ...CLICKS, ...options }, trackingUrls);
  expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(withoutNotrack(html));
  return result;
}

function urlsOf(html: string, options: Partial<PlanOptions> = {}): string[] {
  return run(html, options).links.map((link) => link.url);
}

describe('which hrefs are rewritten', () => {
  test('absolute http and https links on <a> and <area>, scheme in any case', () => {
    const html = '<a href="https://a.example/x?y=1#z">A</a><map><area href="http://b.example/" alt="B"></map><a href="HTTPS://C.example/">C</a>';
    expect(summarize(run(html))).toEqual([
      { ordinal: 1, url: 'https://a.example/x?y=1#z', text: 'A', condition: null },
      { ordinal: 2, url: 'http://b.example/', text: 'B', condition: null },
      { ordinal: 3, url: 'HTTPS://C.example/', text: 'C', condition: null },
    ]);
  });

  test.each([
    ['mailto', 'mailto:someone@example.com'],
    ['tel', 'tel:+15555550100'],
    ['sms', 'sms:+15555550100'],
    ['fragment', '#section-2'],
    ['relative path', '/account'],
    ['relative file', 'page.html'],
    ['protocol-relative', '//cdn.example/x'],
    ['bare http://', 'http://'],
    ['bare https://', 'https://'],
    ['no host', 'https:///path'],
    ['missing slashes', 'http:example.com'],
    ['invalid host', 'https://exa mple.com/'],
    ['javascript', 'javascript:alert(1)'],
    ['ftp', 'ftp://files.example/a'],
    ['empty', ''],
  ])('leaves %s alone', (_kind, href) => {
    const html = `<p><a href="${href}">x</a></p>`;
    const result = run(html);
    expect(result.links).toEqual([]);
    expect(result.html).toBe(html);
  });

  test.each([
    ['Handlebars', 'https://x.example/u/{{ user.id }}'],
    ['Liquid tag', 'https://x.example/{% url "home" %}'],
    ['Mailchimp', 'https://x.example/?e=*|EMAIL|*'],
    ['Marketing Cloud', 'https://x.example/?e=%%emailaddr%%'],
    ['Mailjet', 'https://x.example/[[var:id]]'],
    ['template literal', 'https://x.example/${id}'],
    ['ERB', 'https://x.example/<%= token %>'],
    ['percent-encoded braces', 'https://x.example/?u=%7B%7Bid%7D%7D'],
    ['whole href', '{{unsubscribe_url}}'],
    ['entity-encoded braces', 'https://x.example/&#123;&#123;id&#125;&#125;'],
  ])('leaves a %s placeholder alone', (_kind, href) => {
    expect(urlsOf(`<a href="${href}">x</a>`)).toEqual([]);
  });

  test('caller-declared placeholder patterns, even with a stateful /g flag', () => {
    const html = '<a href="https://x.example/[FNAME]">1</a><a href="https://x.example/[LNAME]">2</a><a href="https://x.example/plain">3</a>';
    expect(urlsOf(html, { placeholderPatterns: [/\[[A-Z]+\]/g] })).toEqual(['https://x.example/plain']);
  });

  test('excluded hosts cover their subdomains but not look-alikes', () => {
    const html = ['https://example.com/a', 'https://www.EXAMPLE.com/b', 'https://deep.sub.example.com/', 'https://notexample.com/', 'https://example.com.evil.test/']
      .map((url, index) => `<a href="${url}">${index}</a>`).join('');
    expect(urlsOf(html, { excludedDestinations: ['example.com'] })).toEqual(['https://notexample.com/', 'https://example.com.evil.test/']);
  });

  test('excluded URL prefixes match at a path boundary', () => {
    const html = ['https://x.example/legal', 'https://x.example/legal/terms', 'https://x.example/legal?v=2', 'https://x.example/legalese', 'http://x.example/legal/terms', 'https://X.example:443/legal/a']
      .map((url, index) => `<a href="${url}">${index}</a>`).join('');
    expect(urlsOf(html, { excludedDestinations: ['https://x.example/legal'] })).toEqual(['https://x.example/legalese', 'http://x.example/legal/terms']);
  });

  test('an exclusion that is neither a host nor a URL is refused by name', () => {
    expect(() => run('<a href="https://x.example/">x</a>', { excludedDestinations: ['example.com/path'] })).toThrow(
      expect.objectContaining({ code: 'INVALID_OPTION', message: expect.stringContaining('"example.com/path"') }),
    );
    expect(() => run('', { excludedDestinations: ['https://'] })).toThrow(InstrumentError);
  });

  test('data-notrack: the attribute and the whitespace before it go, the href stays', () => {
    const html = '<a href="https://x.example/1" data-notrack>1</a><a\n  DATA-NOTRACK="yes"\n  href=https://x.example/2>2</a><a href="https://x.example/3"data-notrack=1>3</a><a href="https://x.example/4">4</a>';
    const result = run(html);
    expect(result.html).toBe(`<a href="https://x.example/1">1</a><a\n  href=https://x.example/2>2</a><a href="https://x.example/3">3</a><a href="${click(1)}">4</a>`);
    expect(result.links.map((link) => link.url)).toEqual(['https://x.example/4']);
  });

  test('data-notrack glued to the next attribute leaves the space before it, keeping the attributes apart', () => {
    const html = '<a href=https://x.example/1\tdata-notrack=\'yes\'title="t">1</a><a\ndata-notrack="1"href="https://x.example/2">2</a>';
    const result = instrument({ html }, CLICKS, trackingUrls);
    expect(result.html).toBe('<a href=https://x.example/1\ttitle="t">1</a><a\nhref="https://x.example/2">2</a>');
    expect(result.links).toEqual([]);
  });

  test('data-notrack on an element that is not a link is not ours and stays', () => {
    const html = '<div data-notrack><a href="https://x.example/">x</a></div>';
    expect(instrument({ html }, CLICKS, trackingUrls).html).toBe(`<div data-notrack><a href="${click(1)}">x</a></div>`);
  });

  test('links inside <script>, <style>, comments and non-link elements are not links', () => {
    const html = '<script>document.write(\'<a href="https://s.example/">\')</script><style>a[href="https://c.example/"]{}</style><!-- <a href="https://c.example/"> --><link href="https://f.example/font.css" rel="stylesheet"><base href="https://b.example/"><img src="https://i.example/a.png">';
    expect(run(html).html).toBe(html);
  });

  test('the first of duplicate href attributes is the one browsers follow', () => {
    const result = run('<a href="https://first.example/" href="https://second.example/">x</a>');
    expect(result.html).toBe(`<a href="${click(1)}" href="https://second.example/">x</a>`);
  });

  test('whitespace around the URL is not part of the destination but is replaced with it', () => {
    const result = run('<a href="\n  https://x.example/a  ">x</a>');
    expect(result.links[0]).toMatchObject({ url: 'https://x.example/a', raw: '\n  https://x.example/a  ' });
    expect(result.html).toBe(`<a href="${click(1)}">x</a>`);
  });
});

describe('how the markup is found and kept', () => {
  test('glued, unquoted, single-quoted, uppercase and multi-line attributes', () => {
    const html = [
      '<a style="color:red"href="https://x.example/glued">glued</a>',
      '<a href=https://x.example/unquoted>unquoted</a>',
      "<a href='https://x.example/single'>single</a>",
      '<A HREF="https://x.example/upper">upper</A>',
      '<a\r\n   class="c"\r\n   href = "https://x.example/multi"\r\n>multi\r\nline</a>',
      '<a href=https://x.example/self/>self</a>',
    ].join('\n');
    const result = run(html);
    expect(result.links.map(({ url, text }) => [url, text])).toEqual([
      ['https://x.example/glued', 'glued'],
      ['https://x.example/unquoted', 'unquoted'],
      ['https://x.example/single', 'single'],
      ['https://x.example/upper', 'upper'],
      ['https://x.example/multi', 'multi line'],
      ['https://x.example/self/', 'self'],
    ]);
    expect(result.html).toBe([
      `<a style="color:red"href="${click(1)}">glued</a>`,
      `<a href=${click(2)}>unquoted</a>`,
      `<a href='${click(3)}'>single</a>`,
      `<A HREF="${click(4)}">upper</A>`,
      `<a\r\n   class="c"\r\n   href = "${click(5)}"\r\n>multi\r\nline</a>`,
      `<a href=${click(6)}>self</a>`,
    ].join('\n'));
  });

  test('link text: collapsed inner text, else image alt, nothing from scripts', () => {
    const html = '<a href="https://x.example/1">  Read\n\t<b>the</b>&nbsp;story </a><a href="https://x.example/2"><img src="i.png" alt="Logo"></a><a href="https://x.example/3"><img src="i.png"></a><a href="https://x.example/4">Go<script>var x = 1;</script></a>';
    expect(run(html).links.map((link) => link.text)).toEqual(['Read the story', 'Logo', '', 'Go']);
  });

  test('garbage never throws and is left as it is', () => {
    for (const html of ['<a href', '<a href="https://x.example/', '<a href=https://x.example/ ', '<<<>>>', '</a></a>', '<!--', '<!--[if mso]>', '<!--[if mso]><a href="https://x.example/">', '\u0000\uffff\ud800', '<a href="https://x.example/">unclosed', '<a href="https://x.example/&#x110000;">&#99999999999;&#0;</a>']) {
      expect(() => run(html)).not.toThrow();
    }
    expect(run('<p>text <a href="https://x.example/"').html).toBe('<p>text <a href="https://x.example/"');
  });
});

describe('data-condition', () => {
  test('the innermost condition wins, the element itself counts, empty values inherit', () => {
    const html = '<div data-condition="outer"><p><a href="https://x.example/1">1</a></p><section data-condition="inner"><a href="https://x.example/2">2</a><a data-condition="own" href="https://x.example/3">3</a></section><div data-condition=""><a href="https://x.example/4">4</a></div><a href="https://x.example/5">5</a></div><a href="https://x.example/6">6</a>';
    const result = run(html);
    expect(result.links.map((link) => link.condition)).toEqual(['outer', 'inner', 'own', 'outer', 'outer', null]);
    expect(result.html).toContain('data-condition="inner"');
  });

  test('a condition ends where the parser closes its element, even implicitly', () => {
    const html = '<p data-condition="para"><a href="https://x.example/1">1</a><div><a href="https://x.example/2">2</a></div>';
    expect(run(html).links.map((link) => link.condition)).toEqual(['para', null]);
  });
});

describe('switches', () => {
  test('trackClicks false rewrites nothing and reports no links', () => {
    const html = '<body><a href="https://x.example/">x</a></body>';
    const result = instrument({ html, text: 'see https://x.example/' }, { trackClicks: false, trackOpens: false, honeypot: true }, trackingUrls);
    expect(result).toEqual({ html, text: 'see https://x.example/', pixel: null, links: [], honeypot: null });
  });

  test('data-notrack markers are dropped even when clicks are not tracked', () => {
    const result = instrument({ html: '<a href="https://x.example/" data-notrack>x</a>' }, { trackClicks: false, trackOpens: false }, trackingUrls);
    expect(result.html).toBe('<a href="https://x.example/">x</a>');
  });

  test('missing parts stay null', () => {
    expect(instrument({}, { trackClicks: true, trackOpens: true, honeypot: true }, trackingUrls)).toEqual({ html: null, text: null, pixel: null, links: [], honeypot: null });
    expect(instrument({ html: null, text: 'https://x.example/' }, { trackClicks: true, trackOpens: true }, trackingUrls).pixel).toBeNull();
  });
});
