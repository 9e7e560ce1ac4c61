import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { instrument, InstrumentError, MAX_LINKS_PER_EXECUTION, MAX_PART_LENGTH, type InstrumentInput, type PlanOptions } from './index.js';
import { largestAcceptedHtml, restoreOriginal, trackingUrls } from './test-support.js';

const ALL_ON: PlanOptions = { trackClicks: true, trackOpens: true, honeypot: true };
const block = readFileSync(resolve(process.cwd(), 'test/fixtures/html/newsletter-block.html'), 'utf8');

function refusal(input: InstrumentInput, options: PlanOptions = ALL_ON): InstrumentError {
  try {
    instrument(input, options, trackingUrls);
  } catch (error) {
    if (error instanceof InstrumentError) return error;
    throw error;
  }
  throw new Error('accepted');
}

/** `count` tracked links, one a line, in an HTML part and in a text part. */
const htmlLinks = (count: number) => Array.from({ length: count }, (_, i) => `<a href="https://l.example/${i}">${i}</a>\n`).join('');
const textLinks = (count: number) => Array.from({ length: count }, (_, i) => `https://t.example/${i}\n`).join('');

describe('input limits', () => {
  test('the largest accepted HTML part (the size limit, the link limit) is instrumented whole, in a moment', () => {
    const html = largestAcceptedHtml(block, MAX_PART_LENGTH, MAX_LINKS_PER_EXECUTION);
    expect(html.length).toBe(MAX_PART_LENGTH);
    const started = performance.now();
    const result = instrument({ html }, ALL_ON, trackingUrls);
    const elapsed = performance.now() - started;
    expect(result.links).toHaveLength(MAX_LINKS_PER_EXECUTION);
    expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(html);
    expect(elapsed).toBeLessThan(3_000);
  });

  test('a part one character over the limit is refused, naming the part, its size and the limit', () => {
    expect(() => instrument({ text: 'a'.repeat(MAX_PART_LENGTH) }, ALL_ON, trackingUrls)).not.toThrow();
    for (const part of ['html', 'text'] as const) {
      const error = refusal({ [part]: 'a'.repeat(MAX_PART_LENGTH + 1) });
      expect(error.code).toBe('INPUT_TOO_LARGE');
      expect(error.message).toBe(`${part}: the part is ${MAX_PART_LENGTH + 1} characters long; the limit is ${MAX_PART_LENGTH} (2 MiB)`);
    }
  });

  test('one link over the limit, counting both parts, is refused, naming the parts, the count and the limit', () => {
    const half = MAX_LINKS_PER_EXECUTION / 2;
    expect(instrument({ html: htmlLinks(half), text: textLinks(half) }, ALL_ON, trackingUrls).links).toHaveLength(MAX_LINKS_PER_EXECUTION);
    const both = refusal({ html: htmlLinks(half + 1), text: textLinks(half) });
    expect(both.code).toBe('TOO_MANY_LINKS');
    expect(both.message).toBe(`html, text: ${MAX_LINKS_PER_EXECUTION + 1} links to track (html ${half + 1}, text ${half}); the limit is ${MAX_LINKS_PER_EXECUTION} per execution`);
    expect(refusal({ html: htmlLinks(MAX_LINKS_PER_EXECUTION + 1) }).message).toMatch(/^html: 5001 links/);
    // Links left alone do not count.
    expect(() => instrument({ html: htmlLinks(MAX_LINKS_PER_EXECUTION + 1) }, { trackClicks: false, trackOpens: true }, trackingUrls)).not.toThrow();
  });

  test('content accepted before the limits were lowered is still planned, when asked', () => {
    const html = htmlLinks(MAX_LINKS_PER_EXECUTION + 1) + 'x'.repeat(MAX_PART_LENGTH);
    expect(instrument({ html }, { ...ALL_ON, checkLimits: false }, trackingUrls).links).toHaveLength(MAX_LINKS_PER_EXECUTION + 1);
  });

  test('an unclosed link at the top of a large message does not make the work grow', () => {
    const html = `<a href="https://a.example/">${'<a name="x">word</a> '.repeat(99_000)}`;
    expect(html.length).toBeLessThanOrEqual(MAX_PART_LENGTH);
    const started = performance.now();
    const result = instrument({ html }, { trackClicks: true, trackOpens: false }, trackingUrls);
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(result.links).toHaveLength(1);
  });
});
