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
import {
  ENGAGEMENT_HITS,
  EVIDENCE,
  EVIDENCE_NAMES,
  hasReason,
  isInferredOpen,
  isLater,
  isPerVerdict,
  NO_REASON,
  passes,
  REASON_EVIDENCE,
  SCOPES,
  STATUS_PRECEDENCE,
  type EngagementFacts,
  type EventTest,
  type EvidenceName,
  type Scope,
  type StatusEvent,
  type StatusKey,
} from './message-status.js';
import { PROBE_METHOD } from './events.js';
import { HONEYPOT_ORDINAL } from './instrument/honeypot.js';
import { MAILBOX_PROVIDERS, type MailboxProvider } from './mailbox-provider.js';
import { compareProviderFlags, isProviderFlag, type FlaggedEvent, type JudgedHit, type ProviderFlagOutcome } from './outcomes/provider-flags.js';

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
  /**
   * Opens (or clicks) a provider flagged as a machine or a bot, by what mailsight said of them and the
   * flag's reason (outcomes/provider-flags.ts). Opens keep the name they were first stored under.
   */
  flagged: (outcome: ProviderFlagOutcome, reason: string, series: HitSeries = 'opens') => `${FLAGGED_KINDS[series]}:${outcome}:${reason}`,
};

/** The counter kind of provider-flagged opens and of provider-flagged clicks. */
export const FLAGGED_KINDS = { opens: 'flagged', clicks: 'flagged-clicks' } as const satisfies Record<HitSeries, string>;

