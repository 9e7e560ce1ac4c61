/**
 * Campaign totals in SQL, written once for both dialects. Each message is first reduced to a row of
 * facts (was it sent, delivered, opened, ...), then the facts are summed: a message counts once in
 * each unique figure however many events it has. Definitions are in docs/glossary.md.
 */
import { sql, type Kysely } from 'kysely';
import type { CampaignTotals, LinkClickTotals, ReportStore } from '../../app/ports.js';
import type { Database } from './schema.js';

/** Events that prove the message left the sender. Engagement proves it too (see ENGAGED). */
const SENT_TYPES = sql`('sent', 'delivered', 'deferred', 'bounced', 'complained', 'unsubscribed')`;

export class KyselyReportStore implements ReportStore {
  constructor(private readonly db: Kysely<Database>) {}

  async campaignTotals(campaignId: number): Promise<CampaignTotals> {
    // An open or click counts only for a GET: HEAD requests probe links and never engage. Ordinal 0
    // is the honeypot, which no person can click.
    const perMessage = sql`
      select m.id,
        max(case when e.type in ${SENT_TYPES} or (e.type in ('opened', 'clicked') and e.method = 'GET') then 1 else 0 end) as sent,
        max(case when e.type = 'delivered' then 1 else 0 end) as delivered,
        max(case when e.type = 'deferred' then 1 else 0 end) as deferred,
        max(case when e.type = 'bounced' and e.subtype = 'hard' then 1 else 0 end) as hard_bounced,
        max(case when e.type = 'bounced' and (e.subtype is null or e.subtype <> 'hard') then 1 else 0 end) as soft_bounced,
        max(case when e.type = 'blocked' then 1 else 0 end) as blocked,
        max(case when e.type = 'complained' then 1 else 0 end) as complained,
        max(case when e.type = 'unsubscribed' then 1 else 0 end) as unsubscribed,
        sum(case when e.type = 'opened' and e.method = 'GET' then 1 else 0 end) as opens,
        sum(case when e.type = 'clicked' and e.method = 'GET' and e.link_ordinal > 0 then 1 else 0 end) as clicks,
        min(case when e.type = 'opened' and e.method = 'GET' then e.at end) as first_open,
        min(case when e.type = 'clicked' and e.method = 'GET' and e.link_ordinal > 0 then e.at end) as first_click
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
        coalesce(sum(case when opens > 0 or clicks > 0 then 1 else 0 end), 0) as unique_opens,
        coalesce(sum(case when clicks > 0 and (opens = 0 or first_open > first_click) then 1 else 0 end), 0) as inferred_opens,
        coalesce(sum(opens), 0) as total_opens,
        coalesce(sum(case when clicks > 0 then 1 else 0 end), 0) as unique_clicks,
        coalesce(sum(clicks), 0) as total_clicks
      from (${perMessage}) per_message`.execute(this.db);
    const row = result.rows[0] ?? {};
    const n = (key: string) => Number(row[key] ?? 0);
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
      uniqueOpens: n('unique_opens'),
      inferredOpens: n('inferred_opens'),
      totalOpens: n('total_opens'),
      uniqueClicks: n('unique_clicks'),
      totalClicks: n('total_clicks'),
    };
  }

  async linkClickTotals(campaignId: number): Promise<LinkClickTotals[]> {
    const rows = await this.db
      .selectFrom('events as e')
      .innerJoin('messages as m', 'm.id', 'e.message_id')
      .select((eb) => [
        'm.execution_id as executionId',
        'e.link_ordinal as ordinal',
        eb.fn.countAll<number>().as('totalClicks'),
        eb.fn.count<number>('e.message_id').distinct().as('uniqueClicks'),
      ])
      .where('e.campaign_id', '=', campaignId)
      .where('e.type', '=', 'clicked')
      .where('e.method', '=', 'GET')
      .where('e.link_ordinal', '>', 0)
      .groupBy(['m.execution_id', 'e.link_ordinal'])
      .orderBy('m.execution_id')
      .orderBy('e.link_ordinal')
      .execute();
    return rows.map((r) => ({
      executionId: Number(r.executionId),
      ordinal: Number(r.ordinal),
      totalClicks: Number(r.totalClicks),
      uniqueClicks: Number(r.uniqueClicks),
    }));
  }
}
