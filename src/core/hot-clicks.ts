/**
 * Hot clicks: the clicks of each link occurrence of an execution (never per URL: two links to one
 * destination are two places) and each one's share of the execution's clicks, read from the report
 * counters (report-counters.ts) alone. Shares are always of every click of the execution, so a view
 * that shows some occurrences (one dynamic-content condition, one contact's blocks) shows shares that
 * need not add up to 1, and says what they add up to.
 */
import { HONEYPOT_ORDINAL } from './instrument/index.js';
import { matchLinks, type MatchableLink, type MatchKind } from './link-matching.js';
import { SCOPES, type Scope } from './message-status.js';
import { counter } from './report-counters.js';

export type ScopeCounts = Record<Scope, number>;

export interface ClickCounts {
  /** Messages that clicked the occurrence, per scope (all, and per verdict). */
  readonly unique: ScopeCounts;
  /** Its clicks, per scope. */
  readonly total: ScopeCounts;
}

/**
 * Fractions (0 to 1) of total clicks: `human` of the execution's human clicks, `all` of all its
 * clicks; null when there are none to share.
 */
export interface ClickShare {
  readonly human: number | null;
  readonly all: number | null;
}

/** What every share is a fraction of, said in each answer. */
export const SHARES_OF = 'total clicks of all link occurrences of the execution (human share: of its human clicks; all share: of all its clicks), whatever the view shows';
export const CAMPAIGN_SHARES_OF = 'total clicks of all link occurrences of all the executions (human share: of their human clicks; all share: of all their clicks)';

const zero = (): ScopeCounts => Object.fromEntries(SCOPES.map((scope) => [scope, 0])) as ScopeCounts;

export function linkClickCounts(counters: ReadonlyMap<string, number>, ordinal: number): ClickCounts {
  const unique = zero();
  const total = zero();
  for (const scope of SCOPES) {
    unique[scope] = counters.get(counter.linkClicked(ordinal, scope)) ?? 0;
    total[scope] = counters.get(counter.linkClicks(ordinal, scope)) ?? 0;
  }
  return { unique, total };
}

export function addCounts(a: ClickCounts, b: ClickCounts): ClickCounts {
  const unique = zero();
  const total = zero();
  for (const scope of SCOPES) {
    unique[scope] = a.unique[scope] + b.unique[scope];
    total[scope] = a.total[scope] + b.total[scope];
  }
  return { unique, total };
}

export const NO_CLICKS: ClickCounts = { unique: zero(), total: zero() };

export function clickShare(counts: ClickCounts, of: ScopeCounts): ClickShare {
  return {
    human: of.human === 0 ? null : counts.total.human / of.human,
    all: of.all === 0 ? null : counts.total.all / of.all,
  };
}

/** The sum of some shares: null where every one is. */
export function sumShares(shares: readonly ClickShare[]): ClickShare {
  const sum = (key: keyof ClickShare): number | null =>
    shares.reduce<number | null>((acc, share) => (share[key] === null ? acc : (acc ?? 0) + share[key]), null);
  return { human: sum('human'), all: sum('all') };
}

/** Which occurrences a view shows: all of them, or the unconditional ones and those of some condition labels. */
export type LinkView = { readonly kind: 'all' } | { readonly kind: 'conditions'; readonly labels: ReadonlySet<string> };

export function inView(condition: string | null, view: LinkView): boolean {
  return view.kind === 'all' || condition === null || view.labels.has(condition);
}

export interface OccurrenceInput {
  readonly ordinal: number;
  readonly condition: string | null;
}

export type HotOccurrence<L> = L & { readonly clicks: ClickCounts; readonly share: ClickShare };

export interface ExecutionHotClicks<L> {
  /** Total clicks of every occurrence of the execution, per scope: the shares' denominators. */
  readonly totals: ScopeCounts;
  /** The occurrences the view shows, by ordinal; never the honeypot. */
  readonly links: HotOccurrence<L>[];
  /** The sum of the shown shares: 1 only when the view shows every clicked occurrence. */
  readonly shownShare: ClickShare;
}

