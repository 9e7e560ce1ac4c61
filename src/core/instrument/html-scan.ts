import { hiddenBlockRange, isVmlElement } from './conditional-comments.js';
import type { LinkPolicy } from './url-rules.js';
import {
  isHtmlWhitespace,
  parseSource,
  type AttributeQuote,
  type SourceAttribute,
  type SourceEvents,
} from './source-parser.js';

/** An attribute value to overwrite with the tracking URL. */
export interface HrefSite {
  readonly start: number;
  readonly end: number;
  readonly quote: AttributeQuote;
}

/** One link occurrence of the HTML part: one or more hrefs sharing a tracking URL. */
export interface HtmlLink {
  readonly url: string;
  /** The href as written at `primary`. */
  readonly raw: string;
  readonly text: string;
  readonly condition: string | null;
  /** The href whose value is `raw`: the `<a>` of a bulletproof button pair. */
  readonly primary: HrefSite;
  /** Every href of the occurrence, in document order. */
  readonly sites: readonly HrefSite[];
}

export interface SourceRange {
  readonly start: number;
  readonly end: number;
}

/** Where the document's structure allows inserting invisible markup. */
export interface Landmarks {
  /** Just past the first `<body ...>` tag. */
  readonly bodyOpenEnd: number | null;
  /** The `<` of the last `</body>` end tag outside comments. */
  readonly lastBodyCloseStart: number | null;
  /** Just past the first `<!DOCTYPE>`, `<html>` or `</head>`, whichever of them ends last; 0 without any. */
  readonly prologueEnd: number;
  /**
   * Just past the last complete token: the length of the source, unless it ends inside an
   * unterminated tag or comment (markup put after it would become part of them).
   */
  readonly markupEnd: number;
}

export interface HtmlScan {
  /** In document order of their first href. */
  readonly links: readonly HtmlLink[];
  /** `data-notrack` attributes with the whitespace before them, in document order. */
  readonly notrackAttributes: readonly SourceRange[];
  readonly landmarks: Landmarks;
}

/**
 * Raw text kept per link for its label: more than any visible label, and it
 * bounds the work on an `<a>` left open at the top of a 10 MB document.
 */
const LINK_TEXT_LIMIT = 4096;

const NOTRACK_ATTRIBUTE = 'data-notrack';
const CONDITION_ATTRIBUTE = 'data-condition';
/** Elements whose text is not part of a link's visible label. */
const NON_TEXT_ELEMENTS = new Set(['script', 'style', 'template']);

interface LinkDraft {
  url: string;
  raw: string;
  condition: string | null;
  primary: HrefSite;
  sites: HrefSite[];
  text: string[];
  /** Characters of text and alt gathered so far, bounded by LINK_TEXT_LIMIT. */
  textLength: number;
  alt: string[];
  /** The label of a VML shape whose `<a>` twin took over the occurrence. */
  fallbackText: string;
}

interface OpenElement {
  readonly name: string;
  readonly condition: string | null;
  readonly draft: LinkDraft | null;
}

interface ScanState {
  readonly source: string;
  readonly policy: LinkPolicy;
  readonly drafts: LinkDraft[];
  readonly notrack: SourceRange[];
}

/**
 * Finds the links of an HTML part that `policy` tracks, the `data-notrack`
 * attributes to drop, and where invisible markup may go, in one pass.
 */
export function scanHtml(source: string, policy: LinkPolicy): HtmlScan {
  const state: ScanState = { source, policy, drafts: [], notrack: [] };
  const scanner = new DocumentScanner(state, 0, null);
  const markupEnd = parseSource(source, scanner, { selfClosingTags: false });
  state.notrack.sort((a, b) => a.start - b.start);
  return {
    links: state.drafts.map(finishLink),
    notrackAttributes: state.notrack,
    landmarks: scanner.landmarks(markupEnd),
  };
}

/**
 * Follows one stretch of markup: the document, or the inside of one
 * conditional comment (a FragmentScanner, whose offsets start at `offset`).
 */
class FragmentScanner implements SourceEvents {
  protected readonly stack: OpenElement[] = [];
  /** Links whose label is being read; text goes to the innermost. */
  private labels: { element: string; draft: LinkDraft }[] = [];
  /** How many open elements hide their text (script, style, template). */
  private hiddenTextDepth = 0;
  /** Links this scanner created, in order. */
  readonly found: { element: string; draft: LinkDraft }[] = [];

