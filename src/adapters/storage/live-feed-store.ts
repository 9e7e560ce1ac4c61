/**
 * The live feed's reads: a scope's human opens and clicks after an event id. A campaign's are read by
 * events_campaign_id (migration 0015) from the cursor on; a contact's through its messages
 * (messages_contact, then events_message per message), a contact having few.
 */
import type { Kysely } from 'kysely';
import { HIT_EVENTS, PROBE_METHOD } from '../../core/events.js';
import type { LiveFeedStore, LiveHitRow, LiveScope } from '../../app/ports.js';
import type { Database } from './schema.js';

const LIVE_TYPES = { [HIT_EVENTS.open.type]: 'open', [HIT_EVENTS.click.type]: 'click' } as const;

export class KyselyLiveFeedStore implements LiveFeedStore {
  constructor(private readonly db: Kysely<Database>) {}

  async scopeExists(scope: LiveScope): Promise<boolean> {
    const row =
      'campaignId' in scope
        ? await this.db.selectFrom('campaigns').select('id').where('id', '=', scope.campaignId).executeTakeFirst()
        : await this.db.selectFrom('contacts').select('id').where('id', '=', scope.contactId).executeTakeFirst();
    return row !== undefined;
  }

  async newestEventId(): Promise<number> {
    const row = await this.db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
    return Number(row?.id ?? 0);
  }

  async humanHits(scope: LiveScope, afterId: number, limit: number): Promise<LiveHitRow[]> {
    let query = this.db
      .selectFrom('events as e')
      .innerJoin('messages as m', 'm.id', 'e.message_id')
      .leftJoin('contacts as c', 'c.id', 'm.contact_id')
      .leftJoin('link_occurrences as l', (join) => join.onRef('l.execution_id', '=', 'm.execution_id').onRef('l.ordinal', '=', 'e.link_ordinal'))
      .select(['e.id', 'e.type', 'e.at', 'e.message_id', 'e.campaign_id', 'm.execution_id', 'm.contact_id', 'c.email', 'e.link_ordinal', 'l.url', 'e.reasons', 'e.recorded_at'])
      .where('e.id', '>', afterId)
      .where('e.type', 'in', Object.keys(LIVE_TYPES))
      .where('e.verdict', '=', 'human')
      .where('e.method', '<>', PROBE_METHOD);
    query = 'campaignId' in scope ? query.where('e.campaign_id', '=', scope.campaignId) : query.where('m.contact_id', '=', scope.contactId);
    const rows = await query.orderBy('e.id').limit(limit).execute();
    return rows.map((r) => ({
      eventId: r.id,
      type: LIVE_TYPES[r.type as keyof typeof LIVE_TYPES],
      at: r.at,
      messageId: r.message_id,
      campaignId: r.campaign_id,
      executionId: r.execution_id,
      contactId: r.contact_id,
      email: r.email,
      link: r.link_ordinal === null ? null : { ordinal: r.link_ordinal, url: r.url ?? '' },
      verdict: 'human',
      reasons: r.reasons ? (JSON.parse(r.reasons) as string[]) : [],
      recordedAt: r.recorded_at,
    }));
  }
}
