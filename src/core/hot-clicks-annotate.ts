/**
 * The hot-clicks view of an execution: its stored HTML as the recipient saw it, with a badge before
 * every link occurrence shown giving its share of clicks, built by splicing at the source offsets the
 * API gives (core/instrument/link-positions.ts), so every byte of the message outside the insertions
 * stays as written. The document is meant for a sandboxed frame without scripts; its first element is
 * a Content-Security-Policy that also forbids scripts, connections, frames, forms and (unless asked
 * for) remote images, so that showing it can never fire a request, tracking or other.
 */

/** Where an HTML link occurrence sits in the stored HTML (UTF-16 offsets, end exclusive). */
export interface SourcePosition {
  readonly href: { readonly start: number; readonly end: number };
  /** The start tag holding the href, from its `<` to just past its `>`. */
  readonly tag: { readonly start: number; readonly end: number };
}

export type ShareScope = 'human' | 'all';

/** One link occurrence to badge, as the hot-clicks API gives it. */
export interface AnnotatedOccurrence {
  readonly ordinal: number;
  readonly url: string;
  /** null for a text-part link: it has no place in the HTML, so no badge. */
  readonly position: SourcePosition | null;
  /** Its clicks: `human` and `all`. */
  readonly clicks: { readonly human: number; readonly all: number };
  /** Its share (0 to 1) of the clicks; null when there are none to share. */
  readonly share: { readonly human: number | null; readonly all: number | null };
}

export interface AnnotateOptions {
  /** Which share the badges show: of human clicks (the default view) or of all clicks. */
  readonly scope: ShareScope;
  /** Allow the message's remote images (`https:`/`http:`); off, only `data:` images show. */
  readonly remoteImages: boolean;
  /**
   * The `data-condition` labels whose blocks show; blocks of any other label are hidden. null shows
   * every block (the view of all links).
   */
  readonly shownConditions: readonly string[] | null;
}

/** Thrown when an occurrence's offsets do not fit the HTML (another execution's, or a changed one). */
export class AnnotateError extends Error {
  override readonly name = 'AnnotateError';
}

/** Class of the badges (and prefix of everything else the view adds), unlikely to meet a mail's own. */
export const BADGE_CLASS = 'mailsight-hot';

/** The policy of the frame's document: nothing but inline styles and (maybe) images may load. */
export function framePolicy(remoteImages: boolean): string {
  return [
    "default-src 'none'",
    "script-src 'none'",
    "connect-src 'none'",
    "frame-src 'none'",
    "child-src 'none'",
    "object-src 'none'",
    "media-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
    "style-src 'unsafe-inline'",
    'font-src data:',
    remoteImages ? 'img-src data: https: http:' : 'img-src data:',
  ].join('; ');
}

/** `0.125` reads `12.5 %`; null (nothing to share) reads as a dash. */
export function shareText(share: number | null): string {
  return share === null ? '–' : `${(share * 100).toFixed(1)} %`;
}

/** The badge's accessible label: which link, its share, and both counts. */
export function badgeLabel(occurrence: AnnotatedOccurrence, scope: ShareScope): string {
  const share = occurrence.share[scope];
  const of = scope === 'human' ? 'human clicks' : 'all clicks';
  const what = share === null ? `no ${of} yet` : `${shareText(share)} of ${of}`;
  return `Link ${occurrence.ordinal}, ${occurrence.url}: ${what} (${countsText(occurrence)})`;
}

const countsText = (occurrence: AnnotatedOccurrence) => `${occurrence.clicks.human} human, ${occurrence.clicks.all} all`;

/**
 * The annotated document. Throws AnnotateError, naming the occurrence, when its offsets fall outside
 * the HTML, are not ordered, or do not point at a start tag holding its href.
 */
export function annotateHotClicks(html: string, occurrences: readonly AnnotatedOccurrence[], options: AnnotateOptions): string {
  // rank orders insertions at one offset: a lower rank ends up first.
  const insertions: { at: number; rank: number; text: string }[] = [{ at: headInsertionPoint(html), rank: 0, text: headBlock(html, options) }];
  for (const at of disabledAttributes(html)) insertions.push({ at, rank: 0, text: DISABLED_PREFIX });
  for (const occurrence of occurrences) {
    if (occurrence.position === null) continue;
    checkPosition(html, occurrence.ordinal, occurrence.position);
    insertions.push({ at: occurrence.position.tag.start, rank: occurrence.ordinal, text: badge(occurrence, options.scope) });
  }
  // From the end backwards, so the offsets still to use stay valid (and the text is copied once); at
  // one offset, the last spliced comes first, so the highest rank is spliced first.
  insertions.sort((a, b) => b.at - a.at || b.rank - a.rank);
  const pieces: string[] = [];
  let cursor = html.length;
  for (const insertion of insertions) {
    pieces.push(html.slice(insertion.at, cursor), insertion.text);
    cursor = insertion.at;
  }
  pieces.push(html.slice(0, cursor));
  return pieces.reverse().join('');
}

