/**
 * Outlook's conditional comments. A downlevel-hidden block,
 * `<!--[if mso]> markup <![endif]-->`, is a plain comment to every other
 * client, but Outlook renders its markup, so links inside it are real links.
 * (The downlevel-revealed form, `<!--[if !mso]><!--> markup <!--<![endif]-->`,
 * leaves its markup outside any comment, where the parser already sees it.)
 */

/** Where the markup of a hidden block lies within the comment's content. */
export interface HiddenBlockRange {
  readonly start: number;
  readonly end: number;
}

/** `[if mso]>`, `[if gte mso 9]>`, `[if (gte mso 9)|(IE)]>`, `[if !mso]>`, ... */
const CONDITION_OPENER = /^\s*\[if\b[^\]]*\]>/i;
const CONDITION_CLOSER = '<![endif]';

/**
 * For the content of a comment (what lies between `<!--` and `-->`), returns
 * the range of the markup a conditional block hides, or null when the comment
 * is not one. A block missing its `<![endif]` runs to the end of the comment,
 * as Outlook reads it.
 */
export function hiddenBlockRange(content: string): HiddenBlockRange | null {
  const opener = CONDITION_OPENER.exec(content);
  if (opener === null) return null;
  const start = opener[0].length;
  const closer = content.toLowerCase().lastIndexOf(CONDITION_CLOSER);
  const end = closer >= start ? closer : content.length;
  return start < end ? { start, end } : null;
}

/** Vector Markup Language shapes (`v:roundrect`, `v:rect`, ...), Outlook's bulletproof buttons. */
export function isVmlElement(name: string): boolean {
  return name.startsWith('v:');
}
