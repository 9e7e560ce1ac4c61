import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { linkPositions } from './link-positions.js';
import { planInstrumentation, type InstrumentPlan } from './plan.js';

const FIXTURES = resolve(process.cwd(), 'test/fixtures/html');

function planOf(html: string): InstrumentPlan {
  return planInstrumentation({ html }, { trackClicks: true, trackOpens: true, honeypot: true });
}

/** Every HTML occurrence has a position; its href is its raw value inside a start tag of a link element. */
function expectPositionsFit(html: string): void {
  const plan = planOf(html);
  const positions = linkPositions(html, plan.htmlEdits);
  const htmlLinks = plan.links.filter((link) => link.part === 'html');
  expect([...positions.keys()].sort((a, b) => a - b)).toEqual(htmlLinks.map((link) => link.ordinal));
  for (const link of htmlLinks) {
    const { href, tag } = positions.get(link.ordinal)!;
    expect(html.slice(href.start, href.end)).toBe(link.raw);
    const markup = html.slice(tag.start, tag.end);
    expect(markup).toMatch(/^<(a|area|v:[a-z]+)[\s/]/i);
    expect(markup.endsWith('>')).toBe(true);
    expect(tag.start < href.start && href.end < tag.end).toBe(true);
  }
}

describe('linkPositions', () => {
  for (const name of readdirSync(FIXTURES).filter((file) => file.endsWith('.html'))) {
    test(`fixture ${name}: each occurrence's href and tag are where its ordinal was planned`, () => {
      expectPositionsFit(readFileSync(resolve(FIXTURES, name), 'utf8'));
    });
  }

  test('two links to one destination are two places', () => {
    const html = '<p><a href="https://x.example/">top</a> text <a class="b" href="https://x.example/">bottom</a></p>';
    const positions = linkPositions(html, planOf(html).htmlEdits);
    expect(html.slice(positions.get(1)!.tag.start, positions.get(1)!.tag.end)).toBe('<a href="https://x.example/">');
    expect(html.slice(positions.get(2)!.tag.start, positions.get(2)!.tag.end)).toBe('<a class="b" href="https://x.example/">');
  });

  test('a `<` or `>` inside an earlier attribute value does not move the tag', () => {
    const html = '<div><a title="a<b>c" href=\'https://x.example/1\'>one</a><area alt=">" href=https://x.example/2></div>';
    expectPositionsFit(html);
    const positions = linkPositions(html, planOf(html).htmlEdits);
    expect(html.slice(positions.get(1)!.tag.start, positions.get(1)!.tag.end)).toBe('<a title="a<b>c" href=\'https://x.example/1\'>');
    expect(html.slice(positions.get(2)!.tag.start, positions.get(2)!.tag.end)).toBe('<area alt=">" href=https://x.example/2>');
  });

  test('a link inside an Outlook conditional block and the bulletproof pair: the <a> is the occurrence', () => {
    const html = [
      '<!--[if mso]><a href="https://x.example/outlook">Outlook</a><![endif]-->',
      '<!--[if mso]><v:roundrect href="https://x.example/button" style="w:1"><v:fill /></v:roundrect><![endif]-->',
      '<a href="https://x.example/button">Button</a>',
    ].join('\n');
    expectPositionsFit(html);
    const positions = linkPositions(html, planOf(html).htmlEdits);
    expect(html.slice(positions.get(1)!.tag.start, positions.get(1)!.tag.end)).toBe('<a href="https://x.example/outlook">');
    expect(html.slice(positions.get(2)!.tag.start, positions.get(2)!.tag.end)).toBe('<a href="https://x.example/button">');
  });

  test('text-part links and untracked links have no position', () => {
    const html = '<a href="mailto:a@x.example">mail</a><a href="https://x.example/">web</a>';
    const plan = planInstrumentation({ html, text: 'see https://x.example/t' }, { trackClicks: true, trackOpens: false });
    const positions = linkPositions(html, plan.htmlEdits);
    expect([...positions.keys()]).toEqual([1]);
    expect(plan.links.map((link) => link.part)).toEqual(['html', 'text']);
  });
});
