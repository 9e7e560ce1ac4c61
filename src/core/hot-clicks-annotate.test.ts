import { describe, expect, it } from 'vitest';
import {
  AnnotateError,
  BADGE_CLASS,
  DISABLED_PREFIX,
  annotateHotClicks,
  badgeLabel,
  framePolicy,
  headInsertionPoint,
  shareText,
  type AnnotateOptions,
  type AnnotatedOccurrence,
} from './hot-clicks-annotate.js';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { linkPositions } from './instrument/link-positions.js';
import { planInstrumentation } from './instrument/plan.js';

const HUMAN: AnnotateOptions = { scope: 'human', remoteImages: false, shownConditions: null };

/** Occurrences of the links of `html`, found by looking for each `<a href="...">` (these test documents are simple). */
function occurrencesOf(html: string, counts: [human: number, all: number][] = []): AnnotatedOccurrence[] {
  const found: AnnotatedOccurrence[] = [];
  const totals = counts.reduce((sum, [h, a]) => [sum[0] + h, sum[1] + a], [0, 0]);
  for (const match of html.matchAll(/<a\s[^>]*href=(["'])(.*?)\1[^>]*>/g)) {
    const [human, all] = counts[found.length] ?? [0, 0];
    const href = match[2]!;
    const hrefStart = match.index + match[0].indexOf(href);
    found.push({
      ordinal: found.length + 1,
      url: href,
      position: { tag: { start: match.index, end: match.index + match[0].length }, href: { start: hrefStart, end: hrefStart + href.length } },
      clicks: { human, all },
      share: { human: totals[0] === 0 ? null : human / totals[0], all: totals[1] === 0 ? null : all / totals[1] },
    });
  }
  return found;
}

/** The document with every insertion taken out again: the badges, the head block, the refresh guards. */
function withoutInsertions(annotated: string): string {
  return annotated
    .replace(new RegExp(`<span class="${BADGE_CLASS}"[^>]*>[^<]*</span>`, 'g'), '')
    .replace(/<meta http-equiv="Content-Security-Policy"[^>]*><meta name="referrer" content="no-referrer"><base target="_blank"><style data-mailsight>[^<]*<\/style>/, '')
    .replaceAll(DISABLED_PREFIX, '');
}

const badgesOf = (annotated: string) =>
  [...annotated.matchAll(new RegExp(`<span class="${BADGE_CLASS}" data-mailsight-ordinal="(\\d+)"[^>]*aria-label="([^"]*)"[^>]*>([^<]*)</span>`, 'g'))].map((m) => ({
    ordinal: Number(m[1]),
    label: m[2]!,
    text: m[3]!,
    at: m.index,
  }));

const MAIL = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Autumn</title></head>
<body>
<p>Hello <a href="https://shop.example/?a=1&amp;b=2" style="color:red">the shop</a></p>
<table><tr><td data-condition="vip"><a href="https://shop.example/vip">VIP offer</a></td></tr>
<tr><td data-condition="region:eu"><a href="https://shop.example/eu">EU offer</a></td></tr></table>
<p><a href='https://shop.example/end'>end</a> · café ☕ 𝄞</p>
</body></html>`;

describe('annotateHotClicks', () => {
  it('changes no byte of the message outside what it inserts', () => {
    const occurrences = occurrencesOf(MAIL, [[1, 2], [3, 4], [0, 5], [4, 9]]);
    for (const options of [HUMAN, { ...HUMAN, scope: 'all' as const }, { scope: 'human' as const, remoteImages: true, shownConditions: ['vip'] }]) {
      const annotated = annotateHotClicks(MAIL, occurrences, options);
      expect(annotated).not.toBe(MAIL);
      expect(withoutInsertions(annotated)).toBe(MAIL);
    }
  });

  it('puts one badge just before each shown link start tag, with its share of the chosen scope and both counts', () => {
    const occurrences = occurrencesOf(MAIL, [[1, 2], [3, 4], [0, 5], [4, 9]]);
    const human = annotateHotClicks(MAIL, occurrences, HUMAN);
    const badges = badgesOf(human);
    expect(badges.map((b) => b.ordinal)).toEqual([1, 2, 3, 4]);
    expect(badges.map((b) => b.text)).toEqual(['12.5 %', '37.5 %', '0.0 %', '50.0 %']);
    for (const b of badges) {
      const after = human.slice(b.at).replace(/^<span[^>]*>[^<]*<\/span>/, '');
      expect(after.startsWith('<a ')).toBe(true);
    }
    expect(badges[0]!.label).toBe('Link 1, https://shop.example/?a=1&amp;amp;b=2: 12.5 % of human clicks (1 human, 2 all)');
    const all = badgesOf(annotateHotClicks(MAIL, occurrences, { ...HUMAN, scope: 'all' }));
    expect(all.map((b) => b.text)).toEqual(['10.0 %', '20.0 %', '25.0 %', '45.0 %']);
    expect(all[3]!.label).toContain('45.0 % of all clicks (4 human, 9 all)');
  });

  it('gives no badge to the occurrences left out, nor to text-part links', () => {
    const [first, , third] = occurrencesOf(MAIL, [[1, 1], [1, 1], [1, 1], [1, 1]]);
    const textLink: AnnotatedOccurrence = { ordinal: 9, url: 'https://text.example/', position: null, clicks: { human: 1, all: 1 }, share: { human: 0.5, all: 0.5 } };
    const badges = badgesOf(annotateHotClicks(MAIL, [third!, first!, textLink], HUMAN));
    expect(badges.map((b) => b.ordinal)).toEqual([1, 3]);
  });

  it('says when there is nothing to share', () => {
    const [only] = occurrencesOf(MAIL);
    const badges = badgesOf(annotateHotClicks(MAIL, [only!], HUMAN));
    expect(badges[0]!.text).toBe('–');
    expect(badges[0]!.label).toContain('no human clicks yet (0 human, 0 all)');
  });

  it('escapes what it writes into attributes and text', () => {
    const html = '<a href="https://x.example/?q=&quot;&gt;<b>">x</a>';
    const [occurrence] = occurrencesOf(html);
    const annotated = annotateHotClicks(html, [{ ...occurrence!, url: 'https://x.example/?q=">&<b>' }], HUMAN);
    expect(annotated).toContain('aria-label="Link 1, https://x.example/?q=&quot;&gt;&amp;&lt;b&gt;: ');
    expect(withoutInsertions(annotated)).toBe(html);
  });

  /** The occurrences the API would give for `html`: the planner's links at their stored positions. */
  function plannedOccurrences(html: string): AnnotatedOccurrence[] {
    const plan = planInstrumentation({ html }, { trackClicks: true, trackOpens: true, honeypot: false });
    const positions = linkPositions(html, plan.htmlEdits);
    return plan.links
      .filter((link) => link.part === 'html')
      .map((link) => ({ ordinal: link.ordinal, url: link.url, position: positions.get(link.ordinal) ?? null, clicks: { human: 1, all: 2 }, share: { human: 0.25, all: 0.5 } }));
  }

  it('works on a document as the instrumenter saw it, at the offsets of its plan (VML buttons, areas, unquoted hrefs)', () => {
    const html = `<html><head><title>t</title></head><body>
<!--[if mso]><v:roundrect href="https://button.example/">x</v:roundrect><![endif]-->
<!--[if !mso]><!-- --><a href="https://button.example/">Button</a><!--<![endif]-->
<div data-condition="vip"><a href=https://vip.example/>vip</a></div><map><area href="https://map.example/" shape=rect></map>
</body></html>`;
    const occurrences = plannedOccurrences(html);
    expect(occurrences.length).toBe(3);
    const annotated = annotateHotClicks(html, occurrences, HUMAN);
    expect(withoutInsertions(annotated)).toBe(html);
    expect(badgesOf(annotated).map((b) => b.ordinal)).toEqual([1, 2, 3]);
  });

  const FIXTURES = resolve(process.cwd(), 'test/fixtures/html');
  for (const name of readdirSync(FIXTURES).filter((file) => file.endsWith('.html'))) {
    it(`fixture ${name}: a badge per occurrence, every other byte as stored`, () => {
      const html = readFileSync(resolve(FIXTURES, name), 'utf8');
      const occurrences = plannedOccurrences(html).filter((o) => o.position !== null);
      const annotated = annotateHotClicks(html, occurrences, HUMAN);
      expect(withoutInsertions(annotated)).toBe(html);
      expect(badgesOf(annotated).map((b) => b.ordinal).sort((a, b) => a - b)).toEqual(occurrences.map((o) => o.ordinal));
    });
  }
});

describe('the policy of the frame', () => {
  it('goes first inside <head>, forbidding scripts, connections, frames and remote images unless switched on', () => {
    const annotated = annotateHotClicks(MAIL, [], HUMAN);
    const head = annotated.indexOf('<head>') + '<head>'.length;
    expect(annotated.slice(head).startsWith('<meta http-equiv="Content-Security-Policy" content="')).toBe(true);
    expect(annotated).toContain('<base target="_blank">');
    const policy = /content="([^"]*)"/.exec(annotated.slice(head))![1]!;
    for (const directive of ["script-src 'none'", "connect-src 'none'", "frame-src 'none'", "default-src 'none'", "form-action 'none'"]) expect(policy).toContain(directive);
    expect(policy).toContain('img-src data:;'.slice(0, -1));
    expect(policy).not.toMatch(/https:|http:/);
    expect(framePolicy(true)).toContain('img-src data: https: http:');
    expect(annotateHotClicks(MAIL, [], { ...HUMAN, remoteImages: true })).toContain('img-src data: https: http:"');
  });

  it('goes at the start of a document without <head>, after its doctype and <html>', () => {
    expect(headInsertionPoint('<p>hi</p>')).toBe(0);
    expect(headInsertionPoint('<!doctype html><p>hi</p>')).toBe('<!doctype html>'.length);
    expect(headInsertionPoint('<!DOCTYPE html>\n<!-- x --><html lang="a>b">\n<body>')).toBe('<!DOCTYPE html>\n<!-- x --><html lang="a>b">\n'.length);
    expect(headInsertionPoint('\uFEFF<?xml version="1.0"?><html><HEAD profile="x">')).toBe('\uFEFF<?xml version="1.0"?><html><HEAD profile="x">'.length);
    const annotated = annotateHotClicks('<a href="https://x.example/">x</a>', occurrencesOf('<a href="https://x.example/">x</a>'), HUMAN);
    expect(annotated.startsWith('<meta http-equiv="Content-Security-Policy"')).toBe(true);
    expect(badgesOf(annotated)).toHaveLength(1);
  });

  it('is not put inside a comment or after content that could load something first', () => {
    expect(headInsertionPoint('<!-- <head> --><body>')).toBe('<!-- <head> -->'.length);
    expect(headInsertionPoint('<html><img src="https://pixel.example/"><head>')).toBe('<html>'.length);
    expect(headInsertionPoint('<html><header>')).toBe('<html>'.length);
    expect(headInsertionPoint('<!-- never closed <head>')).toBe(0);
  });

  it("turns a mail's meta refresh off, which no policy stops", () => {
    const html = '<head><META HTTP-EQUIV="Refresh" content="0;url=https://elsewhere.example/"><meta http-equiv="content-type" content="text/html"></head>';
    const annotated = annotateHotClicks(html, [], HUMAN);
    expect(annotated).toContain(`<META ${DISABLED_PREFIX}HTTP-EQUIV="Refresh"`);
    expect(annotated).toContain('<meta http-equiv="content-type"');
    expect(withoutInsertions(annotated)).toBe(html);
  });
});

describe('blocks of dynamic content', () => {
  const styleOf = (annotated: string) => /<style data-mailsight>([^<]*)<\/style>/.exec(annotated)![1]!;

  it('shows every block when the view shows every link', () => {
    expect(styleOf(annotateHotClicks(MAIL, [], HUMAN))).not.toContain('data-condition');
  });

  it('hides the blocks of the conditions not shown, and keeps blank labels (not conditions) shown', () => {
    const style = styleOf(annotateHotClicks(MAIL, [], { ...HUMAN, shownConditions: ['vip'] }));
    expect(style).toContain('[data-condition]:not([data-condition=""]):not([data-condition="vip"]){display:none!important}');
    expect(style).not.toContain('region:eu');
  });

  it('keeps a shown label written with spaces around it shown too, as the instrumenter trims it', () => {
    const html = '<div data-condition=" vip ">a</div><div data-condition=\'  \'>b</div><div data-condition=other>c</div>';
    const style = styleOf(annotateHotClicks(html, [], { ...HUMAN, shownConditions: ['vip'] }));
    expect(style).toContain(':not([data-condition=" vip "])');
    expect(style).toContain(':not([data-condition="  "])');
    expect(style).not.toContain('other');
  });

  it('hides every conditional block when no condition is shown', () => {
    const style = styleOf(annotateHotClicks(MAIL, [], { ...HUMAN, shownConditions: [] }));
    expect(style).toContain('[data-condition]:not([data-condition=""]){display:none!important}');
  });

  it('cannot be made to end its style element by a label', () => {
    const style = styleOf(annotateHotClicks(MAIL, [], { ...HUMAN, shownConditions: ['x</style><script>alert(1)</script>"\\'] }));
    expect(style).not.toContain('<');
    expect(style).toContain('x\\3c /style\\3e \\3c script\\3e alert(1)\\3c /script\\3e \\22 \\5c ');
  });
});

describe('odd input', () => {
  it('copes with garbage and odd HTML', () => {
    for (const html of ['', 'plain text, no markup', '<<<>>>', '<html', '<head', '<!-- unterminated', '<a href="x">x', '\u0000\uFFFF<b>', '<html><head><head>']) {
      const annotated = annotateHotClicks(html, [], HUMAN);
      expect(withoutInsertions(annotated)).toBe(html);
      expect(annotated).toContain('Content-Security-Policy');
    }
  });

  it('refuses offsets out of range, naming the occurrence', () => {
    const [occurrence] = occurrencesOf(MAIL);
    const at = (tag: { start: number; end: number }, href = tag) => ({ ...occurrence!, ordinal: 7, position: { tag, href } });
    expect(() => annotateHotClicks(MAIL, [at({ start: MAIL.length, end: MAIL.length + 5 })], HUMAN)).toThrow(AnnotateError);
    expect(() => annotateHotClicks(MAIL, [at({ start: MAIL.length, end: MAIL.length + 5 })], HUMAN)).toThrow(/link occurrence 7: tag offsets .* outside this HTML \(length \d+\)/);
    expect(() => annotateHotClicks(MAIL, [at({ start: -1, end: 3 })], HUMAN)).toThrow(/link occurrence 7: tag offsets -1\.\.3/);
    expect(() => annotateHotClicks(MAIL, [at({ start: 10, end: 5 })], HUMAN)).toThrow(/outside this HTML/);
    expect(() => annotateHotClicks(MAIL, [at({ start: 1.5, end: 5 })], HUMAN)).toThrow(/outside this HTML/);
  });

  it('refuses offsets that do not point at a start tag holding the href', () => {
    const [occurrence] = occurrencesOf(MAIL);
    const { tag, href } = occurrence!.position!;
    expect(() => annotateHotClicks(MAIL, [{ ...occurrence!, position: { tag: { start: tag.start + 1, end: tag.end }, href } }], HUMAN)).toThrow(/link occurrence 1: offset .* is not a start tag/);
    expect(() => annotateHotClicks(MAIL, [{ ...occurrence!, position: { tag, href: { start: tag.end, end: tag.end + 2 } } }], HUMAN)).toThrow(/link occurrence 1: href .* is not inside its tag/);
    expect(() => annotateHotClicks('<p>other html</p>', [occurrence!], HUMAN)).toThrow(/not this execution's HTML/);
  });
});

describe('labels', () => {
  it('reads shares as percents with one decimal', () => {
    expect(shareText(0.125)).toBe('12.5 %');
    expect(shareText(1)).toBe('100.0 %');
    expect(shareText(0)).toBe('0.0 %');
    expect(shareText(null)).toBe('–');
  });

  it('names the link, the scope and both counts', () => {
    const occurrence: AnnotatedOccurrence = { ordinal: 3, url: 'https://a.example/', position: null, clicks: { human: 40, all: 52 }, share: { human: 0.125, all: 0.2 } };
    expect(badgeLabel(occurrence, 'human')).toBe('Link 3, https://a.example/: 12.5 % of human clicks (40 human, 52 all)');
    expect(badgeLabel(occurrence, 'all')).toBe('Link 3, https://a.example/: 20.0 % of all clicks (40 human, 52 all)');
  });
});

describe('badge colours', () => {
  it('grow hotter with the share: none for a link nobody clicked, the hottest for a third of the clicks or more', () => {
    const html = '<p><a href="https://a.example/">a</a> <a href="https://b.example/">b</a> <a href="https://c.example/">c</a> <a href="https://d.example/">d</a></p>';
    // Shares of human clicks: 0, 2 %, 10 %, 88 %.
    const annotated = annotateHotClicks(html, occurrencesOf(html, [[0, 0], [1, 1], [5, 5], [44, 44]]), HUMAN);
    const heats = [...annotated.matchAll(/data-mailsight-ordinal="(\d+)" data-heat="(\d)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(heats).toEqual([
      [1, 0],
      [2, 1],
      [3, 2],
      [4, 4],
    ]);
    // Each level has its colour in the frame's style.
    for (const level of [0, 1, 2, 3, 4]) expect(annotated).toContain(`[data-heat="${level}"]{background:`);
  });
});

describe('the policy goes before anything that could load, as the browser parses the start of a document', () => {
  const tracker = '<img src="https://tracker.example/p.gif">';
  it('does not take a comment the browser closes early, or one holding --!>, for a comment', () => {
    for (const html of [`<!-->${tracker}<!-- -->`, `<!--->${tracker}<!-- -->`, `<!-- a --!>${tracker}<!-- -->`]) {
      expect(headInsertionPoint(html), html).toBe(0);
    }
    expect(headInsertionPoint('<!-- a --->x')).toBe('<!-- a --->'.length);
  });

  it('ends a doctype at its first >, and does not let a quote outside a value hide the end of <html>', () => {
    expect(headInsertionPoint(`<!doctype html "x>">${tracker}`)).toBe('<!doctype html "x>'.length);
    expect(headInsertionPoint(`<html a">${tracker}">`)).toBe(0);
    expect(headInsertionPoint(`<html lang=en"x>${tracker}`)).toBe(0);
    expect(headInsertionPoint('<html lang="en" data-x=\'a>b\'><head>')).toBe('<html lang="en" data-x=\'a>b\'><head>'.length);
  });

  it('puts the policy before the tracker in each of those documents', () => {
    for (const html of [`<!-->${tracker}`, `<html a">${tracker}">`, `<!doctype html "x>">${tracker}`]) {
      const annotated = annotateHotClicks(html, [], HUMAN);
      expect(annotated.indexOf('Content-Security-Policy'), html).toBeLessThan(annotated.indexOf('tracker.example'));
    }
  });
});

describe('attributes that reach the network outside the policy', () => {
  it("turns off a link's rel (preconnect, dns-prefetch, prefetch) and a refresh written without a space before it", () => {
    const html = '<head><link rel="dns-prefetch" href="//t.example"><link href="//t.example" rel=preconnect><meta content="0;url=https://t.example/"http-equiv=refresh></head>';
    const annotated = annotateHotClicks(html, [], HUMAN);
    expect(annotated).toContain(`<link ${DISABLED_PREFIX}rel="dns-prefetch"`);
    expect(annotated).toContain(`href="//t.example" ${DISABLED_PREFIX}rel=preconnect>`);
    expect(annotated).toContain(`"${DISABLED_PREFIX}http-equiv=refresh>`);
    expect(withoutInsertions(annotated)).toBe(html);
  });
});
