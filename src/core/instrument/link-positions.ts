import { hiddenBlockRange } from './conditional-comments.js';
import type { SourceRange } from './html-scan.js';
import type { PlannedEdit } from './plan.js';
import { parseSource, type SourceAttribute, type SourceEvents } from './source-parser.js';

/**
 * Where an HTML link occurrence sits in its execution's source HTML (the content as stored, before
 * any message's URLs were spliced in), so that a client can draw a badge on it.
 */
export interface LinkPosition {
  /** The href value as written, quotes excluded: `html.slice(start, end)` is the occurrence's `raw`. */
  readonly href: SourceRange;
  /** The start tag holding that href (`<a ...>`, `<area ...>`, a VML shape), from its `<` to just past its `>`. */
  readonly tag: SourceRange;
}

/**
 * The positions of an execution's HTML link occurrences, by ordinal. The href ranges are the plan's
 * own primary edits, the very offsets every message's tracking URL is spliced at, so they cannot
 * drift from the ordinals; the tag around each is found by the parser the plan was made with,
 * conditional blocks (Outlook's `<!--[if mso]>`) read as the planner reads them.
 */
export function linkPositions(html: string, htmlEdits: readonly PlannedEdit[]): Map<number, LinkPosition> {
  const tags = startTags(html);
  const positions = new Map<number, LinkPosition>();
  for (const edit of htmlEdits) {
    if (edit.kind !== 'href' || !edit.primary) continue;
    const tag = tagAround(tags, edit.start, edit.end);
    // Every stored href edit lies in a start tag the planner saw; a plan restored from older content
    // that does not fit has been refused before it gets here (stored-plan.ts planDisagreement).
    if (tag !== null) positions.set(edit.ordinal, { href: { start: edit.start, end: edit.end }, tag });
  }
  return positions;
}

/** Every start tag of the document and of its conditional blocks, sorted by offset. */
function startTags(html: string): SourceRange[] {
  const tags: SourceRange[] = [];
  const read = (start: number, end: number, selfClosingTags: boolean): void => {
    parseSource(html.slice(start, end), new TagCollector(tags, start, read), { selfClosingTags });
  };
  read(0, html.length, false);
  return tags.sort((a, b) => a.start - b.start);
}

/** Notes start tags; opens the conditional blocks a comment hides, as the planner does (html-scan.ts). */
class TagCollector implements SourceEvents {
  constructor(
    private readonly tags: SourceRange[],
    private readonly offset: number,
    private readonly read: (start: number, end: number, selfClosingTags: boolean) => void,
  ) {}

  openTag(_name: string, _attributes: readonly SourceAttribute[], end: number, start: number): void {
    this.tags.push({ start: this.offset + start, end: this.offset + end });
  }

  comment(content: string, contentStart: number): void {
    const block = hiddenBlockRange(content);
    // VML is XML: `<v:fill ... />` closes itself.
    if (block !== null) this.read(this.offset + contentStart + block.start, this.offset + contentStart + block.end, true);
  }

  closeTag(): void {}
  endTagToken(): void {}
  doctype(): void {}
  text(): void {}
}

/** The tag whose range holds `start..end`: the last one starting before it, if it ends after it. */
function tagAround(tags: readonly SourceRange[], start: number, end: number): SourceRange | null {
  let low = 0;
  let high = tags.length - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (tags[middle]!.start <= start) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  const tag = found < 0 ? undefined : tags[found];
  return tag !== undefined && end <= tag.end ? tag : null;
}