/** Turns an attribute (a meta's `http-equiv`, a link's `rel`) into one no browser reads. */
export const DISABLED_PREFIX = 'data-mailsight-off-';
/** Attributes of a tag, quoted values holding `>` included. */
const ATTRIBUTES = `(?:[^>"']|"[^"]*"|'[^']*')*`;
const META_TAG = new RegExp(`<meta(?=[\\s/>])${ATTRIBUTES}>`, 'gi');
const LINK_TAG = new RegExp(`<link(?=[\\s/>])${ATTRIBUTES}>`, 'gi');
// The character before the name: a space, a slash or the quote that closed the attribute before.
const REFRESH = /[\s/"']http-equiv\s*=\s*["']?\s*refresh/i;
const REL = /[\s/"']rel\s*=/i;

/**
 * Where the attributes to disable start: each `<meta http-equiv="refresh">`'s `http-equiv` (a refresh
 * would load another page in the frame, which no Content-Security-Policy stops) and each `<link>`'s
 * `rel` (preconnect, dns-prefetch and prefetch reach the network outside the policy; a stylesheet the
 * policy blocks anyway).
 */
function disabledAttributes(html: string): number[] {
  const found: number[] = [];
  for (const [tags, attribute] of [[META_TAG, REFRESH], [LINK_TAG, REL]] as const) {
    for (const tag of html.matchAll(tags)) {
      const at = attribute.exec(tag[0]);
      if (at) found.push(tag.index + at.index + 1);
    }
  }
  return found;
}

function checkPosition(html: string, ordinal: number, position: SourcePosition): void {
  const { tag, href } = position;
  const where = `link occurrence ${ordinal}`;
  for (const [name, range] of [['tag', tag], ['href', href]] as const) {
    if (!Number.isInteger(range.start) || !Number.isInteger(range.end) || range.start < 0 || range.end > html.length || range.start > range.end) {
      throw new AnnotateError(`${where}: ${name} offsets ${range.start}..${range.end} are outside this HTML (length ${html.length}): the positions are not this execution's HTML`);
    }
  }
  if (href.start < tag.start || href.end > tag.end) {
    throw new AnnotateError(`${where}: href ${href.start}..${href.end} is not inside its tag ${tag.start}..${tag.end}`);
  }
  if (html[tag.start] !== '<' || html[tag.end - 1] !== '>') {
    throw new AnnotateError(`${where}: offset ${tag.start}..${tag.end} is not a start tag in this HTML: the positions are not this execution's HTML`);
  }
}

function badge(occurrence: AnnotatedOccurrence, scope: ShareScope): string {
  const share = occurrence.share[scope];
  return (
    `<span class="${BADGE_CLASS}" data-mailsight-ordinal="${occurrence.ordinal}" data-heat="${heat(share)}" tabindex="0" role="img"` +
    ` aria-label="${escapeAttribute(badgeLabel(occurrence, scope))}" data-counts="${escapeAttribute(countsText(occurrence))}">` +
    `${escapeText(shareText(share))}</span>`
  );
}

/**
 * How hot a share is, 0 (no click) to 4 (a third of the clicks or more): the badge's colour, so the
 * links that draw the clicks stand out at a glance. Every colour keeps white text above 4.5:1.
 */
function heat(share: number | null): number {
  if (share === null || share === 0) return 0;
  if (share < 0.05) return 1;
  if (share < 0.15) return 2;
  if (share < 0.33) return 3;
  return 4;
}

const HEAT_COLOURS = ['#5b6570', '#8a4b00', '#b02e0c', '#a4161a', '#6e0a0e'];

/**
 * What goes first in the document: the policy, no referrer for the images it allows, links sent to a
 * window the sandbox will not open, the view's style.
 */
function headBlock(html: string, options: AnnotateOptions): string {
  return (
    `<meta http-equiv="Content-Security-Policy" content="${framePolicy(options.remoteImages)}">` +
    '<meta name="referrer" content="no-referrer">' +
    // Links open a new window, which a frame sandboxed without allow-popups refuses: no navigation.
    '<base target="_blank">' +
    `<style data-mailsight>${BADGE_STYLE}${hiddenBlocksStyle(html, options.shownConditions)}</style>`
  );
}

const BADGE_STYLE =
  `.${BADGE_CLASS}{all:initial!important;display:inline-block!important;position:relative!important;` +
  'font:700 12px/1.3 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif!important;color:#fff!important;background:#a4161a!important;' +
  'border:1px solid #fff!important;border-radius:9px!important;padding:1px 6px!important;margin:0 3px!important;vertical-align:middle!important;' +
  'white-space:nowrap!important;cursor:help!important;z-index:2147483000!important;box-shadow:0 1px 3px rgba(0,0,0,.35)!important}' +
  HEAT_COLOURS.map((colour, level) => `.${BADGE_CLASS}[data-heat="${level}"]{background:${colour}!important}`).join('') +
  `.${BADGE_CLASS}:focus{outline:3px solid #ffbf47!important;outline-offset:1px!important}` +
  `.${BADGE_CLASS}::after{content:attr(data-counts);display:none;position:absolute;left:0;top:100%;margin-top:3px;` +
  'background:#1b1f24;color:#fff;font:400 12px/1.3 system-ui,sans-serif;padding:3px 6px;border-radius:4px;white-space:nowrap}' +
  `.${BADGE_CLASS}:hover::after,.${BADGE_CLASS}:focus::after{display:block}` +
  // A link aimed at the frame itself would still load there: not by pointer, at least.
  'a[target="_self" i],area[target="_self" i]{pointer-events:none!important}';

/**
 * Hides the blocks of the conditions not shown. The instrumenter gives a link the trimmed value of the
 * innermost non-blank `data-condition` around it (html-scan.ts); so blank values are not conditions,
 * and a value written with spaces around a shown label shows too.
 */
function hiddenBlocksStyle(html: string, shown: readonly string[] | null): string {
  if (shown === null) return '';
  const kept = new Set<string>(['', ...shown]);
  for (const raw of conditionValuesIn(html)) if (kept.has(raw.trim())) kept.add(raw);
  const exceptions = [...kept].map((value) => `:not([data-condition="${cssString(value)}"])`).join('');
  return `[data-condition]${exceptions}{display:none!important}`;
}

const CONDITION_VALUES = /\sdata-condition\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/gi;

/** The `data-condition` values as written (entities decoded), for the exceptions above; approximate, never more than needed. */
function conditionValuesIn(html: string): Set<string> {
  const values = new Set<string>();
  for (const match of html.matchAll(CONDITION_VALUES)) values.add(decodeEntities(match[1] ?? match[2] ?? match[3] ?? ''));
  return values;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** A CSS string's content, safe inside a `<style>` element too (no `<` to end it). */
function cssString(value: string): string {
  return value.replace(/[\\"<>\n\r\f]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `);
}

const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;');

/**
 * A start tag's attributes as the browser's tokenizer reads them, strictly: a quote opens a value only
 * after `=`; a quote anywhere else (a parse error the browser reads as part of a name) does not match,
 * so such a tag ends the prologue rather than hide a `>` that the browser takes as the tag's end.
 */
const STRICT_ATTRIBUTES = `(?:[^>"'=]|=\\s*"[^"]*"|=\\s*'[^']*'|=)*`;
/**
 * What may come before the first element of a document: a byte-order mark, whitespace, comments
 * (Outlook's conditional ones too), the doctype, an XML declaration, the `<html>` start tag. Each is
 * matched as the browser ends it: a doctype or `<?...>` at its first `>`; a comment at its first `-->`,
 * and not at all when it is one the browser closes early (`<!-->`, `<!--->`) or holds `--!>`, which
 * also closes one. Anything else ends the prologue, and the policy goes there: too early costs nothing,
 * too late would let what comes before it load.
 */
const PROLOGUE = new RegExp(
  `^\\uFEFF?(?:\\s|<!--(?!-?>)(?:(?!--!?>)[\\s\\S])*-->|<!doctype[^>]*>|<\\?[^>]*>|<html(?=[\\s/>])${STRICT_ATTRIBUTES}>)*`,
  'i',
);
const HEAD_TAG = new RegExp(`^<head(?=[\\s/>])${STRICT_ATTRIBUTES}>`, 'i');

export function headInsertionPoint(html: string): number {
  const prologueEnd = PROLOGUE.exec(html)?.[0].length ?? 0;
  const head = HEAD_TAG.exec(html.slice(prologueEnd));
  return head ? prologueEnd + head[0].length : prologueEnd;
}
