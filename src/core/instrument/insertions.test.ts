import { describe, expect, test } from 'vitest';
import { instrument, type PlanOptions } from './index.js';
import { assertSameStructure, restoreOriginal, trackingUrls } from './test-support.js';

const OPENS: PlanOptions = { trackClicks: true, trackOpens: true, honeypot: true };
const PIXEL_ONLY: PlanOptions = { trackClicks: true, trackOpens: true };

function run(html: string, options: PlanOptions = OPENS) {
  const result = instrument({ html }, options, trackingUrls);
  expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(html);
  return result;
}

describe('open pixel', () => {
  test('a 1x1 image with no layout impact, its URL attribute-escaped', () => {
    const result = instrument({ html: '' }, { trackClicks: false, trackOpens: true }, { ...trackingUrls, open: () => 'https://t.example/o?a=1&b="2"' });
    expect(result.pixel).toBe('<img src="https://t.example/o?a=1&amp;b=&quot;2&quot;" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0;margin:0;padding:0;" />');
    expect(result.html).toBe(result.pixel);
  });

  test('goes before the last </body> in any case, not one inside a comment or script', () => {
    const html = '<html><BODY><p>a</p></Body>\n<p>trailing</p></BODY >\n<!-- </body> --><script>"</body>"</script></html>';
    const result = run(html, PIXEL_ONLY);
    expect(result.html).toBe(html.replace('</BODY >', `${result.pixel}</BODY >`));
  });

  test('goes at the end when there is no </body>', () => {
    const result = run('<p>fragment</p>\n', PIXEL_ONLY);
    expect(result.html).toBe(`<p>fragment</p>\n${result.pixel}`);
  });

  test('goes before a tag or comment left unterminated at the end, which would swallow it', () => {
    const unterminatedEnds = [
      '<a href="https://x.example/"\n', '<img src=x alt="cut', '</p', '</p ', '<ahttp://', '<!-- cut off', '<!--[if mso]><b>Outlook</b>',
      '<script>var a = 1;', '<style>p { color: red }', '<title>cut', '<textarea>',
    ];
    for (const unterminated of unterminatedEnds) {
      const html = `<p>fragment</p>&amp; ${unterminated}`;
      const result = run(html, PIXEL_ONLY);
      expect(result.html).toBe(`<p>fragment</p>&amp; ${result.pixel}${unterminated}`);
      assertSameStructure(html, result.html ?? '', result);
    }
  });

  test('is left out when opens are not tracked', () => {
    const result = run('<body></body>', { trackClicks: true, trackOpens: false });
    expect(result).toMatchObject({ html: '<body></body>', pixel: null });
  });
});

describe('honeypot link', () => {
  test('hidden from sight, keyboard and screen readers, right after <body>, not a link occurrence', () => {
    const html = '<!DOCTYPE html><html><head><title>t</title></head><body class="x">\n<a href="https://a.example/">a</a></body></html>';
    const result = run(html);
    const markup = result.honeypot?.markup ?? '';
    expect(result.honeypot?.ordinal).toBe(0);
    expect(markup).toContain(`href="${trackingUrls.honeypot()}"`);
    expect(markup).toContain('tabindex="-1"');
    expect(markup).toContain('aria-hidden="true"');
    expect(markup).toMatch(/style="display:none[^"]*mso-hide:all/);
    expect(result.html).toContain(`<body class="x">${markup}\n<a href="${trackingUrls.click(1)}">`);
    expect(result.links.map((link) => link.ordinal)).toEqual([1]);
    // The pixel and the honeypot both fit in an empty body, honeypot first.
    const empty = run('<body></body>');
    expect(empty.html).toBe(`<body>${empty.honeypot?.markup}${empty.pixel}</body>`);
  });

  test('without a <body> tag it goes after the prologue, never before the doctype', () => {
    const cases: [string, string][] = [
      ['<!DOCTYPE html>\n<p>x</p>', '<!DOCTYPE html>'],
      ['<!doctype html><html lang="en"><p>x</p>', '<html lang="en">'],
      ['<html><head><title>t</title></head>\n<p>x</p>', '</head>'],
    ];
    for (const [html, before] of cases) {
      const result = run(html, { ...OPENS, trackOpens: false });
      expect(result.html).toBe(html.replace(before, `${before}${result.honeypot?.markup}`));
    }
    const fragment = run('<p>x</p>', { ...OPENS, trackOpens: false });
    expect(fragment.html).toBe(`${fragment.honeypot?.markup}<p>x</p>`);
  });

  test('a doctype, <html> or </head> inside content is no prologue: the honeypot does not go into that content', () => {
    for (const html of ['<p>x<!DOCTYPE html>y</p>', '<table><tr><td><html>y</td></tr></table>', '<p>x</head>y</p>']) {
      const result = run(html, { ...OPENS, trackOpens: false });
      expect(result.html).toBe(`${result.honeypot?.markup}${html}`);
      assertSameStructure(html, result.html ?? '', result);
    }
  });

  test('needs both the option and click tracking', () => {
    expect(run('<body></body>', { trackClicks: true, trackOpens: false }).honeypot).toBeNull();
    expect(run('<body></body>', { trackClicks: false, trackOpens: false, honeypot: true }).honeypot).toBeNull();
  });
});
