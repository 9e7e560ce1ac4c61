/**
 * A report's figures read from its counters (core/report-counters.ts): totals, clicks per link
 * occurrence, the reasons hits were not counted as human, the opens and clicks of each hour and day
 * since the send, and the figures of each mailbox provider. Pure: the store reads the counters, this
 * turns them into what the API, the CLI and the dashboard show.
 */
import { counter, FLAGGED_KINDS, HOUR_MS, parseCounter, type HitSeries } from '../core/report-counters.js';
import { OUTCOMES, OUTCOME_STATUSES, REASON_COUNT_NAMES, REASON_COUNTS, SCOPES, type ReasonCount, type Scope, type StatusKey } from '../core/message-status.js';
import { deriveRates } from '../core/rates.js';
import { linkClickCounts } from '../core/hot-clicks.js';
import { MAILBOX_PROVIDERS, type MailboxProvider } from '../core/mailbox-provider.js';
import { VERDICTS, type Verdict } from '../core/nhi/verdict.js';
import { PROVIDER_FLAG_MATCH_MS, PROVIDER_FLAG_OUTCOMES, type ProviderFlagOutcome } from '../core/outcomes/provider-flags.js';
import type { CampaignTotals, EngagementTotals, ExecutionCounters } from './ports.js';

export type Counters = ReadonlyMap<string, number>;

/** The counters of several executions added up. */
export function sumCounters(byExecution: ExecutionCounters): Map<string, number> {
  const sum = new Map<string, number>();
  for (const counters of byExecution.values()) {
    for (const [name, value] of counters) sum.set(name, (sum.get(name) ?? 0) + value);
  }
  return sum;
}

export function totalsFromCounters(c: Counters): CampaignTotals {
  const n = (name: string) => c.get(name) ?? 0;
  const statuses = (keys: readonly StatusKey[]) => keys.reduce((total, key) => total + n(counter.status(key)), 0);
  const reasonCounts = Object.fromEntries(REASON_COUNT_NAMES.map((name) => [name, {}])) as Record<ReasonCount, Record<string, number>>;
  for (const [name, value] of c) {
    const { kind, parts } = parseCounter(name);
    if (kind !== 'reason' || value === 0) continue;
    const [status, reason] = parts as [StatusKey, string];
    for (const count of REASON_COUNT_NAMES) {
      if ((REASON_COUNTS[count] as readonly StatusKey[]).includes(status)) reasonCounts[count][reason] = (reasonCounts[count][reason] ?? 0) + value;
    }
  }
  const engagement = (scope: Scope): EngagementTotals => ({
    uniqueOpens: n(counter.fact('opened', scope)),
    inferredOpens: n(counter.fact('inferredOpen', scope)),
    totalOpens: n(counter.hits('opens', scope)),
    uniqueClicks: n(counter.fact('clicked', scope)),
    totalClicks: n(counter.hits('clicks', scope)),
    unsubscribedOpens: n(counter.fact('unsubscribedOpen', scope)),
  });
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, statuses(OUTCOME_STATUSES[o])])) as Record<(typeof OUTCOMES)[number], number>;
  return {
    messages: n(counter.messages()),
    ...outcomes,
    ...reasonCounts,
    complained: n(counter.complained()),
    unsubscribed: n(counter.unsubscribed()),
    ...engagement('all'),
    byVerdict: Object.fromEntries(VERDICTS.map((v) => [v, engagement(v)])) as Record<Verdict, EngagementTotals>,
  };
}

export interface LinkClicks {
  uniqueClicks: number;
  totalClicks: number;
  byVerdict: Record<Verdict, { uniqueClicks: number; totalClicks: number }>;
}

/** Clicks of one link occurrence of an execution (as hot clicks read them: core/hot-clicks.ts). */
export function linkClicks(c: Counters, ordinal: number): LinkClicks {
  const { unique, total } = linkClickCounts(c, ordinal);
  const of = (scope: Scope) => ({ uniqueClicks: unique[scope], totalClicks: total[scope] });
  return { ...of('all'), byVerdict: Object.fromEntries(VERDICTS.map((v) => [v, of(v)])) as LinkClicks['byVerdict'] };
}

