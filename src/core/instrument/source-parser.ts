import { QuoteType, Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { impliedEnds, RAW_TEXT_ELEMENTS, VOID_ELEMENTS } from './element-rules.js';

/**
 * htmlparser2's tokenizer behind the one interface the instrumentation needs:
 * the events of a document with the exact source offsets of what may be
 * edited, so edits are spliced into the original text, never re-serialized.
 * The tokenizer is used directly, with a small element stack of our own,
 * because htmlparser2's Parser keeps its stack with `unshift`, which turns a
 * deeply nested 10 MB document into minutes of work.
 */

/** How an attribute value is delimited in the source; null when unquoted. */
export type AttributeQuote = '"' | "'" | null;

export interface SourceAttribute {
  /** Lower-cased name. */
  readonly name: string;
  /** Entity-decoded value; null for an attribute written without `=value`. */
  readonly value: string | null;
  readonly quote: AttributeQuote;
  /** Offset of the first character of the name. */
  readonly start: number;
  /** Offset just past the attribute: past its closing quote, value or name. */
  readonly end: number;
  /** Offsets of the value as written, quotes excluded. */
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface SourceEvents {
  /** A complete start tag; `end` is the offset just past its `>`, `start` that of its `<`. */
  openTag(name: string, attributes: readonly SourceAttribute[], end: number, start: number): void;
  /** An element ends: by its end tag, implied by a start tag, or at end of input. */
  closeTag(name: string): void;
  /** An end tag written in the source, from its `<` to just past its `>`. */
  endTagToken(name: string, start: number, end: number): void;
  /** `<!DOCTYPE ...>`; `end` is the offset just past its `>`. */
  doctype(end: number): void;
  /** Entity-decoded character data, possibly in several pieces. */
  text(data: string): void;
  /** A comment's content (between `<!--` and `-->`) and where it starts. */
  comment(content: string, contentStart: number): void;
}

export interface ParseOptions {
  /** Honour `<x/>` as an empty element, as in the XML of VML shapes. */
  selfClosingTags: boolean;
}

/**
 * Parses `source`, calling `events`; returns where its markup ends: just past its last complete
 * token. That is the source's length, unless it ends inside an unterminated tag (which browsers
 * drop), comment (which hides the rest) or raw-text element such as `<script>` (whose text the
 * rest becomes), where it is the offset of their `<`.
 */
export function parseSource(source: string, events: SourceEvents, options: ParseOptions): number {
  const builder = new TreeBuilder(source, events, options);
  const tokenizer = new Tokenizer({ decodeEntities: true }, builder);
  tokenizer.write(source);
  tokenizer.end();
  return builder.markupEnd;
}

export function isHtmlWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d;
}

interface PendingAttribute {
  name: string;
  start: number;
  nameEnd: number;
  value: string;
}

/** Turns tokens into SourceEvents, keeping the open elements on a stack. */
class TreeBuilder implements TokenizerCallbacks {
  private readonly open: string[] = [];
  /** How many elements of each name are open, so an unmatched end tag costs O(1). */
  private readonly openCounts = new Map<string, number>();
  private tagName = '';
  private attributes: SourceAttribute[] = [];
  private attribute: PendingAttribute | null = null;
  /** Just past the last complete token. */
  markupEnd = 0;
  /** The `<` of the start tag being read. */
  private tagStart = 0;
  /** The `<` of the raw-text element open (script, style, ...), if one is. */
  private rawTextStart: number | null = null;
  /** The `<` of a tag not ended yet; at the end of the input, one that never will be. */
  private pendingTagStart: number | null = null;

  constructor(
    private readonly source: string,
    private readonly events: SourceEvents,
    private readonly options: ParseOptions,
  ) {}

  onopentagname(start: number, endIndex: number): void {
    this.tagStart = start - 1;
    this.pendingTagStart = this.tagStart;
    this.tagName = this.source.slice(start, endIndex).toLowerCase();
    this.attributes = [];
  }

  onattribname(start: number, endIndex: number): void {
    this.attribute = { name: this.source.slice(start, endIndex).toLowerCase(), start, nameEnd: endIndex, value: '' };
  }

  onattribdata(start: number, endIndex: number): void {
    if (this.attribute !== null) this.attribute.value += this.source.slice(start, endIndex);
  }

  onattribentity(codepoint: number): void {
    if (this.attribute !== null) this.attribute.value += String.fromCodePoint(codepoint);
  }

  onattribend(quote: QuoteType, endIndex: number): void {
    const pending = this.attribute;
    this.attribute = null;
    if (pending === null) return;
    const { name, start, nameEnd, value } = pending;
    if (quote === QuoteType.NoValue) {
      this.attributes.push({ name, value: null, quote: null, start, end: endIndex, valueStart: endIndex, valueEnd: endIndex });
      return;
    }
    const quoted = quote === QuoteType.Double || quote === QuoteType.Single;
    const valueStart = this.valueStart(nameEnd) + (quoted ? 1 : 0);
    this.attributes.push({
      name,
      value,
      quote: quote === QuoteType.Double ? '"' : quote === QuoteType.Single ? "'" : null,
      start,
      end: endIndex,
      valueStart,
      // For a quoted value the tokenizer's end is past the closing quote.
      valueEnd: quoted ? endIndex - 1 : endIndex,
    });
  }

  onopentagend(endIndex: number): void {
    this.startElement(endIndex + 1, false);
  }

  onselfclosingtag(endIndex: number): void {
    this.startElement(endIndex + 1, this.options.selfClosingTags);
  }

  onclosetag(start: number, endIndex: number): void {
    const name = this.source.slice(start, endIndex).toLowerCase();
    const closer = this.source.indexOf('>', endIndex);
    if (closer !== -1) this.markupEnd = closer + 1;
    else this.pendingTagStart = this.source.lastIndexOf('<', start);
    this.events.endTagToken(name, this.source.lastIndexOf('<', start), closer === -1 ? this.source.length : closer + 1);
    // An end tag with no open element of its name is ignored, as browsers do.
    if ((this.openCounts.get(name) ?? 0) === 0) return;
    for (let closed = this.pop(); closed !== undefined && closed !== name; closed = this.pop());
  }

  ontext(start: number, endIndex: number): void {
    this.markupEnd = endIndex;
    this.events.text(this.source.slice(start, endIndex));
  }

  ontextentity(codepoint: number, endIndex: number): void {
    this.markupEnd = endIndex;
    this.events.text(String.fromCodePoint(codepoint));
  }

  oncomment(start: number, endIndex: number, endOffset: number): void {
    this.commentLike(endIndex);
    this.events.comment(this.source.slice(start, endIndex - endOffset), start);
  }

  ondeclaration(start: number, endIndex: number): void {
    this.markupEnd = endIndex + 1;
    if (/^doctype/i.test(this.source.slice(start, start + 7))) this.events.doctype(endIndex + 1);
  }

  // In HTML, `<![CDATA[...]]>` and `<?...>` are bogus comments: no links, no conditions.
  oncdata(_start: number, endIndex: number): void {
    this.commentLike(endIndex);
  }

  onprocessinginstruction(_start: number, endIndex: number): void {
    this.markupEnd = endIndex + 1;
  }

  onend(): void {
    // Trailing garbage of an unterminated tag may have come as text: the tag's start still bounds the markup.
    for (const start of [this.rawTextStart, this.pendingTagStart]) {
      if (start !== null) this.markupEnd = Math.min(this.markupEnd, start);
    }
    while (this.open.length > 0) this.pop();
  }

  /** A comment ends at its `>` (endIndex); one still open at the end of the input is not complete. */
  private commentLike(endIndex: number): void {
    if (endIndex < this.source.length) this.markupEnd = endIndex + 1;
  }

  private startElement(end: number, selfClosed: boolean): void {
    this.markupEnd = end;
    this.pendingTagStart = null;
    const name = this.tagName;
    const ends = impliedEnds(name);
    while (ends.has(this.open.at(-1) ?? '')) this.pop();
    this.events.openTag(name, this.attributes, end, this.tagStart);
    this.attributes = [];
    if (VOID_ELEMENTS.has(name) || selfClosed) {
      this.events.closeTag(name);
      return;
    }
    if (RAW_TEXT_ELEMENTS.has(name) && this.rawTextStart === null) this.rawTextStart = this.tagStart;
    this.open.push(name);
    this.openCounts.set(name, (this.openCounts.get(name) ?? 0) + 1);
  }

  private pop(): string | undefined {
    const name = this.open.pop();
    if (name === undefined) return undefined;
    if (RAW_TEXT_ELEMENTS.has(name) && !this.open.some((open) => RAW_TEXT_ELEMENTS.has(open))) this.rawTextStart = null;
    this.openCounts.set(name, (this.openCounts.get(name) ?? 1) - 1);
    this.events.closeTag(name);
    return name;
  }

  /**
   * Where the value starts, following the tokenizer's rules: after the name,
   * optional whitespace, `=`, optional whitespace (then a quote, if quoted).
   */
  private valueStart(nameEnd: number): number {
    let cursor = nameEnd;
    while (cursor < this.source.length && this.source.charCodeAt(cursor) !== 0x3d /* = */) cursor += 1;
    cursor += 1;
    while (cursor < this.source.length && isHtmlWhitespace(this.source.charCodeAt(cursor))) cursor += 1;
    return cursor;
  }
}
