/**
 * Helpers shared by the instrumentation tests. They undo an instrumentation
 * from the result data alone, without calling the code under test, so a test
 * can assert that nothing outside the reported edits changed.
 */
import { Parser } from 'htmlparser2';
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
  return html.replace(
    /([\t\n\f\r ]*)\bdata-notrack(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"[^"]*"|'[^']*'|[^\t\n\f\r >]+))?/gi,
    (match: string, whitespace: string, offset: number) => {
      // The whitespace before stays when another attribute is glued after (`data-notrack='1'title=...`).
      const next = html.charAt(offset + match.length);
      return next === '' || /[\t\n\f\r />]/.test(next) ? '' : whitespace;
    },
  );
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

/**
 * A document as htmlparser2's Parser (not the tokenizer wrapper under test) sees it, in document
 * order: elements opened with their attributes as written (names lower-cased, values decoded, in
 * order, duplicates kept), elements closed (by an end tag or implied), text (adjacent pieces joined),
 * comments, and declarations. The markup of an Outlook conditional comment is parsed as a fragment
 * of its own, since Outlook renders it.
 */
export type StructureToken =
  | { type: 'open'; name: string; attributes: [string, string][] }
  | { type: 'close'; name: string }
  | { type: 'text'; data: string }
  | { type: 'comment'; data: string }
  | { type: 'conditional'; opener: string; inner: StructureToken[] }
  | { type: 'declaration'; data: string };

/** `<!--[if mso]> markup <![endif]-->`: what the comment holds, written independently of conditional-comments.ts. */
const CONDITIONAL_COMMENT = /^(\s*\[if\b[^\]]*\]>)([\s\S]*?)(?:<!\[endif\])?$/i;

export function structureOf(html: string, fragment = false): StructureToken[] {
  const tokens: StructureToken[] = [];
  let attributes: [string, string][] = [];
  const push = (token: StructureToken) => {
    const last = tokens.at(-1);
    if (token.type === 'text' && last?.type === 'text') last.data += token.data;
    else tokens.push(token);
  };
  const parser = new Parser(
    {
      onattribute: (name, value) => attributes.push([name, value]),
      onopentag: (name) => {
        push({ type: 'open', name, attributes });
        attributes = [];
      },
      onclosetag: (name) => push({ type: 'close', name }),
      ontext: (data) => push({ type: 'text', data }),
      oncomment: (data) => {
        const conditional = CONDITIONAL_COMMENT.exec(data);
        push(conditional ? { type: 'conditional', opener: conditional[1]!, inner: structureOf(conditional[2]!, true) } : { type: 'comment', data });
      },
      onprocessinginstruction: (_name, data) => push({ type: 'declaration', data }),
    },
    // VML inside a conditional comment is XML: `<v:fill />` closes itself.
    { recognizeSelfClosing: fragment },
  );
  parser.end(html);
  return tokens;
}

/**
 * Throws unless `output` has the element and attribute structure of `input` apart from the edits an
 * instrumentation may make: the inserted pixel and honeypot (each found exactly once, as a whole),
 * `data-notrack` attributes dropped, and href values replaced by the tracking URL of a link whose
 * destination is the value it replaced. Everything else (tags, their nesting, attributes, texts,
 * comments) must be the same, so a splice in the wrong place cannot pass unnoticed.
 */
export function assertSameStructure(input: string, output: string, result: InstrumentResult): void {
  let produced = structureOf(output);
  for (const [what, markup] of [['pixel', result.pixel], ['honeypot', result.honeypot?.markup]] as const) {
    if (markup) produced = withoutInsertion(produced, structureOf(markup), what);
  }
  const linkByTracked = new Map(result.links.map((link) => [link.tracked, link]));
  compareStructures(structureOf(input), produced, linkByTracked, 'document');
}

function withoutInsertion(tokens: StructureToken[], inserted: StructureToken[], what: string): StructureToken[] {
  const key = JSON.stringify;
  const starts = tokens.flatMap((_, start) =>
    inserted.every((token, offset) => key(tokens[start + offset]) === key(token)) ? [start] : []);
  if (starts.length !== 1) throw new Error(`the ${what} is found ${starts.length} times as a whole element in the output`);
  const rest = [...tokens.slice(0, starts[0]), ...tokens.slice(starts[0]! + inserted.length)];
  // Text on both sides of the insertion is one text again.
  return rest.reduce<StructureToken[]>((joined, token) => {
    const last = joined.at(-1);
    if (token.type === 'text' && last?.type === 'text') joined[joined.length - 1] = { type: 'text', data: last.data + token.data };
    else joined.push(token);
    return joined;
  }, []);
}

function compareStructures(input: StructureToken[], output: StructureToken[], links: Map<string, { url: string }>, where: string): void {
  const count = Math.max(input.length, output.length);
  for (let index = 0; index < count; index++) {
    const before = input[index];
    const after = output[index];
    const at = `${where}, token ${index}`;
    if (before === undefined || after === undefined || before.type !== after.type) {
      throw new Error(`${at}: ${JSON.stringify(before)} became ${JSON.stringify(after)}`);
    }
    if (before.type === 'conditional' && after.type === 'conditional') {
      if (before.opener !== after.opener) throw new Error(`${at}: conditional comment ${before.opener} became ${after.opener}`);
      compareStructures(before.inner, after.inner, links, `${at} (inside ${before.opener})`);
    } else if (before.type === 'open' && after.type === 'open') {
      compareAttributes(before, after, links, at);
    } else if (JSON.stringify(before) !== JSON.stringify(after)) {
      throw new Error(`${at}: ${JSON.stringify(before)} became ${JSON.stringify(after)}`);
    }
  }
}

function compareAttributes(
  before: { name: string; attributes: [string, string][] },
  after: { name: string; attributes: [string, string][] },
  links: Map<string, { url: string }>,
  at: string,
): void {
  // data-notrack is an instruction to us on links only; elsewhere it is the sender's and stays.
  const link = before.name === 'a' || before.name === 'area' || before.name.startsWith('v:');
  const kept = link ? before.attributes.filter(([name]) => name !== 'data-notrack') : before.attributes;
  const describe = (attributes: [string, string][]) => attributes.map(([name]) => name).join(' ');
  if (before.name !== after.name || describe(kept) !== describe(after.attributes)) {
    throw new Error(`${at}: <${before.name} ${describe(kept)}> became <${after.name} ${describe(after.attributes)}>`);
  }
  kept.forEach(([name, value], index) => {
    const written = after.attributes[index]![1];
    if (written === value) return;
    const tracked = name === 'href' ? links.get(written) : undefined;
    // Browsers strip ASCII whitespace around a URL attribute; the destination is what is left.
    if (tracked === undefined || tracked.url !== value.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '')) {
      throw new Error(`${at}: <${before.name}> ${name}=${JSON.stringify(value)} became ${JSON.stringify(written)}`);
    }
  });
}