/** Hits a verdict took from the human count, by the first reason the classifier gave. */
export interface NonHumanHits {
  series: HitSeries;
  verdict: Exclude<Verdict, 'human'>;
  hits: number;
  /** Most first. */
  byReason: { reason: string; hits: number }[];
  /** The same by family of reasons (the part before the colon: net, ua, burst, timing, header, method). */
  byFamily: { family: string; hits: number }[];
}

const VERDICT_WORDS: Record<Exclude<Verdict, 'human'>, Record<HitSeries, string>> = {
  machine: { opens: 'opens were machine prefetches (a mail client or its proxy fetching the pixel, not a reader)', clicks: 'clicks were machine fetches' },
  bot: { opens: 'opens were scanner opens (security products and bots fetching the pixel)', clicks: 'clicks came from scanners and bots' },
  self: { opens: "opens were the sender's own", clicks: "clicks were the sender's own" },
};

/** Names of reason families, for the summary. */
const FAMILY_WORDS: Record<string, string> = { net: 'network', ua: 'user agent', burst: 'burst', timing: 'timing', header: 'headers', method: 'method' };

const byCount = <T extends { hits: number }>(key: (t: T) => string) => (a: T, b: T) => b.hits - a.hits || (key(a) < key(b) ? -1 : 1);

export function nonHumanHits(c: Counters): NonHumanHits[] {
  const found = new Map<string, NonHumanHits>();
  for (const [name, value] of c) {
    const { kind, parts } = parseCounter(name);
    if (kind !== 'why' || value === 0 || parts[1] === 'human') continue;
    const [series, verdict, reason] = parts as [HitSeries, Exclude<Verdict, 'human'>, string];
    const key = `${series}:${verdict}`;
    let entry = found.get(key);
    if (!entry) found.set(key, (entry = { series, verdict, hits: 0, byReason: [], byFamily: [] }));
    entry.hits += value;
    entry.byReason.push({ reason, hits: value });
  }
  const order = (e: NonHumanHits) => (e.series === 'opens' ? 0 : 10) + VERDICTS.indexOf(e.verdict);
  return [...found.values()]
    .map((e) => {
      const families = new Map<string, number>();
      for (const r of e.byReason) {
        const family = r.reason.includes(':') ? r.reason.slice(0, r.reason.indexOf(':')) : r.reason;
        families.set(family, (families.get(family) ?? 0) + r.hits);
      }
      return {
        ...e,
        byReason: e.byReason.sort(byCount((r) => r.reason)),
        byFamily: [...families].map(([family, hits]) => ({ family, hits })).sort(byCount((f) => f.family)),
      };
    })
    .sort((a, b) => order(a) - order(b));
}

const count = (n: number) => n.toLocaleString('en-US');

/** Reasons named one by one in a scanner-opens clause; the rest are added up as "other". */
const SCANNER_REASONS_NAMED = 4;

/** "1,204 opens were machine prefetches (...): network 1,100, user agent 104": a verdict's hits by family of reasons. */
function byFamilyClause(e: NonHumanHits): string {
  return `${count(e.hits)} ${VERDICT_WORDS[e.verdict][e.series]}: ${e.byFamily.map((f) => `${FAMILY_WORDS[f.family] ?? f.family} ${count(f.hits)}`).join(', ')}`;
}

/** "310 opens were scanner opens (...): ua:outdated-browser 200, header:no-accept-language 110": by reason, the evidence a reader checks. */
function scannerOpensClause(e: NonHumanHits): string {
  const named = e.byReason.slice(0, SCANNER_REASONS_NAMED).map((r) => `${r.reason} ${count(r.hits)}`);
  const other = e.byReason.slice(SCANNER_REASONS_NAMED).reduce((n, r) => n + r.hits, 0);
  if (other > 0) named.push(`other ${count(other)}`);
  return `${count(e.hits)} ${VERDICT_WORDS.bot.opens}: ${named.join(', ')}`;
}

/**
 * The hits not counted as human in sentences: one per verdict and series, except that opens by
 * machines (Apple's prefetches and the like) and by scanners share one sentence, both being opens no
 * reader made; scanner opens are given by reason.
 */
