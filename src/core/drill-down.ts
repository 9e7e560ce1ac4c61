/**
 * The lists behind a report's figures: every count the report shows names the messages it counts,
 * by the same definitions (message-status.ts OUTCOME_STATUSES, report-counters.ts flags), so a list
 * has exactly as many rows as its figure says. A list is one of these figures, in a scope (all hits
 * or one verdict) for engagement, narrowed to one reason for bounces and blocks, or to one link
 * occurrence for clicks.
 */
import { OUTCOME_STATUSES, SCOPES, type Scope, type StatusKey } from './message-status.js';
import { flagBit, type FlagName } from './report-counters.js';

export const DRILL_FIGURES = [
  'messages',
  'attempted',
  'sent',
  'sending',
  'delivered',
  'deferred',
  'bounced',
  'hard-bounced',
  'soft-bounced',
  'blocked',
  'complained',
  'unsubscribed',
  'opened',
  'clicked',
  'inferred-open',
  'unsubscribed-open',
  'link',
] as const;
export type DrillFigure = (typeof DRILL_FIGURES)[number];

export interface DrillList {
  figure: DrillFigure;
  /** For engagement figures (opened, clicked, inferred-open, unsubscribed-open, link): whose hits count. */
  scope: Scope;
  /** For bounced, hard-bounced, soft-bounced and blocked: only messages counted under this reason. */
  reason?: string;
  /** For `link`: the link occurrence's ordinal. */
  ordinal?: number;
}

/** How a list selects messages from their facts (message_facts): by status, by a flag, or by clicks on a link. */
export type DrillSelection =
  | { by: 'all' }
  | { by: 'status'; statuses: readonly StatusKey[]; reason?: string }
  | { by: 'flag'; bit: number }
  | { by: 'link'; ordinal: number; scope: Scope };

const STATUS_FIGURES: Partial<Record<DrillFigure, readonly StatusKey[]>> = {
  attempted: OUTCOME_STATUSES.attempted,
  sent: OUTCOME_STATUSES.sent,
  sending: OUTCOME_STATUSES.sending,
  delivered: OUTCOME_STATUSES.delivered,
  deferred: OUTCOME_STATUSES.deferred,
  bounced: [...OUTCOME_STATUSES.hardBounced, ...OUTCOME_STATUSES.softBounced],
  'hard-bounced': OUTCOME_STATUSES.hardBounced,
  'soft-bounced': OUTCOME_STATUSES.softBounced,
  blocked: OUTCOME_STATUSES.blocked,
};

const FLAG_FIGURES: Partial<Record<DrillFigure, (scope: Scope) => FlagName>> = {
  complained: () => 'complained',
  unsubscribed: () => 'unsubscribed',
  opened: (scope) => `opened:${scope}`,
  clicked: (scope) => `clicked:${scope}`,
  'inferred-open': (scope) => `inferredOpen:${scope}`,
  'unsubscribed-open': (scope) => `unsubscribedOpen:${scope}`,
};

/** Figures that take a reason. */
const WITH_REASON: readonly DrillFigure[] = ['bounced', 'hard-bounced', 'soft-bounced', 'blocked'];

export class DrillListError extends Error {}

/** What a list selects; a reason or ordinal on a figure that has none is refused, naming it. */
export function drillSelection(list: DrillList): DrillSelection {
  if (!SCOPES.includes(list.scope)) throw new DrillListError(`scope must be one of ${SCOPES.join(', ')}`);
  if (list.reason !== undefined && !WITH_REASON.includes(list.figure)) throw new DrillListError(`figure ${list.figure} has no reasons: reason applies to ${WITH_REASON.join(', ')}`);
  if (list.figure === 'link') {
    if (list.ordinal === undefined || !Number.isInteger(list.ordinal) || list.ordinal < 1) throw new DrillListError('figure link needs ordinal, a link occurrence number from 1');
    return { by: 'link', ordinal: list.ordinal, scope: list.scope };
  }
  if (list.ordinal !== undefined) throw new DrillListError(`figure ${list.figure} has no link: ordinal applies to figure link`);
  if (list.figure === 'messages') return { by: 'all' };
  const statuses = STATUS_FIGURES[list.figure];
  if (statuses) return list.reason === undefined ? { by: 'status', statuses } : { by: 'status', statuses, reason: list.reason };
  const flag = FLAG_FIGURES[list.figure];
  if (flag) return { by: 'flag', bit: flagBit(flag(list.scope)) };
  throw new DrillListError(`unknown figure ${list.figure}`);
}

/** Figures counted from hits, and so per scope. */
const ENGAGEMENT_FIGURES: readonly DrillFigure[] = ['opened', 'clicked', 'inferred-open', 'unsubscribed-open', 'link'];

/** Scopes a report names lists for: all hits and human ones, side by side as the figures are. */
const REPORT_SCOPES: readonly Scope[] = ['all', 'human'];

/** The query string naming a list, as the drill-down routes read it. */
export function drillQuery(list: DrillList): string {
  const q = new URLSearchParams({ figure: list.figure });
  if (ENGAGEMENT_FIGURES.includes(list.figure) && list.scope !== 'all') q.set('scope', list.scope);
  if (list.reason !== undefined) q.set('reason', list.reason);
  if (list.ordinal !== undefined) q.set('ordinal', String(list.ordinal));
  return q.toString();
}

/**
 * The lists behind a report's figures, keyed as the report names them: `delivered`, `opened`,
 * `opened:human`, `bounced:<reason>`, `blocked:<reason>`... (links name theirs with each occurrence).
 */
export function reportLists(byReason: { bouncesByReason: Record<string, number>; blockedByReason: Record<string, number> }): [string, DrillList][] {
  const lists: [string, DrillList][] = [];
  for (const figure of DRILL_FIGURES) {
    if (figure === 'link') continue;
    if (!ENGAGEMENT_FIGURES.includes(figure)) {
      lists.push([figure, { figure, scope: 'all' }]);
      continue;
    }
    for (const scope of REPORT_SCOPES) lists.push([scope === 'all' ? figure : `${figure}:${scope}`, { figure, scope }]);
  }
  for (const reason of Object.keys(byReason.bouncesByReason)) lists.push([`bounced:${reason}`, { figure: 'bounced', scope: 'all', reason }]);
  for (const reason of Object.keys(byReason.blockedByReason)) lists.push([`blocked:${reason}`, { figure: 'blocked', scope: 'all', reason }]);
  return lists;
}
