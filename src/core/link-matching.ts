/**
 * Matching the link occurrences of one execution of a recurring campaign to those of another (the
 * reference: the one whose content a client shows), so that clicks on "the same link" can be summed
 * over executions whose content moved on. Ordinals alone cannot do it: a link added at the top moves
 * every later ordinal, and two links to one destination are two places. Each match says how it was
 * made, so a reader can judge it.
 */

/** How a link was matched to the reference's, from the surest way to the least sure. */
export const MATCH_KINDS = ['same-url-same-ordinal', 'same-url-nearest-position', 'same-position-other-url', 'unmatched'] as const;
export type MatchKind = (typeof MATCH_KINDS)[number];

export interface MatchableLink {
  /** 1-based, in document order, HTML links first (core/instrument PlannedLink). */
  readonly ordinal: number;
  /** The destination. */
  readonly url: string;
  readonly part: 'html' | 'text';
}

export interface LinkMatch {
  /** The ordinal of the link in the execution matched. */
  readonly ordinal: number;
  /** The reference's ordinal it was matched to; null when `how` is `unmatched`. */
  readonly referenceOrdinal: number | null;
  readonly how: MatchKind;
}

/** A link with its position: its rank among the links of its part (0-based). */
interface Placed {
  readonly link: MatchableLink;
  readonly place: number;
}

/**
 * Matches every link of `links` to at most one link of `reference`, each reference link taking at
 * most one, in three rounds, each over what the rounds before left unmatched:
 * 1. the same destination at the same ordinal (nothing moved);
 * 2. the same destination, nearest in position (rank within the part) first: a reordered message, a
 *    link added or removed before it, or the second of two links to one destination;
 * 3. the same position in the same part with another destination: a link whose URL was changed in
 *    place (this week's article at the place of last week's).
 * What is left is `unmatched`. The answer lists `links` in their own order.
 */
export function matchLinks(reference: readonly MatchableLink[], links: readonly MatchableLink[]): LinkMatch[] {
  const referencePlaced = placed(reference);
  const linksPlaced = placed(links);
  const matched = new Map<number, { referenceOrdinal: number; how: MatchKind }>();
  const taken = new Set<number>();
  const take = (link: MatchableLink, to: MatchableLink, how: MatchKind): void => {
    matched.set(link.ordinal, { referenceOrdinal: to.ordinal, how });
    taken.add(to.ordinal);
  };
  const free = (pair: [Placed, Placed]): boolean => !matched.has(pair[0].link.ordinal) && !taken.has(pair[1].link.ordinal);

  const referenceByOrdinal = new Map(reference.map((link) => [link.ordinal, link]));
  for (const link of links) {
    const same = referenceByOrdinal.get(link.ordinal);
    if (same !== undefined && same.url === link.url && same.part === link.part) take(link, same, 'same-url-same-ordinal');
  }

  const sameUrl = pairs(linksPlaced, referencePlaced, byDestination);
  sameUrl.sort(([a1, b1], [a2, b2]) => Math.abs(a1.place - b1.place) - Math.abs(a2.place - b2.place) || b1.place - b2.place || a1.place - a2.place);
  for (const pair of sameUrl) if (free(pair)) take(pair[0].link, pair[1].link, 'same-url-nearest-position');

  for (const pair of pairs(linksPlaced, referencePlaced, byPlace)) {
    if (free(pair)) take(pair[0].link, pair[1].link, 'same-position-other-url');
  }

  return links.map((link) => {
    const match = matched.get(link.ordinal);
    return match === undefined ? { ordinal: link.ordinal, referenceOrdinal: null, how: 'unmatched' } : { ordinal: link.ordinal, ...match };
  });
}

function placed(links: readonly MatchableLink[]): Placed[] {
  const counts = { html: 0, text: 0 };
  return [...links].sort((a, b) => a.ordinal - b.ordinal).map((link) => ({ link, place: counts[link.part]++ }));
}

/**
 * The pairs (link, reference link) with the same key, in link then reference order. As many as the
 * products of the groups' sizes: a few per link in real messages, where a destination recurs two or
 * three times; a message repeating one destination N times makes N² pairs.
 */
function pairs(links: readonly Placed[], reference: readonly Placed[], keyOf: (p: Placed) => string): [Placed, Placed][] {
  const byKey = new Map<string, Placed[]>();
  for (const p of reference) {
    const group = byKey.get(keyOf(p));
    if (group === undefined) byKey.set(keyOf(p), [p]);
    else group.push(p);
  }
  return links.flatMap((a) => (byKey.get(keyOf(a)) ?? []).map((b): [Placed, Placed] => [a, b]));
}

const byDestination = (p: Placed): string => `${p.link.part} ${p.link.url}`;
const byPlace = (p: Placed): string => `${p.link.part} ${p.place}`;
