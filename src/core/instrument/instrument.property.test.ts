import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { instrument, planInstrumentation, type InstrumentResult } from './index.js';
import { assertSameStructure, restoreOriginal, TRACKING_ORIGIN, trackingUrls } from './test-support.js';

/**
 * Documents generated from fragments. Each fragment knows its source, the
 * source expected once the output is restored (data-notrack dropped), and
 * the destinations it should yield, so the properties compare against what
 * the generator put in rather than against the code under test.
 */
interface Fragment {
  source: string;
  restored: string;
  urls: string[];
}

const RUNS = { numRuns: 200 };

const join = (fragments: Fragment[]): Fragment => ({
  source: fragments.map((f) => f.source).join(''),
  restored: fragments.map((f) => f.restored).join(''),
  urls: fragments.flatMap((f) => f.urls),
});
const plain = (source: string): Fragment => ({ source, restored: source, urls: [] });

const randomCase = (word: string): fc.Arbitrary<string> =>
  fc.constantFrom(word, word.toUpperCase(), word.charAt(0).toUpperCase() + word.slice(1));

const textPiece = fc.constantFrom(
  'Hello', ' ', 'world', '\n', '\r\n', '\t', '&amp;', '&nbsp;', '&lt;', '&#8212;', '& more', '>', '"', "'", '=',
  'caf\u00e9', '\u{1F600}', 'http://in.text.example/x', '{{ name }}', '*|FNAME|*', '50%',
);
const text = fc.array(textPiece, { maxLength: 6 }).map((pieces) => pieces.join(''));

/** An href value: the source text, and the destination when it must be tracked. */
interface Href {
  value: string;
  url: string | null;
}

const host = fc.constantFrom('shop.example', 'www.news.example', 'a-b.example', 'xn--caf-dma.example', 'sub.deep.example:8443');
const path = fc.constantFrom('', '/', '/p/1', '/a/b.html', '/search', '/%7Efolks', '/x/');
const queryPairs = fc.array(fc.constantFrom('utm_source=mail', 'id=42', 'q=a+b', 'ref=x%26y', 'e=1'), { maxLength: 3 });
const ampersand = fc.constantFrom('&amp;', '&#38;', '&#x26;', '&');

const trackedHref: fc.Arbitrary<Href> = fc
  .record({
    scheme: fc.constantFrom('http', 'https', 'HTTPS', 'Http'),
    host,
    path,
    query: queryPairs,
    amp: ampersand,
    fragment: fc.constantFrom('', '#top', '#a-b'),
    encodeFirst: fc.boolean(),
    padding: fc.constantFrom('', ' ', '\n  '),
  })
  .map(({ scheme, host: h, path: p, query, amp, fragment, encodeFirst, padding }) => {
    const search = query.length > 0 ? `?${query.join('&')}` : '';
    const url = `${scheme}://${h}${p}${search}${fragment}`;
    let value = `${scheme}://${h}${p}${query.length > 0 ? `?${query.join(amp)}` : ''}${fragment}`;
    if (encodeFirst) value = `&#${value.charCodeAt(0)};${value.slice(1)}`;
    return { value: `${padding}${value}${padding}`, url };
  });

const untrackedHref: fc.Arbitrary<Href> = fc
  .constantFrom(
    'mailto:someone@example.com', 'tel:+15555550100', '#section', '/relative/path', 'page.html', '//cdn.example/x',
    'http://', 'https://', 'https://shop.example/u/{{ user.id }}', '*|UNSUB|*', 'https://shop.example/?e=%%email%%',
    'https://shop.example/${id}', 'javascript:void(0)', '',
  )
  .map((value) => ({ value, url: null }));

type Quote = '"' | "'" | '';

