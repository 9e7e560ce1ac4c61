import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { instrument, InstrumentError, MAX_PART_LENGTH } from './index.js';
import { restoreOriginal, trackingUrls } from './test-support.js';

const MB = 1024 * 1024;

function newsletterOf(length: number): { html: string; stories: number } {
  const block = readFileSync(resolve(process.cwd(), 'test/fixtures/html/newsletter-block.html'), 'utf8');
  const blocks: string[] = [];
  let size = 0;
  while (size < length) {
    const filled = block.replace(/__N__/g, String(blocks.length + 1));
    blocks.push(filled);
    size += filled.length;
  }
  return { html: `<html><body><table>${blocks.join('')}</table></body></html>`, stories: blocks.length };
}

describe('input size', () => {
  test('a 10 MB message is instrumented in a few seconds', () => {
    const { html, stories } = newsletterOf(10 * MB);
    const started = performance.now();
    const result = instrument({ html, text: html }, { trackClicks: true, trackOpens: true, honeypot: true }, trackingUrls);
    const elapsed = performance.now() - started;
    expect(result.links.filter((link) => link.part === 'html')).toHaveLength(stories * 4);
    expect(restoreOriginal(result.html ?? '', result, 'html')).toBe(html);
    expect(elapsed).toBeLessThan(8_000);
  });

  test('an unclosed link at the top of a large message does not make the work grow', () => {
    const html = `<a href="https://a.example/">${'<a name="x">word</a> '.repeat(200_000)}`;
    const started = performance.now();
    const result = instrument({ html }, { trackClicks: true, trackOpens: false }, trackingUrls);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result.links).toHaveLength(1);
  });

  test('a part at the limit is accepted; one character more is refused, naming the part and size', () => {
    expect(() => instrument({ text: 'a'.repeat(MAX_PART_LENGTH) }, { trackClicks: true, trackOpens: false }, trackingUrls)).not.toThrow();
    const tooLong = 'a'.repeat(MAX_PART_LENGTH + 1);
    for (const part of ['html', 'text'] as const) {
      let caught: unknown;
      try {
        instrument({ [part]: tooLong }, { trackClicks: true, trackOpens: true }, trackingUrls);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InstrumentError);
      expect(caught).toMatchObject({ code: 'INPUT_TOO_LARGE' });
      expect((caught as Error).message).toContain(`${part} part is ${MAX_PART_LENGTH + 1} characters`);
    }
    expect(MAX_PART_LENGTH).toBeGreaterThanOrEqual(20 * 1000 * 1000);
  });
});