  constructor(
    protected readonly state: ScanState,
    private readonly offset: number,
    private readonly baseCondition: string | null,
  ) {}

  openTag(name: string, attributes: readonly SourceAttribute[], _end: number): void {
    const own = firstValue(attributes, CONDITION_ATTRIBUTE)?.trim();
    const condition = own ? own : this.condition();
    const draft = isLinkElement(name) ? this.link(name, attributes, condition) : null;
    // Browsers end an open <a> where another begins, so its label ends there too.
    if (name === 'a') this.labels = this.labels.filter((label) => label.element !== 'a');
    const label = this.labels.at(-1)?.draft;
    if (name === 'img' && label !== undefined && label.textLength < LINK_TEXT_LIMIT) {
      const alt = firstValue(attributes, 'alt');
      if (alt) {
        label.alt.push(alt);
        label.textLength += alt.length;
      }
    }
    this.stack.push({ name, condition, draft });
    if (draft !== null) this.labels.push({ element: name, draft });
    if (NON_TEXT_ELEMENTS.has(name)) this.hiddenTextDepth += 1;
  }

  closeTag(name: string): void {
    const top = this.stack.at(-1);
    // The tree builder closes elements in stack order, so this is the top.
    if (top === undefined || top.name !== name) return;
    this.stack.pop();
    if (NON_TEXT_ELEMENTS.has(name)) this.hiddenTextDepth -= 1;
    if (top.draft !== null && this.labels.at(-1)?.draft === top.draft) this.labels.pop();
  }

  endTagToken(_name: string, _start: number, _end: number): void {}

  doctype(_end: number): void {}

  text(data: string): void {
    const label = this.labels.at(-1)?.draft;
    if (label === undefined || label.textLength >= LINK_TEXT_LIMIT || this.hiddenTextDepth > 0) return;
    label.text.push(data);
    label.textLength += data.length;
  }

  comment(_content: string, _contentStart: number): void {}

  protected condition(): string | null {
    return this.stack.at(-1)?.condition ?? this.baseCondition;
  }

  /**
   * The occurrence an `<a>` joins instead of starting its own; only the
   * document scanner pairs bulletproof buttons.
   */
  protected twinFor(_name: string, _url: string): LinkDraft | undefined {
    return undefined;
  }

  private link(name: string, attributes: readonly SourceAttribute[], condition: string | null): LinkDraft | null {
    let notrack = false;
    for (const attribute of attributes) {
      if (attribute.name === NOTRACK_ATTRIBUTE) {
        notrack = true;
        this.state.notrack.push(this.withLeadingWhitespace(attribute));
      }
    }
    const href = attributes.find((attribute) => attribute.name === 'href');
    if (notrack || href === undefined || href.value === null) return null;
    const url = this.state.policy.destination(href.value);
    if (url === null) return null;

    const site: HrefSite = {
      start: this.offset + href.valueStart,
      end: this.offset + href.valueEnd,
      quote: href.quote,
    };
    const raw = this.state.source.slice(site.start, site.end);
    const ownAlt = firstValue(attributes, 'alt');
    const twin = this.twinFor(name, url);
    if (twin !== undefined) {
      // The <a> is what most recipients see: its href, label and condition
      // describe the occurrence; the shape's label stays as a fallback.
      twin.fallbackText = labelOf(twin);
      twin.raw = raw;
      twin.condition = condition;
      twin.primary = site;
      twin.sites.push(site);
      twin.text = [];
      twin.alt = ownAlt ? [ownAlt] : [];
      twin.textLength = 0;
      return twin;
    }
    const draft: LinkDraft = {
      url,
      raw,
      condition,
      primary: site,
      sites: [site],
      text: [],
      textLength: 0,
      alt: ownAlt ? [ownAlt] : [],
      fallbackText: '',
    };
    this.state.drafts.push(draft);
    this.found.push({ element: name, draft });
    return draft;
  }

  /**
   * The attribute and the whitespace before it, unless another attribute follows it with no space
   * (`data-notrack='1'title="x"`): that whitespace then keeps the next attribute apart from the one
   * before (`href=x title="x"`, not `href=xtitle="x"`) or from the tag name.
   */
  private withLeadingWhitespace(attribute: SourceAttribute): SourceRange {
    const end = this.offset + attribute.end;
    let start = this.offset + attribute.start;
    if (!endsAttributes(this.state.source, end)) return { start, end };
    while (start > 0 && isHtmlWhitespace(this.state.source.charCodeAt(start - 1))) start -= 1;
    return { start, end };
  }
}

