/**
 * What one message adds to its execution's report counters, derived from its events by the same
 * definitions as its status (message-status.ts). Reports read counters, not events: the store keeps
 * them in the transaction that writes the events, by adding the difference between a message's tally
 * before the write and after it, so a revised verdict, a late delivery report or a duplicate moves
 * exactly what it changes. A full recount sums the same tallies over every message; the two agree by
 * construction, and `mailsight recount` checks that they do.
 *
 * Counters are named, per execution. Every name is made by `counter` below and read back by
 * `parseCounter`: the names are the contract between the tally, the store and the report.
 */
import { HIT_KIND_OF_EVENT_TYPE } from './events.js';
import { ENGAGEMENT_HITS, passes, reportFacts, SCOPES, type EngagementFacts, type Scope, type StatusEvent, type StatusKey } from './message-status.js';
import type { MailboxProvider } from './mailbox-provider.js';

/** The unique engagement facts of a message, per scope (message-status.ts EngagementFacts). */
export const ENGAGEMENT_FACTS = ['opened', 'clicked', 'inferredOpen', 'unsubscribedOpen'] as const satisfies readonly (keyof EngagementFacts)[];
export type EngagementFact = (typeof ENGAGEMENT_FACTS)[number];

/** Hits counted in totals and time series. */
export type HitSeries = 'opens' | 'clicks';

/** One hour, the time series' unit: hours since the epoch. */
export const HOUR_MS = 3_600_000;
export const hourOf = (at: number): number => Math.floor(at / HOUR_MS);

/** The reason a hit is counted under in the reason summary when its verdict gave none. */
export const NO_VERDICT_REASON = 'none';

/** The figures kept per mailbox provider. */
export const PROVIDER_FIGURES = ['messages', 'complained', 'opened:all', 'opened:human', 'clicked:all', 'clicked:human'] as const;

export const counter = {
  messages: () => 'messages',
  /** Messages by status (outcomes are sums of statuses: OUTCOME_STATUSES). */
  status: (key: StatusKey) => `status:${key}`,
  /** Messages of a status with a reason (REASON_EVIDENCE), by that reason. */
  reason: (key: StatusKey, reason: string) => `reason:${key}:${reason}`,
  complained: () => 'complained',
  unsubscribed: () => 'unsubscribed',
  /** Messages with a unique engagement fact, in a scope. */
  fact: (fact: EngagementFact, scope: Scope) => `fact:${fact}:${scope}`,
  /** Hits (total opens, total clicks), in a scope. */
  hits: (series: HitSeries, scope: Scope) => `hits:${series}:${scope}`,
  /** Messages that clicked a link occurrence, and its clicks, in a scope. */
  linkClicked: (ordinal: number, scope: Scope) => `link:${ordinal}:clicked:${scope}`,
  linkClicks: (ordinal: number, scope: Scope) => `link:${ordinal}:clicks:${scope}`,
  /** Hits of an hour, in a scope; `sent` counts the relay's acceptances (the series start at the first). */
  hour: (hour: number, series: HitSeries | 'sent', scope: Scope | null) => (scope === null ? `hour:${hour}:${series}` : `hour:${hour}:${series}:${scope}`),
  /** Hits of a verdict by the first reason the classifier gave. */
  why: (series: HitSeries, verdict: string, reason: string) => `why:${series}:${verdict}:${reason}`,
  /** A figure of the messages to one mailbox provider; `status:<key>` figures too. */
  provider: (provider: MailboxProvider, figure: string) => `provider:${provider}:${figure}`,
};

/** A counter name taken apart: its kind and its parts (the last part may hold colons: reasons do). */
export function parseCounter(name: string): { kind: string; parts: string[] } {
  const arity: Record<string, number> = { status: 1, reason: 2, fact: 2, hits: 2, link: 3, hour: 3, why: 3, provider: 2 };
  const colon = name.indexOf(':');
  if (colon < 0) return { kind: name, parts: [] };
  const kind = name.slice(0, colon);
  const rest = name.slice(colon + 1);
  const n = arity[kind] ?? 1;
  const parts: string[] = [];
  let from = 0;
  for (let i = 1; i < n; i++) {
    const next = rest.indexOf(':', from);
    if (next < 0) break;
    parts.push(rest.slice(from, next));
    from = next + 1;
  }
  parts.push(rest.slice(from));
  return { kind, parts };
}

/**
 * Facts of a message kept beside its counters, so that the contacts behind a figure can be listed
 * without reading events: one bit per unique fact and scope, and per evidence below.
 */