/** `name=value` with a quoting the value allows; whether it ends in a quote. */
function attribute(name: string, value: string): fc.Arbitrary<{ text: string; quoted: boolean }> {
  const quotes: Quote[] = ['"', "'"];
  if (value !== '' && !/[\s"'=<>`]/.test(value)) quotes.push('');
  return fc.record({ quote: fc.constantFrom(...quotes), eq: fc.constantFrom('=', ' = ', '=\n'), name: randomCase(name) })
    .map(({ quote, eq, name: written }) => ({ text: `${written}${eq}${quote}${value}${quote}`, quoted: quote !== '' }));
}

const separator = fc.constantFrom(' ', '\n', '\t', '\r\n  ', '  ');
const otherAttribute = fc.oneof(
  attribute('class', 'btn primary'),
  attribute('style', 'color:#333;text-decoration:none'),
  attribute('target', '_blank'),
  attribute('title', 'Go &amp; see'),
  attribute('data-condition', 'segment-a'),
);

/**
 * Joins attributes, gluing one to the previous when that one ended with a
 * quote (`a="x"b="y"`), as hand-edited templates do.
 */
function attributeList(attributes: { text: string; quoted: boolean; notrack: boolean }[], separators: string[], glue: boolean[]): Fragment {
  let source = '';
  let restored = '';
  const seps = attributes.map((_, index) => {
    const previousQuoted = index > 0 && attributes[index - 1]?.quoted === true;
    return previousQuoted && glue[index] ? '' : (separators[index] ?? ' ');
  });
  attributes.forEach((attr, index) => {
    source += seps[index] + attr.text;
    // A dropped attribute takes the space before it along, unless the next one is glued to it.
    if (!attr.notrack) restored += seps[index] + attr.text;
    else if (seps[index + 1] === '') restored += seps[index];
  });
  return { source, restored, urls: [] };
}

const notrackAttribute = fc.constantFrom('data-notrack', 'DATA-NOTRACK', 'data-notrack="1"', "data-notrack='yes'")
  .map((text) => ({ text, quoted: text.endsWith('"') || text.endsWith("'"), notrack: true }));

const link: fc.Arbitrary<Fragment> = fc
  .record({
    tag: fc.constantFrom('a', 'A', 'area', 'AREA'),
    href: fc.oneof({ weight: 3, arbitrary: trackedHref }, { weight: 2, arbitrary: untrackedHref }),
    hrefName: randomCase('href'),
    others: fc.array(otherAttribute, { maxLength: 3 }),
    notrack: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: notrackAttribute }),
    position: fc.nat(4),
    separators: fc.array(separator, { minLength: 6, maxLength: 6 }),
    glue: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
    tagEnd: fc.constantFrom('>', ' >', '\n>'),
    label: text,
    image: fc.boolean(),
  })
  .chain((parts) => attribute('href', parts.href.value).map((href) => ({ ...parts, hrefAttribute: { text: href.text.replace(/^href/i, parts.hrefName), quoted: href.quoted, notrack: false } })))
  .map(({ tag, href, others, notrack, position, separators, glue, tagEnd, label, image, hrefAttribute }) => {
    const attributes = others.map((other) => ({ ...other, notrack: false }));
    attributes.splice(Math.min(position, attributes.length), 0, hrefAttribute);
    if (notrack !== null) attributes.splice(Math.min(position + 1, attributes.length), 0, notrack);
    // An unquoted value must be followed by whitespace, never glued.
    const list = attributeList(attributes, separators, glue);
    const isArea = tag.toLowerCase() === 'area';
    const inner = isArea ? '' : `${label}${image ? '<img src="https://img.example/i.png" alt="pic">' : ''}</${tag}>`;
    const open = `<${tag}`;
    return {
      source: `${open}${list.source}${tagEnd}${inner}`,
      restored: `${open}${list.restored}${tagEnd}${inner}`,
      urls: href.url !== null && notrack === null ? [href.url] : [],
    };
  });

const blockTag = fc.constantFrom('div', 'p', 'span', 'td', 'tr', 'table', 'b', 'font', 'center', 'li', 'DIV', 'Td');
const element: fc.Arbitrary<Fragment> = fc
  .record({ tag: blockTag, attrs: fc.array(otherAttribute, { maxLength: 2 }), close: fc.constantFrom('open', 'close', 'both') })
  .map(({ tag, attrs, close }) => {
    const open = `<${tag}${attrs.map((a) => ` ${a.text}`).join('')}>`;
    return plain(close === 'open' ? open : close === 'close' ? `</${tag}>` : `${open}x</${tag}>`);
  });

const comment = fc.constantFrom('<!-- note -->', '<!---->', '<!-- <a href="https://hidden.example/">no</a> -->', '<!--[if !mso]><!-->', '<!--<![endif]-->')
  .map(plain);
const script = fc.constantFrom('<script>var s = "<a href=\'https://script.example/\'>";</script>', '<style>a[href^="https://x.example"]{color:red}</style>')
  .map(plain);

