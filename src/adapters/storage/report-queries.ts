/**
 * Campaign totals in SQL, written once for both dialects and compiled from the definitions in
 * core/message-status.ts, so that a message's status and its place in the counts agree. Each message
 * is first reduced to a row of evidence (has it a delivery report, a hard bounce, an open, ...), then
 * to its status by the one precedence, and to the reason of the event that decided it (for bounces
 * and blocks), then the rows are summed: a message counts once in each unique figure however many
 * events it has. One pass over the campaign's messages and their events, grouped by message, then
 * by status and reason (a few dozen groups), which the store adds up. Every engagement figure exists
 * for all hits and for each verdict. Definitions and reasons are in docs/glossary.md.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CampaignTotals, EngagementTotals, ExecutionCounters, LinkClickTotals, ReportStore } from '../../app/ports.js';
import { readCounters } from './report-counter-store.js';
import {
  ENGAGEMENT_HITS,
  EVIDENCE,
  EVIDENCE_NAMES,
  isPerVerdict,
  NO_REASON,
  OUTCOMES,
  OUTCOME_STATUSES,
  REASON_COUNT_NAMES,
  REASON_COUNTS,
  REASON_EVIDENCE,
  SCOPES,
  STATUS_PRECEDENCE,
  RELAY_SOURCE,
  type EventTest,
  type EvidenceName,
  type ReasonCount,
  type Scope,
  type StatusKey,
  type StatusWithReason,
} from '../../core/message-status.js';
import { PROBE_METHOD } from '../../core/events.js';
import { HONEYPOT_ORDINAL } from '../../core/instrument/index.js';
import { VERDICTS, type Verdict } from '../../core/nhi/verdict.js';
import type { Database } from './schema.js';

/** The SQL for EventTest over events aliased `e`: the same conditions as `passes` in core, null columns included. */
export function passesSql(test: EventTest): RawBuilder<unknown> {
  const conditions = [sql`e.type = ${sql.lit(test.type)}`];
  if (test.bounceType === 'hard') conditions.push(sql`e.subtype = 'hard'`);
  if (test.bounceType === 'soft') conditions.push(sql`coalesce(e.subtype, '') <> 'hard'`);
  if (test.fromRelay === false) conditions.push(sql`e.source <> ${sql.lit(RELAY_SOURCE)}`);
  if (test.engagement) {
    conditions.push(sql`coalesce(e.method, '') <> ${sql.lit(PROBE_METHOD)}`);
    if (test.type === 'clicked') conditions.push(sql`coalesce(e.link_ordinal, -1) <> ${sql.lit(HONEYPOT_ORDINAL)}`);
  }
  return sql`(${sql.join(conditions, sql` and `)})`;
}

/** Events of a scope: all, or one verdict's. */
export function only(scope: Scope): RawBuilder<unknown> {
  return scope === 'all' ? sql`1 = 1` : sql`e.verdict = ${sql.lit(scope)}`;
}

/** The per-message column holding an evidence flag (hit evidence has one per scope). */
function evidenceColumn(name: EvidenceName, scope: Scope = 'all'): RawBuilder<unknown> {
  return sql.ref(isPerVerdict(name) ? `ev_${name}_${scope}` : `ev_${name}`);
}

/** One 0/1 column per evidence, and per scope for hit evidence. */
function evidenceColumns(): RawBuilder<unknown>[] {
  return EVIDENCE_NAMES.flatMap((name) => {
    const any = sql.join(EVIDENCE[name].tests.map(passesSql), sql` or `);
    const scopes: readonly Scope[] = isPerVerdict(name) ? SCOPES : ['all'];
    return scopes.map((scope) => sql`max(case when (${any}) and ${only(scope)} then 1 else 0 end) as ${evidenceColumn(name, scope)}`);
  });
}

/** Per-message hit counts and first times for one scope: opens_x, clicks_x, first_open_x, first_click_x. */
function perMessageHits(scope: Scope): RawBuilder<unknown> {
  const s = sql.raw(scope);
  const open = sql`${passesSql(ENGAGEMENT_HITS.open)} and ${only(scope)}`;
  const click = sql`${passesSql(ENGAGEMENT_HITS.click)} and ${only(scope)}`;
  return sql`
    sum(case when ${open} then 1 else 0 end) as opens_${s},
    sum(case when ${click} then 1 else 0 end) as clicks_${s},
    min(case when ${open} then e.at end) as first_open_${s},
    min(case when ${click} then e.at end) as first_click_${s}`;
}