export function nonHumanSummary(hits: readonly NonHumanHits[]): string[] {
  const machineOpens = hits.find((e) => e.series === 'opens' && e.verdict === 'machine');
  const scannerOpens = hits.find((e) => e.series === 'opens' && e.verdict === 'bot');
  const opens = [machineOpens && byFamilyClause(machineOpens), scannerOpens && scannerOpensClause(scannerOpens)].filter((c): c is string => Boolean(c));
  const sentences: string[] = opens.length > 0 ? [opens.join('; ')] : [];
  for (const e of hits) if (e !== machineOpens && e !== scannerOpens) sentences.push(byFamilyClause(e));
  return sentences;
}

/** Hits of one period, per scope. */
export interface PeriodHits {
  /** Hours (or days) since the send's first hour. */
  since: number;
  /** Start of the period, epoch ms. */
  at: number;
  opens: Record<Scope, number>;
  clicks: Record<Scope, number>;
}

export interface Timeline {
  /** The first hour the relay accepted a message of the report (or of its first hit when none was), epoch ms; null when nothing happened. */
  startAt: number | null;
  hourly: PeriodHits[];
  daily: PeriodHits[];
  /** Hourly periods are given for the first HOURLY_LIMIT hours; daily ones for the whole span. */
  hourlyLimit: number;
}

/** Hours given one by one: the first 14 days, when most opens and clicks come. */
export const HOURLY_LIMIT = 14 * 24;

const zeros = (): Record<Scope, number> => Object.fromEntries(SCOPES.map((s) => [s, 0])) as Record<Scope, number>;

export function timeline(c: Counters): Timeline {
  const hits: { hour: number; series: HitSeries; scope: Scope; value: number }[] = [];
  let firstSent: number | null = null;
  let firstHit: number | null = null;
  for (const [name, value] of c) {
    const { kind, parts } = parseCounter(name);
    if (kind !== 'hour' || value === 0) continue;
    const hour = Number(parts[0]);
    const [series, scope] = [parts[1], parts[2]] as [HitSeries | 'sent', Scope | undefined];
    if (series === 'sent') firstSent = firstSent === null ? hour : Math.min(firstSent, hour);
    else {
      firstHit = firstHit === null ? hour : Math.min(firstHit, hour);
      hits.push({ hour, series, scope: scope!, value });
    }
  }
  const start = firstSent ?? firstHit;
  if (start === null) return { startAt: null, hourly: [], daily: [], hourlyLimit: HOURLY_LIMIT };
  const hourly = new Map<number, PeriodHits>();
  const daily = new Map<number, PeriodHits>();
  const period = (into: Map<number, PeriodHits>, since: number, at: number) => {
    let p = into.get(since);
    if (!p) into.set(since, (p = { since, at, opens: zeros(), clicks: zeros() }));
    return p;
  };
  for (const h of hits) {
    // Hits before the first send (a test message, clocks apart) count in the first period.
    const since = Math.max(0, h.hour - start);
    const day = Math.floor(since / 24);
    period(daily, day, (start + day * 24) * HOUR_MS)[h.series][h.scope] += h.value;
    if (since < HOURLY_LIMIT) period(hourly, since, (start + since) * HOUR_MS)[h.series][h.scope] += h.value;
  }
  // Every period from the first to the last, empty ones too: a chart's x axis is time.
  const dense = (into: Map<number, PeriodHits>, width: number) => {
    const last = Math.max(-1, ...into.keys());
    return Array.from({ length: last + 1 }, (_, i) => into.get(i) ?? { since: i, at: (start + i * width) * HOUR_MS, opens: zeros(), clicks: zeros() });
  };
  return { startAt: start * HOUR_MS, hourly: dense(hourly, 1), daily: dense(daily, 24), hourlyLimit: HOURLY_LIMIT };
}

export interface ProviderFigures {
  provider: MailboxProvider;
  messages: number;
  sent: number;
  delivered: number;
  bounced: number;
  complained: number;
  uniqueOpens: number;
  humanUniqueOpens: number;
  uniqueClicks: number;
  humanUniqueClicks: number;
  deliveryRate: number | null;
  bounceRate: number | null;
  complaintRate: number | null;
  openRate: number | null;
  humanOpenRate: number | null;
  clickRate: number | null;
  humanClickRate: number | null;
}

