/**
 * The few HTML tree-construction rules that decide which element a link sits
 * in, after the HTML standard (§13.2.6): elements that never have content, and
 * start tags that end an open element implicitly. Only the cases found in mail
 * markup are kept; a missed implied end only widens a `data-condition` scope.
 */

/** Elements without content or end tag. */
export const VOID_ELEMENTS: ReadonlySet<string> = new Set([
  'area', 'base', 'basefont', 'bgsound', 'br', 'col', 'embed', 'frame', 'hr', 'img',
  'input', 'keygen', 'link', 'meta', 'param', 'source', 'track', 'wbr',
]);

/**
 * Elements whose content is text, not markup, up to their end tag: left open at the end of a
 * document, they take in whatever follows, as text.
 */
export const RAW_TEXT_ELEMENTS: ReadonlySet<string> = new Set([
  'iframe', 'noembed', 'noframes', 'plaintext', 'script', 'style', 'textarea', 'title', 'xmp',
]);

/** Start tags of block content, which end an open paragraph. */
const ENDS_PARAGRAPH = [
  'address', 'article', 'aside', 'blockquote', 'center', 'details', 'dialog', 'dir', 'div', 'dl',
  'fieldset', 'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6',
  'header', 'hgroup', 'hr', 'main', 'menu', 'nav', 'ol', 'p', 'pre', 'section', 'table', 'ul',
];

/** For a start tag, the open elements it ends when they are the current element. */
const IMPLIED_ENDS = new Map<string, ReadonlySet<string>>([
  ...ENDS_PARAGRAPH.map((name): [string, ReadonlySet<string>] => [name, new Set(['p'])]),
  ['li', new Set(['li', 'p'])],
  ['dt', new Set(['dt', 'dd', 'p'])],
  ['dd', new Set(['dt', 'dd', 'p'])],
  ['tr', new Set(['tr', 'td', 'th'])],
  ['td', new Set(['td', 'th'])],
  ['th', new Set(['td', 'th'])],
  ['thead', new Set(['tbody', 'thead', 'tfoot', 'tr', 'td', 'th'])],
  ['tbody', new Set(['tbody', 'thead', 'tfoot', 'tr', 'td', 'th'])],
  ['tfoot', new Set(['tbody', 'thead', 'tfoot', 'tr', 'td', 'th'])],
  ['option', new Set(['option'])],
  ['body', new Set(['head'])],
]);

const NOTHING: ReadonlySet<string> = new Set();

export function impliedEnds(startTag: string): ReadonlySet<string> {
  return IMPLIED_ENDS.get(startTag) ?? NOTHING;
}