/** The status by STATUS_PRECEDENCE: the first whose evidence the message has. */
function statusCase(): RawBuilder<unknown> {
  const whens = STATUS_PRECEDENCE.map(({ key, evidence }) => (evidence === null ? sql`else ${sql.lit(key)}` : sql`when ${evidenceColumn(evidence)} = 1 then ${sql.lit(key)}`));
  return sql`case ${sql.join(whens, sql` `)} end`;
}

/**
 * The deciding event of a kind is the latest (by time, then by id, as `decidingReason` in core). To
 * find it in the same pass as the rest, each event of the kind gets a sort key: its time and id as
 * fixed-width decimal text, then its reason; the greatest key is the latest event's, and its reason
 * is what follows the two numbers. Digits compare the same under any collation, and (time, id) is
 * unique, so the reason never decides the comparison. The padding is written with substr and ||,
 * which SQLite and PostgreSQL both have (lpad and printf are each one's own).
 */
const KEY_DIGITS = 20; // a bigint has at most 19 digits
const ZEROS = '0'.repeat(KEY_DIGITS);
const padded = (column: string) => sql`substr(${sql.lit(ZEROS)} || cast(${sql.ref(column)} as text), length(cast(${sql.ref(column)} as text)) + 1)`;
const REASON_START = 2 * KEY_DIGITS + 1;
const REASON_EVIDENCE_NAMES = [...new Set(Object.values(REASON_EVIDENCE))];

/** The per-message column holding the sort key of the latest event that passes this evidence. */
function latestColumn(name: EvidenceName): RawBuilder<unknown> {
  return sql.ref(`latest_${name}`);
}

function latestKeyColumns(): RawBuilder<unknown>[] {
  return REASON_EVIDENCE_NAMES.map((name) => {
    const any = sql.join(EVIDENCE[name].tests.map(passesSql), sql` or `);
    return sql`max(case when ${any} then ${padded('e.at')} || ${padded('e.id')} || coalesce(e.reason, ${sql.lit(NO_REASON)}) end) as ${latestColumn(name)}`;
  });
}

/** The reason a message is counted under: its deciding event's, for the statuses REASON_EVIDENCE names. */
function reasonCase(): RawBuilder<unknown> {
  const whens = (Object.entries(REASON_EVIDENCE) as [StatusWithReason, EvidenceName][]).map(
    ([key, evidence]) => sql`when status = ${sql.lit(key)} then substr(${latestColumn(evidence)}, ${sql.lit(REASON_START)})`,
  );
  return sql`case ${sql.join(whens, sql` `)} end`;
}

/** Campaign engagement sums for one scope (EngagementFacts in core), over the per-message rows. */
function engagementSums(scope: Scope): RawBuilder<unknown> {
  const s = sql.raw(scope);
  const opened = evidenceColumn('open', scope);
  const clicked = evidenceColumn('click', scope);
  return sql`
    coalesce(sum(${opened}), 0) as unique_opens_${s},
    coalesce(sum(case when ${clicked} = 1 and (first_open_${s} is null or first_open_${s} > first_click_${s}) then 1 else 0 end), 0) as inferred_opens_${s},
    coalesce(sum(opens_${s}), 0) as total_opens_${s},
    coalesce(sum(${clicked}), 0) as unique_clicks_${s},
    coalesce(sum(clicks_${s}), 0) as total_clicks_${s},
    coalesce(sum(case when ${opened} = 1 and ${evidenceColumn('unsubscribe')} = 1 then 1 else 0 end), 0) as unsubscribed_opens_${s}`;
}

/** Outcome sums: each counts the messages whose status it takes in. */
function outcomeSums(): RawBuilder<unknown>[] {
  return OUTCOMES.map((outcome) => sql`coalesce(sum(case when status in (${sql.join(OUTCOME_STATUSES[outcome].map((k) => sql.lit(k)))}) then 1 else 0 end), 0) as ${sql.ref(outcome)}`);
}

