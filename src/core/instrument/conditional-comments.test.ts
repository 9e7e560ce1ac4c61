import { describe, expect, test } from 'vitest';
import { hiddenBlockRange } from './conditional-comments.js';
import { instrument, type InstrumentResult } from './index.js';
import { occurrences, restoreOriginal, summarize, trackingUrls } from './test-support.js';

function run(html: string): InstrumentResult {
  const result = instrument({ html }, { trackClicks: true, trackOpens: false }, trackingUrls);
  expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(html);
  return result;
}

const X = 'https://shop.example/sale?c=spring&amp;s=1';
const vml = (href: string, shape = 'roundrect'): string =>
  `<!--[if mso]><v:${shape} xmlns:v="urn:schemas-microsoft-com:vml" href="${href}" style="height:40px;width:200px;" fillcolor="#2563eb"><w:anchorlock/><center>Shop now</center></v:${shape}><![endif]-->`;
const anchor = (href: string, label = 'Shop now'): string => `<a href="${href}" style="mso-hide:all;">${label}</a>`;

describe('hiddenBlockRange', () => {
  test.each([
    ['[if mso]><a href="x">y</a><![endif]', '<a href="x">y</a>'],
    ['[if gte mso 9]><xml></xml><![endif]', '<xml></xml>'],
    ['[if (gte mso 9)|(IE)]><table><tr><td><![ENDIF]', '<table><tr><td>'],
    ['[if mso]><p>no endif', '<p>no endif'],
  ])('finds the markup of %j', (content, markup) => {
    const range = hiddenBlockRange(content);
    expect(range && content.slice(range.start, range.end)).toBe(markup);
  });

  test.each([' plain comment ', '[endif]', '<![endif]', '[if mso]><![endif]', 'if mso]>x'])('%j is not a hidden block', (content) => {
    expect(hiddenBlockRange(content)).toBeNull();
  });
});

describe('links in Outlook conditional comments', () => {
  test('a VML button followed by its <a> twin is one occurrence written twice', () => {
    const html = `<td>\n  ${vml(X)}\n  <!--[if !mso]><!-- -->\n  ${anchor(X)}\n  <!--<![endif]-->\n</td>`;
    const result = run(html);
    expect(summarize(result)).toEqual([{ ordinal: 1, url: 'https://shop.example/sale?c=spring&s=1', text: 'Shop now', condition: null }]);
    expect(result.links[0]?.raw).toBe(X);
    expect(occurrences(result.html ?? '', `href="${trackingUrls.click(1)}"`)).toBe(2);
  });

  test('the pair is recognised whatever the VML shape and however the URL is encoded', () => {
    for (const shape of ['rect', 'oval', 'roundrect']) {
      const result = instrument({ html: `${vml('https://shop.example/sale?c=spring&#38;s=1', shape)}${anchor(X)}` }, { trackClicks: true, trackOpens: false }, trackingUrls);
      expect(result.links).toHaveLength(1);
      expect(result.links[0]?.raw).toBe(X);
      expect(occurrences(result.html ?? '', trackingUrls.click(1))).toBe(2);
    }
  });

  test('the <a> twin gives the label; the shape gives it when the <a> has none', () => {
    expect(run(`${vml(X)}${anchor(X, 'Browse the sale')}`).links[0]?.text).toBe('Browse the sale');
    expect(run(`${vml(X)}${anchor(X, '')}`).links[0]?.text).toBe('Shop now');
  });

  test('the <a> twin gives the condition', () => {
    const html = `${vml(X)}<!-- between -->${anchor(X).replace('<a ', '<a data-condition="vip" ')}`;
    expect(run(html).links.map((link) => link.condition)).toEqual(['vip']);
  });

  test.each([
    ['text between', `${vml(X)} or ${anchor(X)}`],
    ['an element between', `${vml(X)}<br>${anchor(X)}`],
    ['an end tag between', `<div>${vml(X)}</div>${anchor(X)}`],
    ['a different URL', `${vml(X)}${anchor('https://shop.example/other')}`],
  ])('with %s, the shape and the <a> are two occurrences', (_case, html) => {
    const result = run(html);
    expect(result.links.map((link) => link.ordinal)).toEqual([1, 2]);
  });

  test('a plain <a> inside an MSO block is its own occurrence, even next to a twin URL', () => {
    const html = `<!--[if mso]><a href="${X}">Outlook only</a><![endif]-->${anchor(X)}`;
    expect(run(html).links.map(({ ordinal, text }) => [ordinal, text])).toEqual([[1, 'Outlook only'], [2, 'Shop now']]);
  });

  test('only the shape with the same URL pairs up when a block holds several', () => {
    const html = `<!--[if mso]><v:rect href="https://a.example/">A</v:rect><v:rect href="${X}">B</v:rect><![endif]-->${anchor(X)}`;
    const result = run(html);
    expect(result.links.map(({ ordinal, url }) => [ordinal, url])).toEqual([[1, 'https://a.example/'], [2, 'https://shop.example/sale?c=spring&s=1']]);
    expect(occurrences(result.html ?? '', trackingUrls.click(2))).toBe(2);
  });

  test('links in every kind of downlevel-hidden block are found; revealed blocks are ordinary markup', () => {
    const html = [
      '<!--[if gte mso 9]><a href="https://a.example/1">1</a><![endif]-->',
      '<!--[if !mso]><a href="https://a.example/2">2</a><![endif]-->',
      '<!--[if (gte mso 9)|(IE)]><table><tr><td><a href="https://a.example/3">3</a><![endif]-->',
      '<!--[if !mso]><!--><a href="https://a.example/4">4</a><!--<![endif]-->',
      '<!-- [not a condition] <a href="https://a.example/5">5</a> -->',
    ].join('\n');
    expect(run(html).links.map((link) => link.url)).toEqual(['https://a.example/1', 'https://a.example/2', 'https://a.example/3', 'https://a.example/4']);
  });

  test('offsets inside the block map back to the document', () => {
    const html = '<p>before</p>\r\n<!--[if mso]>\r\n  <v:roundrect HREF = \'https://a.example/q?x=1&amp;y=2\' >\r\n<center>Go</center></v:roundrect>\r\n<![endif]-->';
    const result = run(html);
    expect(result.html).toBe(html.replace('https://a.example/q?x=1&amp;y=2', trackingUrls.click(1)));
  });
});
