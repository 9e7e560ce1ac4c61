/**
 * The live feed's reads: a scope's human opens and clicks after an event id. A campaign's are read by
 * events_campaign_id (migration 0015) from the cursor on; a contact's through its messages
 * (messages_contact, then events_message per message), a contact having few. Reads stop at the
 * settled event id (settled-events.ts): past it a lower id may still commit.
 */
import type { Kysely } from 'kysely';
import { HIT_EVENTS, PROBE_METHOD } from '../../core/events.js';
import type { LiveFeedStore, LiveHit, LiveScope } from '../../app/ports.js';
import type { Database } from './schema.js';
import { eventsInContext } from './event-context.js';
import { newestEventId, SettledEvents } from './settled-events.js';

const LIVE_TYPES = { [HIT_EVENTS.open.type]: 'open', [HIT_EVENTS.click.type]: 'click' } as const;

export class KyselyLiveFeedStore implements LiveFeedStore {
  readonly #settled: SettledEvents;

  constructor(private readonly db: Kysely<Database>) {
    this.#settled = new SettledEvents(db);
  }

  async scopeExists(scope: LiveScope): Promise<boolean> {
    const row =
      'campaignId' in scope
        ? await this.db.selectFrom('campaigns').select('id').where('id', '=', scope.campaignId).executeTakeFirst()
        : await this.db.selectFrom('contacts').select('id').where('id', '=', scope.contactId).executeTakeFirst();
    return row !== undefined;
  }

  newestEventId(): Promise<number> {
    return newestEventId(this.db);
  }

  settledEventId(): Promise<number> {
    return this.#settled.settledEventId();
  }

  async humanHits(scope: LiveScope, afterId: number, upTo: number, limit: number): Promise<LiveHit[]> {
    let query = eventsInContext(this.db)
      .select(['e.id', 'e.type', 'e.at', 'e.message_id', 'e.campaign_id', 'm.execution_id', 'm.contact_id', 'c.email', 'e.link_ordinal', 'l.url', 'e.reasons'])
      .where('e.id', '>', afterId)
      .where('e.id', '<=', upTo)
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
    }));
  }
}