export class KyselyReportStore implements ReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  counters(of: { campaignId: number } | { executionId: number }, prefix?: string): Promise<ExecutionCounters> {
    return readCounters(this.db, of, prefix);
  }

  async campaignTotals(campaignId: number): Promise<CampaignTotals> {
    const perMessage = sql`
      select m.id, ${sql.join([...evidenceColumns(), ...latestKeyColumns(), ...SCOPES.map(perMessageHits)])}
      from messages m
      left join events e on e.message_id = m.id
      where m.campaign_id = ${campaignId}
      group by m.id`;
    const withStatus = sql`select per_message.*, ${statusCase()} as status from (${perMessage}) per_message`;
    const withReason = sql`select with_status.*, ${reasonCase()} as reason from (${withStatus}) with_status`;
    const result = await sql<Record<string, number | string | null>>`
      select
        status,
        reason,
        count(*) as messages,
        ${sql.join(outcomeSums())},
        coalesce(sum(${evidenceColumn('complaint')}), 0) as complained,
        coalesce(sum(${evidenceColumn('unsubscribe')}), 0) as unsubscribed,
        ${sql.join(SCOPES.map(engagementSums))}
      from (${withReason}) with_reason
      group by status, reason`.execute(this.db);
    // One row per (status, reason) group: every figure is the sum of its groups.
    const n = (key: string) => result.rows.reduce((total, row) => total + Number(row[key] ?? 0), 0);
    const byReason = (name: ReasonCount): Record<string, number> => {
      const statuses: readonly StatusKey[] = REASON_COUNTS[name];
      const counts: Record<string, number> = {};
      for (const row of result.rows) {
        const reason = row['reason'];
        if (typeof reason === 'string' && statuses.includes(row['status'] as StatusKey)) counts[reason] = (counts[reason] ?? 0) + Number(row['messages']);
      }
      return counts;
    };
    const engagement = (scope: Scope): EngagementTotals => ({
      uniqueOpens: n(`unique_opens_${scope}`),
      inferredOpens: n(`inferred_opens_${scope}`),
      totalOpens: n(`total_opens_${scope}`),
      uniqueClicks: n(`unique_clicks_${scope}`),
      totalClicks: n(`total_clicks_${scope}`),
      unsubscribedOpens: n(`unsubscribed_opens_${scope}`),
    });
    const reasonCounts = Object.fromEntries(REASON_COUNT_NAMES.map((name) => [name, byReason(name)])) as Record<ReasonCount, Record<string, number>>;
    return {
      messages: n('messages'),
      attempted: n('attempted'),
      sent: n('sent'),
      sending: n('sending'),
      delivered: n('delivered'),
      deferred: n('deferred'),
      hardBounced: n('hardBounced'),
      softBounced: n('softBounced'),
      blocked: n('blocked'),
      ...reasonCounts,
      complained: n('complained'),
      unsubscribed: n('unsubscribed'),
      ...engagement('all'),
      byVerdict: Object.fromEntries(VERDICTS.map((v) => [v, engagement(v)])) as Record<Verdict, EngagementTotals>,
    };
  }

  async linkClickTotals(campaignId: number): Promise<LinkClickTotals[]> {
    const columns = SCOPES.map((scope) => {
      const s = sql.raw(scope);
      return sql`
        sum(case when ${only(scope)} then 1 else 0 end) as total_${s},
        count(distinct case when ${only(scope)} then e.message_id end) as unique_${s}`;
    });
    const result = await sql<Record<string, number | string>>`
      select m.execution_id, e.link_ordinal, ${sql.join(columns)}
      from messages m
      join events e on e.message_id = m.id
      where m.campaign_id = ${campaignId} and ${passesSql(ENGAGEMENT_HITS.click)}
      group by m.execution_id, e.link_ordinal
      order by m.execution_id, e.link_ordinal`.execute(this.db);
    return result.rows.map((r) => ({
      executionId: Number(r['execution_id']),
      ordinal: Number(r['link_ordinal']),
      totalClicks: Number(r['total_all']),
      uniqueClicks: Number(r['unique_all']),
      byVerdict: Object.fromEntries(VERDICTS.map((v) => [v, { uniqueClicks: Number(r[`unique_${v}`]), totalClicks: Number(r[`total_${v}`]) }])) as LinkClickTotals['byVerdict'],
    }));
  }
}