/** The figures of each mailbox provider the report's messages went to; providers with none are left out. */
export function providerFigures(c: Counters): ProviderFigures[] {
  return MAILBOX_PROVIDERS.flatMap((provider): ProviderFigures[] => {
    const n = (figure: string) => c.get(counter.provider(provider, figure)) ?? 0;
    const messages = n('messages');
    if (messages === 0) return [];
    const statuses = (keys: readonly StatusKey[]) => keys.reduce((t, k) => t + n(`status:${k}`), 0);
    const base = {
      sent: statuses(OUTCOME_STATUSES.sent),
      attempted: statuses(OUTCOME_STATUSES.attempted),
      delivered: statuses(OUTCOME_STATUSES.delivered),
      bounced: statuses([...OUTCOME_STATUSES.hardBounced, ...OUTCOME_STATUSES.softBounced]),
      blocked: statuses(OUTCOME_STATUSES.blocked),
      complained: n('complained'),
      unsubscribedOpens: 0,
    };
    const all = deriveRates({ ...base, uniqueOpens: n('opened:all'), uniqueClicks: n('clicked:all') });
    const human = deriveRates({ ...base, uniqueOpens: n('opened:human'), uniqueClicks: n('clicked:human') });
    return [
      {
        provider,
        messages,
        sent: base.sent,
        delivered: base.delivered,
        bounced: base.bounced,
        complained: base.complained,
        uniqueOpens: n('opened:all'),
        humanUniqueOpens: n('opened:human'),
        uniqueClicks: n('clicked:all'),
        humanUniqueClicks: n('clicked:human'),
        deliveryRate: all.deliveryRate,
        bounceRate: all.bounceRate,
        complaintRate: all.complaintRate,
        openRate: all.openRate,
        humanOpenRate: human.openRate,
        clickRate: all.clickRate,
        humanClickRate: human.clickRate,
      },
    ];
  });
}

/** Opens (or clicks) one provider flag marked as a machine or a bot, by what mailsight said of the same open or click (core/outcomes/provider-flags.ts). */
export interface ProviderFlagFigures extends Record<ProviderFlagOutcome, number> {
  /** The flag's reason: `provider:sendgrid-machine-open`, `provider:brevo-proxy-open`, `provider:mailgun-bot-<kind>`. */
  reason: string;
  /** What the provider flagged, and the hits it is compared with: opens or clicks. */
  series: HitSeries;
  flagged: number;
}

const FLAGGED_SERIES = new Map<string, HitSeries>(Object.entries(FLAGGED_KINDS).map(([series, kind]) => [kind, series as HitSeries]));

/** Each provider flag seen in the counters, by reason, its opens before its clicks. */
export function providerFlagFigures(c: Counters): ProviderFlagFigures[] {
  const found = new Map<string, ProviderFlagFigures>();
  for (const [name, value] of c) {
    const { kind, parts } = parseCounter(name);
    const series = FLAGGED_SERIES.get(kind);
    if (series === undefined || value === 0) continue;
    const [outcome, reason] = parts as [ProviderFlagOutcome, string];
    if (!PROVIDER_FLAG_OUTCOMES.includes(outcome)) continue;
    const key = `${series}:${reason}`;
    let entry = found.get(key);
    if (!entry) found.set(key, (entry = { reason, series, flagged: 0, agreed: 0, disagreed: 0, unmatched: 0 }));
    entry[outcome] += value;
    entry.flagged += value;
  }
  return [...found.values()].sort((a, b) => (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : a.series === b.series ? 0 : a.series === 'opens' ? -1 : 1));
}

const FLAGGED_WORDS: Record<HitSeries, { one: string; many: string }> = { opens: { one: 'open', many: 'opens' }, clicks: { one: 'click', many: 'clicks' } };

/** "12 opens flagged provider:sendgrid-machine-open: mailsight said machine or bot for 9, human for 2, and saw no open within 60 s of 1", one per flag and series. */
export function providerFlagSummary(flags: readonly ProviderFlagFigures[]): string[] {
  return flags.map((f) => {
    const words = FLAGGED_WORDS[f.series];
    return `${count(f.flagged)} ${f.flagged === 1 ? words.one : words.many} flagged ${f.reason}: mailsight said machine or bot for ${count(f.agreed)}, human for ${count(f.disagreed)}, and saw no ${words.one} within ${PROVIDER_FLAG_MATCH_MS / 1000} s of ${count(f.unmatched)}`;
  });
}