/** A counter name taken apart: its kind and its parts (the last part may hold colons: reasons do). */
export function parseCounter(name: string): { kind: string; parts: string[] } {
  const arity: Record<string, number> = { status: 1, reason: 2, fact: 2, hits: 2, link: 3, hour: 3, why: 3, provider: 2, [FLAGGED_KINDS.opens]: 2, [FLAGGED_KINDS.clicks]: 2 };
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
// Stored in message_facts.flags: a change of this order (a verdict or a fact added) needs `mailsight
// recount` to rewrite them; report-counters.test.ts pins the layout so that it cannot change unseen.
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

/** What a message's figures are a function of, so that a hit can be counted without its other events. */
export interface MessageState {
  /** Evidence from events that are not hits (EVIDENCE names without byVerdict), as a list of names. */
  evidence: EvidenceName[];
  /** The deciding event of each evidence that gives a reason (REASON_EVIDENCE): time, id, reason. */
  latest: Partial<Record<EvidenceName, [at: number, id: number, reason: string]>>;
  /** Open and click hits per scope, and the time of the first of each. */
  scopes: Partial<Record<Scope, ScopeHits>>;
  /** Clicks per link occurrence and scope: `<ordinal>:<scope>` -> clicks. */
  links: Record<string, number>;
  /**
   * Provider opens and clicks flagged as a machine or a bot (absent when none): their counters depend
   * on the message's hits, so a write of hits to such a message tallies it from its events (countedHits).
   */
  flagged?: number;
}

export interface ScopeHits {
  opens: number;
  clicks: number;
  firstOpen: number | null;
  firstClick: number | null;
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

/** The series an event counts in: an open or click hit as the report counts them, else null. */
function seriesOf(e: TallyEvent): HitSeries | null {
  if (passes(e, ENGAGEMENT_HITS.open)) return 'opens';
  if (passes(e, ENGAGEMENT_HITS.click)) return 'clicks';
  return null;
}

const scopesOf = (verdict: Scope | null | undefined): Scope[] => (verdict ? ['all', verdict] : ['all']);

/**
 * The counters one event adds by itself, whatever else the message has (`sign` -1 takes them back):
 * hits, hits per hour and per link occurrence, hits by their verdict's first reason, and sends per hour.
 */
export function eventCounters(e: TallyEvent, into: Map<string, number>, sign: 1 | -1 = 1): void {
  if (e.type === 'sent') add(into, counter.hour(hourOf(e.at), 'sent', null), sign);
  const series = seriesOf(e);
  if (series === null) return;
  for (const scope of scopesOf(e.verdict)) {
    add(into, counter.hits(series, scope), sign);
    add(into, counter.hour(hourOf(e.at), series, scope), sign);
    if (series === 'clicks' && e.linkOrdinal != null) add(into, counter.linkClicks(e.linkOrdinal, scope), sign);
  }
  if (e.verdict) add(into, counter.why(series, e.verdict, e.reasons?.[0] ?? NO_VERDICT_REASON), sign);
}

const NON_HIT_EVIDENCE = EVIDENCE_NAMES.filter((name) => !isPerVerdict(name));
const REASON_EVIDENCE_NAMES: readonly EvidenceName[] = Object.values(REASON_EVIDENCE);

export function emptyState(): MessageState {
  return { evidence: [], latest: {}, scopes: {}, links: {} };
}

/** Adds one hit to a state: to all hits and to its verdict's, or only to the scopes given (a revision moves it between verdicts). */
export function addHit(state: MessageState, e: TallyEvent, scopes: readonly Scope[] = scopesOf(e.verdict)): void {
  const series = seriesOf(e);
  if (series === null) return;
  for (const scope of scopes) {
    const hits = (state.scopes[scope] ??= { opens: 0, clicks: 0, firstOpen: null, firstClick: null });
    if (series === 'opens') {
      hits.opens++;
      if (hits.firstOpen === null || e.at < hits.firstOpen) hits.firstOpen = e.at;
    } else {
      hits.clicks++;
      if (hits.firstClick === null || e.at < hits.firstClick) hits.firstClick = e.at;
      if (e.linkOrdinal != null) state.links[`${e.linkOrdinal}:${scope}`] = (state.links[`${e.linkOrdinal}:${scope}`] ?? 0) + 1;
    }
  }
}

/**
 * Takes a hit of `verdict` out of a state's counts for that verdict (a revision moves it to another).
 * False when the state cannot say what follows: the hit was the first of its kind in that scope and
 * others remain, whose first is known only from the events.
 */
export function removeHitVerdict(state: MessageState, e: TallyEvent): boolean {
  const series = seriesOf(e);
  if (series === null || !e.verdict) return true;
  const hits = state.scopes[e.verdict];
  if (!hits) return false;
  if (series === 'opens') {
    hits.opens--;
    if (hits.opens < 0) return false;
    if (hits.opens === 0) hits.firstOpen = null;
    else if (hits.firstOpen === e.at) return false;
  } else {
    hits.clicks--;
    if (hits.clicks < 0) return false;
    if (hits.clicks === 0) hits.firstClick = null;
    else if (hits.firstClick === e.at) return false;
    if (e.linkOrdinal != null) {
      const key = `${e.linkOrdinal}:${e.verdict}`;
      const left = (state.links[key] ?? 0) - 1;
      if (left < 0) return false;
      if (left === 0) delete state.links[key];
      else state.links[key] = left;
    }
  }
  if (hits.opens === 0 && hits.clicks === 0) delete state.scopes[e.verdict];
  return true;
}

/** The state of a message with these events. */
export function stateOf(events: readonly TallyEvent[]): MessageState {
  const state = emptyState();
  for (const name of NON_HIT_EVIDENCE) {
    const tests: readonly EventTest[] = EVIDENCE[name].tests;
    let deciding: TallyEvent | null = null;
    let found = false;
    for (const e of events) {
      if (!tests.some((t) => passes(e, t))) continue;
      found = true;
      if (deciding === null || isLater(e, deciding)) deciding = e;
    }
    if (!found) continue;
    state.evidence.push(name);
    if (REASON_EVIDENCE_NAMES.includes(name)) state.latest[name] = [deciding!.at, deciding!.id ?? 0, deciding!.reason ?? NO_REASON];
  }
  for (const e of events) addHit(state, e);
  const flagged = events.filter((e) => flaggedSeries(e) !== null).length;
  if (flagged > 0) state.flagged = flagged;
  return state;
}

/** The series of mailsight's hits a provider event flagged with a reason is compared with; null for any other event. */
function flaggedSeries(e: TallyEvent): HitSeries | null {
  if (!isProviderFlag(e.reason)) return null;
  return e.type === 'provider_opened' ? 'opens' : e.type === 'provider_clicked' ? 'clicks' : null;
}

/**
 * The series of a hit a provider's flag is compared with: the report's opens and clicks, and clicks on
 * the honeypot link too. A scanner that follows every link goes through the provider's redirect to
 * the honeypot as to the others, and the provider reports that click: mailsight's bot verdict on it
 * is the answer to compare with, though the report does not count it as a click.
 */
function comparedSeries(e: TallyEvent): HitSeries | null {
  if (e.type === 'clicked' && e.linkOrdinal === HONEYPOT_ORDINAL && e.method !== PROBE_METHOD) return 'clicks';
  return seriesOf(e);
}

/** Whether a state's counters need the message's events to move: it has provider-flagged opens or clicks. */
export function needsEvents(state: MessageState): boolean {
  return (state.flagged ?? 0) > 0;
}

/**
 * The provider-flagged opens and clicks of a message, each counted by what mailsight said of the hit
 * of the same series matched to it (outcomes/provider-flags.ts): a function of all the message's
 * events, so only the tallies taken from events count them.
 */
export function flagCounters(events: readonly TallyEvent[], into: Map<string, number>): void {
  const flagged: Record<HitSeries, FlaggedEvent[]> = { opens: [], clicks: [] };
  const hits: Record<HitSeries, JudgedHit[]> = { opens: [], clicks: [] };
  for (const e of events) {
    const flaggedAs = flaggedSeries(e);
    if (flaggedAs !== null) {
      flagged[flaggedAs].push({ at: e.at, reason: e.reason! });
      continue;
    }
    const series = comparedSeries(e);
    if (series !== null) hits[series].push({ at: e.at, verdict: e.verdict ?? null });
  }
  for (const series of ['opens', 'clicks'] as const) {
    if (flagged[series].length === 0) continue;
    for (const { reason, outcome } of compareProviderFlags(flagged[series], hits[series])) add(into, counter.flagged(outcome, reason, series));
  }
}

/** What a message's state decides: its status, reason, flags, and the names of the counters it counts 1 in. */
export interface StateCounts {
  status: StatusKey;
  reason: string | null;
  flags: number;
  /** Every counter a state decides is 0 or 1 for the message: these are the ones at 1. */
  names: string[];
}

// The names the state decides, made once: this runs twice per message in every batch of hits.
const MESSAGES_NAME = counter.messages();
const STATUS_NAMES = new Map(STATUS_PRECEDENCE.map(({ key }) => [key, counter.status(key)]));
const FACT_NAMES = SCOPES.map((scope) => ENGAGEMENT_FACTS.map((fact) => [counter.fact(fact, scope), flagBit(`${fact}:${scope}`)] as const));
const PROVIDER_NAMES = new Map(
  MAILBOX_PROVIDERS.map((provider) => [
    provider,
    {
      messages: counter.provider(provider, 'messages'),
      complained: counter.provider(provider, 'complained'),
      status: new Map(STATUS_PRECEDENCE.map(({ key }) => [key, counter.provider(provider, `status:${key}`)])),
      opened: { all: counter.provider(provider, 'opened:all'), human: counter.provider(provider, 'opened:human') },
      clicked: { all: counter.provider(provider, 'clicked:all'), human: counter.provider(provider, 'clicked:human') },
    },
  ]),
);
const LINK_CLICKED_NAMES = new Map<string, string>();
const COMPLAINED_NAME = counter.complained();
const UNSUBSCRIBED_NAME = counter.unsubscribed();
const COMPLAINED_BIT = flagBit('complained');
const UNSUBSCRIBED_BIT = flagBit('unsubscribed');

function linkClickedName(key: string): string {
  let name = LINK_CLICKED_NAMES.get(key);
  if (name === undefined) {
    const colon = key.indexOf(':');
    name = counter.linkClicked(Number(key.slice(0, colon)), key.slice(colon + 1) as Scope);
    LINK_CLICKED_NAMES.set(key, name);
  }
  return name;
}

/** The status by STATUS_PRECEDENCE, from a state. */
function stateStatus(state: MessageState): StatusKey {
  const all = state.scopes.all;
  for (const { key, evidence } of STATUS_PRECEDENCE) {
    if (evidence === null) return key;
    const has = evidence === 'open' ? all !== undefined && all.opens + all.clicks > 0 : evidence === 'click' ? all !== undefined && all.clicks > 0 : state.evidence.includes(evidence);
    if (has) return key;
  }
  return 'queued';
}

/** The counters that depend on the message as a whole (status, unique facts, links clicked), and its facts. */
export function stateCounts(state: MessageState, provider: MailboxProvider): StateCounts {
  const status = stateStatus(state);
  const reasonEvidence = hasReason(status) ? REASON_EVIDENCE[status] : null;
  const reason = reasonEvidence === null ? null : (state.latest[reasonEvidence]?.[2] ?? NO_REASON);
  const names = [MESSAGES_NAME, STATUS_NAMES.get(status)!];
  if (reason !== null) names.push(counter.reason(status, reason));
  let flags = 0;
  const complained = state.evidence.includes('complaint');
  const unsubscribed = state.evidence.includes('unsubscribe');
  if (complained) {
    names.push(COMPLAINED_NAME);
    flags |= COMPLAINED_BIT;
  }
  if (unsubscribed) {
    names.push(UNSUBSCRIBED_NAME);
    flags |= UNSUBSCRIBED_BIT;
  }
  const byProvider = PROVIDER_NAMES.get(provider)!;
  names.push(byProvider.messages, byProvider.status.get(status)!);
  if (complained) names.push(byProvider.complained);
  for (let i = 0; i < SCOPES.length; i++) {
    const hits = state.scopes[SCOPES[i]!];
    if (hits === undefined) continue;
    const opened = hits.opens + hits.clicks > 0;
    const clicked = hits.clicks > 0;
    // ENGAGEMENT_FACTS order: opened, clicked, inferredOpen, unsubscribedOpen.
    const facts = [opened, clicked, isInferredOpen(hits.firstOpen, hits.firstClick), opened && unsubscribed];
    const row = FACT_NAMES[i]!;
    for (let f = 0; f < facts.length; f++) {
      if (!facts[f]) continue;
      names.push(row[f]![0]);
      flags |= row[f]![1];
    }
    const scope = SCOPES[i];
    if (scope === 'all' || scope === 'human') {
      if (opened) names.push(byProvider.opened[scope]);
      if (clicked) names.push(byProvider.clicked[scope]);
    }
  }
  for (const key in state.links) if (state.links[key]! > 0) names.push(linkClickedName(key));
  return { status, reason, flags, names };
}

/** The counters that depend on the message as a whole, as a tally. */
export function stateTally(state: MessageState, provider: MailboxProvider, counters = new Map<string, number>()): MessageTally {
  const counts = stateCounts(state, provider);
  for (const name of counts.names) add(counters, name);
  return { status: counts.status, reason: counts.reason, flags: counts.flags, counters };
}

/** Adds to `into` what moves when a message's state-decided counters go from `before` to `after`. */
export function stateDelta(before: readonly string[], after: readonly string[], into: Map<string, number>): void {
  // Usually the same names in the same order: a hit on an opened message changes none.
  if (before.length === after.length && before.every((name, i) => name === after[i])) return;
  const was = new Set(before);
  const now = new Set(after);
  for (const name of now) if (!was.has(name)) add(into, name, 1);
  for (const name of was) if (!now.has(name)) add(into, name, -1);
}

/** A state as stored: keys in a fixed order, so that equal states are equal strings. */
export function serializeState(state: MessageState): string {
  const scopes = Object.fromEntries(SCOPES.filter((s) => state.scopes[s]).map((s) => [s, state.scopes[s]]));
  const links = Object.fromEntries(Object.keys(state.links).sort().map((k) => [k, state.links[k]]));
  const latest = Object.fromEntries(REASON_EVIDENCE_NAMES.filter((n) => state.latest[n]).map((n) => [n, state.latest[n]]));
  const evidence = NON_HIT_EVIDENCE.filter((n) => state.evidence.includes(n));
  // Absent when none, so that the states of messages without flagged opens or clicks read as before.
  return JSON.stringify(state.flagged ? { evidence, latest, scopes, links, flagged: state.flagged } : { evidence, latest, scopes, links });
}

export function parseState(text: string): MessageState {
  return JSON.parse(text) as MessageState;
}

/** Everything one message counts for in its execution's report: what its state decides, and what each event adds. */
export function tallyMessage(events: readonly TallyEvent[], provider: MailboxProvider): MessageTally {
  return tallyWithState(events, provider).tally;
}

/** A message's tally from all its events, with the state it was taken from. */
export function tallyWithState(events: readonly TallyEvent[], provider: MailboxProvider): { tally: MessageTally; state: MessageState } {
  const state = stateOf(events);
  const tally = stateTally(state, provider);
  for (const e of events) eventCounters(e, tally.counters);
  flagCounters(events, tally.counters);
  return { tally, state };
}

/** What moves the counters when a message's tally goes from `before` (null: a new message) to `after`. */
export function counterDelta(before: ReadonlyMap<string, number> | null, after: ReadonlyMap<string, number>, into = new Map<string, number>()): Map<string, number> {
  for (const [name, value] of after) {
    const d = value - (before?.get(name) ?? 0);
    if (d !== 0) into.set(name, (into.get(name) ?? 0) + d);
  }
  if (before) for (const [name, value] of before) if (!after.has(name)) into.set(name, (into.get(name) ?? 0) - value);
  return into;
}
