/**
 * Helpers shared by the instrumentation tests. They undo an instrumentation
 * from the result data alone, without calling the code under test, so a test
 * can assert that nothing outside the reported edits changed.
 */
import type { InstrumentResult, LinkPart, TrackingUrls } from './index.js';

export const TRACKING_ORIGIN = 'https://t.mailsight.test';

/**
 * Click URLs end with a fixed segment so that no URL is a prefix of another
 * (`/c/1/` is not inside `/c/12/`), which keeps the undo below unambiguous.
 */
export const trackingUrls: TrackingUrls = {
  click: (ordinal) => `${TRACKING_ORIGIN}/c/${ordinal}/s1gn4ture`,
  open: () => `${TRACKING_ORIGIN}/o/0penp1xel.gif`,
  honeypot: () => `${TRACKING_ORIGIN}/c/0/h0neyp0t`,
};

/**
 * Turns an instrumented part back into its source: every tracked value back to
 * its raw value, inserted markup removed. Throws when inserted markup is not
 * found exactly once, so a misplaced insertion cannot go unnoticed.
 */
export function restoreOriginal(output: string, result: InstrumentResult, part: LinkPart): string {
  let restored = output;
  if (part === 'html') {
    for (const markup of [result.pixel, result.honeypot?.markup]) {
      if (markup) restored = removeExactlyOnce(restored, markup);
    }
  }
  const rawByTracked = new Map<string, string>();
  for (const link of result.links) {
    if (link.part === part) rawByTracked.set(link.tracked, link.raw);
  }
  if (rawByTracked.size === 0) return restored;
  const alternatives = [...rawByTracked.keys()]
    .sort((a, b) => b.length - a.length)
    .map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return restored.replace(new RegExp(alternatives.join('|'), 'g'), (tracked) => rawByTracked.get(tracked) ?? tracked);
}

export function removeExactlyOnce(text: string, piece: string): string {
  const first = text.indexOf(piece);
  if (first === -1 || text.indexOf(piece, first + 1) !== -1) {
    throw new Error(`expected exactly one occurrence of ${piece.slice(0, 60)}...`);
  }
  return text.slice(0, first) + text.slice(first + piece.length);
}

/** Counts non-overlapping occurrences of `piece`. */
export function occurrences(text: string, piece: string): number {
  return text.split(piece).length - 1;
}

/**
 * The source with its data-notrack attributes and the whitespace before them
 * removed: what a restored output must equal. A regular expression, not the
 * tokenizer, so it checks the tokenizer-based code independently.
 */
export function withoutNotrack(html: string): string {
  return html.replace(/[\t\n\f\r ]*\bdata-notrack(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]+))?/gi, '');
}

export interface LinkSummary {
  ordinal: number;
  url: string;
  text: string;
  condition: string | null;
}

export function summarize(result: InstrumentResult): LinkSummary[] {
  return result.links.map(({ ordinal, url, text, condition }) => ({ ordinal, url, text, condition }));
}

/** Ordinals 1..n for a list of expected links written without them. */
export function numbered(links: Omit<LinkSummary, 'ordinal'>[], first = 1): LinkSummary[] {
  return links.map((link, index) => ({ ordinal: first + index, ...link }));
}

/**
 * The largest HTML part accepted: newsletter stories (`block`, with `__N__` for the story number and
 * four tracked links each) up to MAX_LINKS_PER_EXECUTION links, then running text up to exactly
 * MAX_PART_LENGTH characters. The stories alone are `maxLength`-bounded by the caller's numbers.
 */
export function largestAcceptedHtml(block: string, maxLength: number, maxLinks: number, linksPerBlock = 4): string {
  const head = '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Largest</title></head>\n<body><table>\n';
  const tail = '</table>\n</body>\n</html>\n';
  const stories: string[] = [];
  for (let story = 1; story * linksPerBlock <= maxLinks; story++) stories.push(block.replace(/__N__/g, String(story)));
  const body = stories.join('');
  const open = '<tr><td><p>';
  const close = '</p></td></tr>\n';
  const room = maxLength - head.length - body.length - tail.length - open.length - close.length;
  if (room < 0) throw new Error(`${stories.length} stories do not fit in ${maxLength} characters`);
  const sentence = 'Filler text of a very long letter, with no links in it. ';
  const filler = sentence.repeat(Math.ceil(room / sentence.length)).slice(0, room);
  return head + body + open + filler + close + tail;
}