/** The hot clicks of one execution's occurrences, from its counters, in a view. */
export function executionHotClicks<L extends OccurrenceInput>(links: readonly L[], counters: ReadonlyMap<string, number>, view: LinkView): ExecutionHotClicks<L> {
  const counted = links.filter((link) => link.ordinal !== HONEYPOT_ORDINAL).map((link) => ({ link, clicks: linkClickCounts(counters, link.ordinal) }));
  const totals = counted.reduce((sum, { clicks }) => addCounts(sum, clicks), NO_CLICKS).total;
  const shown = counted
    .filter(({ link }) => inView(link.condition, view))
    .sort((a, b) => a.link.ordinal - b.link.ordinal)
    .map(({ link, clicks }) => ({ ...link, clicks, share: clickShare(clicks, totals) }));
  return { totals, links: shown, shownShare: sumShares(shown.map((link) => link.share)) };
}

export interface ExecutionLinks<L> {
  readonly executionId: number;
  readonly links: readonly L[];
  readonly counters: ReadonlyMap<string, number>;
}

/** One execution's part in a campaign's link: which of its occurrences, and how it was matched. */
export interface MatchedOccurrence {
  readonly executionId: number;
  readonly ordinal: number;
  readonly url: string;
  readonly how: MatchKind | 'reference';
  readonly clicks: ClickCounts;
}

export interface CampaignHotLink<L> {
  /** The reference execution's occurrence; absent for a link of an older execution matched to none. */
  readonly link: L;
  readonly executionId: number;
  /** Summed over every execution's occurrence matched to it. */
  readonly clicks: ClickCounts;
  readonly share: ClickShare;
  readonly matches: MatchedOccurrence[];
}

export interface CampaignHotClicks<L> {
  readonly referenceExecutionId: number | null;
  readonly totals: ScopeCounts;
  /** The reference's occurrences, each with what the other executions' matched occurrences add. */
  readonly links: CampaignHotLink<L>[];
  /** Occurrences of other executions that match none of the reference's: their own rows. */
  readonly unmatched: CampaignHotLink<L>[];
}

/**
 * A campaign's hot clicks over its executions: every execution's occurrences matched (link-matching.ts)
 * to the reference's (the last execution: the content a client shows), their counts summed.
 */
export function campaignHotClicks<L extends OccurrenceInput & MatchableLink>(executions: readonly ExecutionLinks<L>[]): CampaignHotClicks<L> {
  const reference = executions.at(-1);
  if (reference === undefined) return { referenceExecutionId: null, totals: zero(), links: [], unmatched: [] };
  const tracked = (links: readonly L[]) => links.filter((link) => link.ordinal !== HONEYPOT_ORDINAL);
  const rows = new Map<number, { link: L; executionId: number; matches: MatchedOccurrence[] }>();
  for (const link of tracked(reference.links)) rows.set(link.ordinal, { link, executionId: reference.executionId, matches: [] });
  const unmatched: { link: L; executionId: number; matches: MatchedOccurrence[] }[] = [];

  for (const execution of executions) {
    const links = tracked(execution.links);
    const byOrdinal = new Map(links.map((link) => [link.ordinal, link]));
    const matches = execution === reference
      ? links.map((link) => ({ ordinal: link.ordinal, referenceOrdinal: link.ordinal as number | null, how: 'reference' as const }))
      : matchLinks(tracked(reference.links), links);
    for (const match of matches) {
      const link = byOrdinal.get(match.ordinal)!;
      const occurrence: MatchedOccurrence = {
        executionId: execution.executionId,
        ordinal: link.ordinal,
        url: link.url,
        how: match.how,
        clicks: linkClickCounts(execution.counters, link.ordinal),
      };
      const row = match.referenceOrdinal === null ? undefined : rows.get(match.referenceOrdinal);
      if (row !== undefined) row.matches.push(occurrence);
      else unmatched.push({ link, executionId: execution.executionId, matches: [occurrence] });
    }
  }

  const summed = (row: { link: L; executionId: number; matches: MatchedOccurrence[] }) => ({
    ...row,
    clicks: row.matches.reduce((sum, match) => addCounts(sum, match.clicks), NO_CLICKS),
  });
  const linkRows = [...rows.values()].map(summed);
  const unmatchedRows = unmatched.map(summed);
  const totals = [...linkRows, ...unmatchedRows].reduce((sum, row) => addCounts(sum, row.clicks), NO_CLICKS).total;
  const withShare = (row: ReturnType<typeof summed>): CampaignHotLink<L> => ({ ...row, share: clickShare(row.clicks, totals) });
  return { referenceExecutionId: reference.executionId, totals, links: linkRows.map(withShare), unmatched: unmatchedRows.map(withShare) };
}
