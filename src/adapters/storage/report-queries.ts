/**
 * Campaign totals in SQL, written once for both dialects. Each message is first reduced to a row of
 * facts (was it sent, delivered, opened, ...), then the facts are summed: a message counts once in
 * each unique figure however many events it has. Every engagement figure exists for all hits and
 * for each verdict. Definitions are in docs/glossary.md.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { CampaignTotals, EngagementTotals, LinkClickTotals, ReportStore } from '../../app/ports.js';
import { VERDICTS, type Verdict } from '../../core/nhi/verdict.js';
import type { Database } from './schema.js';

/** Events that prove the message left the sender. Engagement proves it too. */
const SENT_TYPES = sql`('sent', 'delivered', 'deferred', 'bounced', 'complained', 'unsubscribed')`;
/** An open or click counts only for a GET: HEAD requests probe and never engage. */
const OPEN = sql`e.type = 'opened' and e.method = 'GET'`;
/** Ordinal 0 is the honeypot, which no person can click. */
const CLICK = sql`e.type = 'clicked' and e.method = 'GET' and e.link_ordinal > 0`;

type Scope = 'all' | Verdict;
const SCOPES: readonly Scope[] = ['all', ...VERDICTS];

function only(scope: Scope): RawBuilder<unknown> {
  return scope === 'all' ? sql`1 = 1` : sql`e.verdict = ${sql.lit(scope)}`;
}

/** Per-message engagement columns for one scope: opens_x, clicks_x, first_open_x, first_click_x. */
function perMessageEngagement(scope: Scope): RawBuilder<unknown> {
  const s = sql.raw(scope);
  return sql`
    sum(case when ${OPEN} and ${only(scope)} then 1 else 0 end) as opens_${s},
    sum(case when ${CLICK} and ${only(scope)} then 1 else 0 end) as clicks_${s},
    min(case when ${OPEN} and ${only(scope)} then e.at end) as first_open_${s},
    min(case when ${CLICK} and ${only(scope)} then e.at end) as first_click_${s}`;
}

/** Campaign engagement sums for one scope, over the per-message rows. */
function engagementSums(scope: Scope): RawBuilder<unknown> {
  const s = sql.raw(scope);
  return sql`
    coalesce(sum(case when opens_${s} > 0 or clicks_${s} > 0 then 1 else 0 end), 0) as unique_opens_${s},
    coalesce(sum(case when clicks_${s} > 0 and (opens_${s} = 0 or first_open_${s} > first_click_${s}) then 1 else 0 end), 0) as inferred_opens_${s},
    coalesce(sum(opens_${s}), 0) as total_opens_${s},
    coalesce(sum(case when clicks_${s} > 0 then 1 else 0 end), 0) as unique_clicks_${s},
    coalesce(sum(clicks_${s}), 0) as total_clicks_${s}`;
}

export class KyselyReportStore implements ReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  async campaignTotals(campaignId: number): Promise<CampaignTotals> {
    const perMessage = sql`
      select m.id,
        max(case when e.type in ${SENT_TYPES} or ${OPEN} or ${CLICK} then 1 else 0 end) as sent,
        max(case when e.type = 'delivered' then 1 else 0 end) as delivered,
        max(case when e.type = 'deferred' then 1 else 0 end) as deferred,
        max(case when e.type = 'bounced' and e.subtype = 'hard' then 1 else 0 end) as hard_bounced,
        max(case when e.type = 'bounced' and (e.subtype is null or e.subtype <> 'hard') then 1 else 0 end) as soft_bounced,
        max(case when e.type = 'blocked' then 1 else 0 end) as blocked,
        max(case when e.type = 'complained' then 1 else 0 end) as complained,
        max(case when e.type = 'unsubscribed' then 1 else 0 end) as unsubscribed,
        ${sql.join(SCOPES.map(perMessageEngagement))}
      from messages m
      left join events e on e.message_id = m.id
      where m.campaign_id = ${campaignId}
      group by m.id`;
    const result = await sql<Record<string, number | string | null>>`
      select
        count(*) as messages,
        coalesce(sum(sent), 0) as sent,
        coalesce(sum(delivered), 0) as delivered,
        coalesce(sum(case when deferred = 1 and delivered = 0 and hard_bounced = 0 and soft_bounced = 0 then 1 else 0 end), 0) as deferred,
        coalesce(sum(hard_bounced), 0) as hard_bounced,
        coalesce(sum(case when soft_bounced = 1 and hard_bounced = 0 and delivered = 0 then 1 else 0 end), 0) as soft_bounced,
        coalesce(sum(case when blocked = 1 and sent = 0 then 1 else 0 end), 0) as blocked,
        coalesce(sum(complained), 0) as complained,
        coalesce(sum(unsubscribed), 0) as unsubscribed,
        ${sql.join(SCOPES.map(engagementSums))}
      from (${perMessage}) per_message`.execute(this.db);
    const row = result.rows[0] ?? {};
    const n = (key: string) => Number(row[key] ?? 0);
    const engagement = (scope: Scope): EngagementTotals => ({
      uniqueOpens: n(`unique_opens_${scope}`),
      inferredOpens: n(`inferred_opens_${scope}`),
      totalOpens: n(`total_opens_${scope}`),
      uniqueClicks: n(`unique_clicks_${scope}`),
      totalClicks: n(`total_clicks_${scope}`),
    });
    return {
      messages: n('messages'),
      sent: n('sent'),
      delivered: n('delivered'),
      deferred: n('deferred'),
      hardBounced: n('hard_bounced'),
      softBounced: n('soft_bounced'),
      blocked: n('blocked'),
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
      where m.campaign_id = ${campaignId} and ${CLICK}
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