/**
 * The whole document: besides links, it notes the landmarks for inserted
 * markup, opens conditional comments, and pairs bulletproof buttons.
 */
class DocumentScanner extends FragmentScanner {
  private bodyOpenEnd: number | null = null;
  private lastBodyCloseStart: number | null = null;
  private doctypeEnd = 0;
  private htmlOpenEnd = 0;
  private headCloseEnd = 0;
  /**
   * VML shapes of the conditional block just read, waiting for the `<a>` that
   * other clients show in their place. Only whitespace and comments may come
   * between; anything else ends the wait.
   */
  private waitingShapes: LinkDraft[] = [];

  landmarks(markupEnd: number): Landmarks {
    return {
      bodyOpenEnd: this.bodyOpenEnd,
      lastBodyCloseStart: this.lastBodyCloseStart,
      prologueEnd: Math.max(this.doctypeEnd, this.htmlOpenEnd, this.headCloseEnd),
      markupEnd,
    };
  }

  override openTag(name: string, attributes: readonly SourceAttribute[], end: number): void {
    if (name === 'body' && this.bodyOpenEnd === null) this.bodyOpenEnd = end;
    if (name === 'html' && this.htmlOpenEnd === 0 && this.inPrologue()) this.htmlOpenEnd = end;
    super.openTag(name, attributes, end);
    this.waitingShapes = [];
  }

  override endTagToken(name: string, start: number, end: number): void {
    if (name === 'body') this.lastBodyCloseStart = start;
    if (name === 'head' && this.headCloseEnd === 0 && this.inPrologue()) this.headCloseEnd = end;
    this.waitingShapes = [];
  }

  override doctype(end: number): void {
    if (this.doctypeEnd === 0 && this.inPrologue()) this.doctypeEnd = end;
  }

  /**
   * Whether only `<html>` and `<head>` are open: a doctype, `<html>` or `</head>` found inside
   * content (`<p><!DOCTYPE html>`) is no prologue, and markup put after it would land in that
   * content (a `<div>` there ends the paragraph).
   */
  private inPrologue(): boolean {
    return this.stack.every((element) => element.name === 'html' || element.name === 'head');
  }

  override text(data: string): void {
    if (/\S/.test(data)) this.waitingShapes = [];
    super.text(data);
  }

  override comment(content: string, contentStart: number): void {
    const block = hiddenBlockRange(content);
    if (block === null) return;
    const start = contentStart + block.start;
    const inner = new FragmentScanner(this.state, start, this.condition());
    // VML is XML: `<v:fill ... />` closes itself.
    parseSource(this.state.source.slice(start, contentStart + block.end), inner, { selfClosingTags: true });
    if (inner.found.length === 0) return;
    this.waitingShapes = inner.found.filter((link) => isVmlElement(link.element)).map((link) => link.draft);
  }

  protected override twinFor(name: string, url: string): LinkDraft | undefined {
    return name === 'a' ? this.waitingShapes.find((shape) => shape.url === url) : undefined;
  }
}

/** Whether an attribute ending at `offset` is followed by whitespace, the tag's end, or nothing. */
function endsAttributes(source: string, offset: number): boolean {
  if (offset >= source.length) return true;
  const code = source.charCodeAt(offset);
  return isHtmlWhitespace(code) || code === 0x3e /* > */ || code === 0x2f /* / */;
}

function isLinkElement(name: string): boolean {
  return name === 'a' || name === 'area' || isVmlElement(name);
}

function firstValue(attributes: readonly SourceAttribute[], name: string): string | null {
  return attributes.find((attribute) => attribute.name === name)?.value ?? null;
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function labelOf(draft: LinkDraft): string {
  return collapseWhitespace(draft.text.join('')) || collapseWhitespace(draft.alt.join(' ')) || draft.fallbackText;
}

function finishLink(draft: LinkDraft): HtmlLink {
  return {
    url: draft.url,
    raw: draft.raw,
    text: labelOf(draft),
    condition: draft.condition,
    primary: draft.primary,
    sites: draft.sites,
  };
}