const FLAG_NAMES = [...SCOPES.flatMap((scope) => ENGAGEMENT_FACTS.map((fact) => `${fact}:${scope}`)), 'complained', 'unsubscribed'] as const;
export type FlagName = `${EngagementFact}:${Scope}` | 'complained' | 'unsubscribed';
const FLAG_BITS = new Map<string, number>(FLAG_NAMES.map((name, i) => [name, 2 ** i]));

export function flagBit(name: FlagName): number {
  return FLAG_BITS.get(name)!;
}

export function hasFlag(flags: number, name: FlagName): boolean {
  return (Math.floor(flags / flagBit(name)) & 1) === 1;
}

/** An event as the tally reads it: a status event, with its verdict's reasons for hits. */
export interface TallyEvent extends StatusEvent {
  reasons?: readonly string[] | null;
}

export interface MessageTally {
  status: StatusKey;
  reason: string | null;
  flags: number;
  counters: Map<string, number>;
}

function add(counters: Map<string, number>, name: string, by = 1): void {
  counters.set(name, (counters.get(name) ?? 0) + by);
}

/** Everything one message counts for in its execution's report. */
export function tallyMessage(events: readonly TallyEvent[], provider: MailboxProvider): MessageTally {
  const facts = reportFacts(events);
  const counters = new Map<string, number>();
  add(counters, counter.messages());
  add(counters, counter.status(facts.status));
  if (facts.reason !== null) add(counters, counter.reason(facts.status, facts.reason));
  let flags = 0;
  if (facts.complained) {
    add(counters, counter.complained());
    flags += flagBit('complained');
  }
  if (facts.unsubscribed) {
    add(counters, counter.unsubscribed());
    flags += flagBit('unsubscribed');
  }
  for (const scope of SCOPES) {
    for (const fact of ENGAGEMENT_FACTS) {
      if (!facts.byScope[scope][fact]) continue;
      add(counters, counter.fact(fact, scope));
      flags += flagBit(`${fact}:${scope}`);
    }
  }
  const clickedLinks = new Set<string>();
  for (const e of events) {
    if (e.type === 'sent') add(counters, counter.hour(hourOf(e.at), 'sent', null));
    if (!HIT_KIND_OF_EVENT_TYPE.has(e.type)) continue;
    const series: HitSeries | null = passes(e, ENGAGEMENT_HITS.open) ? 'opens' : passes(e, ENGAGEMENT_HITS.click) ? 'clicks' : null;
    if (series === null) continue;
    const scopes: Scope[] = e.verdict ? ['all', e.verdict] : ['all'];
    for (const scope of scopes) {
      add(counters, counter.hits(series, scope));
      add(counters, counter.hour(hourOf(e.at), series, scope));
      if (series === 'clicks' && e.linkOrdinal != null) {
        add(counters, counter.linkClicks(e.linkOrdinal, scope));
        const key = `${e.linkOrdinal}:${scope}`;
        if (!clickedLinks.has(key)) {
          clickedLinks.add(key);
          add(counters, counter.linkClicked(e.linkOrdinal, scope));
        }
      }
    }
    if (e.verdict) add(counters, counter.why(series, e.verdict, e.reasons?.[0] ?? NO_VERDICT_REASON));
  }
  add(counters, counter.provider(provider, 'messages'));
  add(counters, counter.provider(provider, `status:${facts.status}`));
  if (facts.complained) add(counters, counter.provider(provider, 'complained'));
  for (const scope of ['all', 'human'] as const) {
    if (facts.byScope[scope].opened) add(counters, counter.provider(provider, `opened:${scope}`));
    if (facts.byScope[scope].clicked) add(counters, counter.provider(provider, `clicked:${scope}`));
  }
  return { status: facts.status, reason: facts.reason, flags, counters };
}

/** What moves the counters when a message's tally goes from `before` (null: a new message) to `after`. */
export function counterDelta(before: ReadonlyMap<string, number> | null, after: ReadonlyMap<string, number>, into = new Map<string, number>()): Map<string, number> {
  for (const [name, value] of after) {
    const d = value - (before?.get(name) ?? 0);
    if (d !== 0) into.set(name, (into.get(name) ?? 0) + d);
  }
  if (before) for (const [name, value] of before) if (!after.has(name)) into.set(name, (into.get(name) ?? 0) - value);
  for (const [name, value] of into) if (value === 0) into.delete(name);
  return into;
}