/** An Outlook-only block; a <br> after it keeps a VML shape from pairing with a following <a>. */
const msoBlock: fc.Arbitrary<Fragment> = fc
  .record({
    condition: fc.constantFrom('mso', 'gte mso 9', '(gte mso 9)|(IE)'),
    links: fc.array(fc.oneof(link, trackedHref.map((href) => ({
      source: `<v:roundrect href="${href.value.replace(/"/g, '&quot;')}" style="width:200px"><center>Go</center></v:roundrect>`,
      restored: `<v:roundrect href="${href.value.replace(/"/g, '&quot;')}" style="width:200px"><center>Go</center></v:roundrect>`,
      urls: href.url === null ? [] : [href.url],
    }))), { maxLength: 3 }),
  })
  .map(({ condition, links }) => {
    const inner = join(links);
    return join([plain(`<!--[if ${condition}]>`), inner, plain('<![endif]--><br>')]);
  });

const fragment: fc.Arbitrary<Fragment> = fc.oneof(
  { weight: 4, arbitrary: link },
  { weight: 3, arbitrary: text.map(plain) },
  { weight: 3, arbitrary: element },
  { weight: 1, arbitrary: comment },
  { weight: 1, arbitrary: script },
  { weight: 1, arbitrary: msoBlock },
);

const document: fc.Arbitrary<Fragment> = fc
  .record({ body: fc.array(fragment, { maxLength: 25 }), wrapped: fc.boolean(), bodyTag: randomCase('body') })
  .map(({ body, wrapped, bodyTag }) => {
    const content = join(body);
    if (!wrapped) return content;
    return join([
      plain(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>T</title></head>\n<${bodyTag} style="margin:0">`),
      content,
      plain(`</${bodyTag}>\n</html>\n`),
    ]);
  });

function instrumentAll(html: string): InstrumentResult {
  return instrument({ html }, { trackClicks: true, trackOpens: true, honeypot: true }, trackingUrls);
}

describe('generated documents', () => {
  test('the links found are exactly the trackable hrefs put in, in order', () => {
    fc.assert(fc.property(document, (doc) => {
      expect(instrumentAll(doc.source).links.map((link) => link.url)).toEqual(doc.urls);
    }), RUNS);
  });

  test('outside the edits, the output is the input byte for byte', () => {
    fc.assert(fc.property(document, (doc) => {
      const result = instrumentAll(doc.source);
      expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(doc.restored);
    }), RUNS);
  });

  test('the output has the elements and attributes of the input but for the edits, and its links now all point to the tracking URLs', () => {
    fc.assert(fc.property(document, (doc) => {
      const result = instrumentAll(doc.source);
      const output = result.html ?? '';
      assertSameStructure(doc.source, output, result);
      // Links that had data-notrack are plain links now; only ours are compared.
      const again = planInstrumentation({ html: output }, { trackClicks: true, trackOpens: false }).links
        .map((link) => link.url)
        .filter((url) => url.startsWith(TRACKING_ORIGIN));
      expect(again).toEqual([trackingUrls.honeypot(), ...result.links.map((link) => link.tracked)]);
    }), RUNS);
  });
});

describe('arbitrary input never throws', () => {
  const htmlish = fc
    .array(fc.constantFrom(
      '<a', '<A ', ' href=', 'HREF="', '"', "'", '=', '>', '/>', '</a>', '<area href=', 'https://x.example/p?a=1&amp;b=2', 'http://', 'mailto:x@y',
      '<!--', '-->', '<!--[if mso]>', '<![endif]-->', '<v:rect href="', '</v:rect>', '<body>', '</body>', '<script>', '</script>',
      '&', '&#', '&#x', ';', '<', '\r\n', ' ', '{{', '}}', 'data-condition=', '<!DOCTYPE html>', '<p>', '<td>', '\u0000', '\ud800',
    ), { maxLength: 40 })
    .map((pieces) => pieces.join(''));

  test('HTML-like token soup', () => {
    fc.assert(fc.property(htmlish, (html) => {
      const result = instrument({ html, text: html }, { trackClicks: true, trackOpens: true, honeypot: true }, trackingUrls);
      expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(html);
      expect(restoreOriginal(result.text ?? '', result, 'text')).toBe(html);
      assertSameStructure(html, result.html ?? '', result);
    }), RUNS);
  });

  test('any string, including lone surrogates', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), fc.string(), (a, b) => {
      instrument({ html: a + b, text: b + a }, { trackClicks: true, trackOpens: true, honeypot: true }, trackingUrls);
    }), RUNS);
  });
});
