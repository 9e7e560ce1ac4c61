import type { Kysely } from 'kysely';
import type { EventSource, EventType, NewEvent, StoredEvent, StoredJudgement, VerdictRevision } from '../../core/events.js';
import type { Verdict } from '../../core/nhi/verdict.js';
import type { EventStore, Suppression } from '../../app/ports.js';
import type { Database, EventRow, NewEventRow } from './schema.js';
import { parseJsonObject } from './catalog-store.js';

/** Rows per INSERT: 15 columns each, under both dialects' parameter limits. */
const EVENT_INSERT_CHUNK = 1000;

export function eventToRow(event: NewEvent, recordedAt: number): NewEventRow {
  const hit = event.hit ?? null;
  return {
    message_id: event.messageId,
    campaign_id: event.campaignId,
    type: event.type,
    subtype: event.subtype ?? null,
    at: event.at,
    source: event.source,
    link_ordinal: hit?.linkOrdinal ?? null,
    method: hit?.method ?? null,
    ip: hit?.ip ?? null,
    user_agent: hit?.userAgent ?? null,
    headers: hit ? JSON.stringify(hit.headers) : null,
    detail: event.detail ? JSON.stringify(event.detail) : null,
    dedupe_key: event.dedupeKey ?? null,
    recorded_at: recordedAt,
    verdict: event.judgement?.verdict ?? null,
    reasons: event.judgement ? JSON.stringify(event.judgement.reasons) : null,
    verdict_at: event.judgement?.at ?? null,
    anonymous: event.anonymous ? 1 : 0,
  };
}

function judgementFrom(verdict: string | null, reasons: string | null, at: number | null): StoredJudgement | null {
  return verdict === null ? null : { verdict: verdict as Verdict, reasons: reasons ? (JSON.parse(reasons) as string[]) : [], at: at ?? 0 };
}

function rowToEvent(row: EventRow): StoredEvent {
  const isHit = row.method !== null;
  return {
    id: row.id,
    messageId: row.message_id,
    campaignId: row.campaign_id,
    type: row.type as EventType,
    subtype: row.subtype,
    at: row.at,
    source: row.source as EventSource,
    hit: isHit
      ? {
          method: row.method!,
          ip: row.ip,
          userAgent: row.user_agent,
          headers: parseJsonObject(row.headers) as Record<string, string>,
          linkOrdinal: row.link_ordinal,
        }
      : null,
    detail: row.detail ? parseJsonObject(row.detail) : null,
    dedupeKey: row.dedupe_key,
    recordedAt: row.recorded_at,
    judgement: judgementFrom(row.verdict, row.reasons, row.verdict_at),
    anonymous: row.anonymous === 1,
  };
}

export class KyselyEventStore implements EventStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {}

  async append(events: readonly NewEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const recordedAt = this.now();
    return this.db.transaction().execute(async (trx) => {
      let inserted = 0;
      for (let i = 0; i < events.length; i += EVENT_INSERT_CHUNK) {
        const rows = events.slice(i, i + EVENT_INSERT_CHUNK).map((e) => eventToRow(e, recordedAt));
        const result = await trx
          .insertInto('events')
          .values(rows)
          .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
      return inserted;
    });
  }

  async appendHits(events: readonly NewEvent[], revisions: readonly VerdictRevision[]): Promise<number[]> {
    const recordedAt = this.now();
    if (revisions.length === 0 && events.length === 0) return [];
    if (revisions.length === 0 && events.length <= EVENT_INSERT_CHUNK) {
      // One INSERT is atomic by itself: no BEGIN and COMMIT round trips on the hot path.
      const inserted = await this.db.insertInto('events').values(events.map((e) => eventToRow(e, recordedAt))).returning('id').execute();
      return inserted.map((r) => r.id);
    }
    return this.db.transaction().execute(async (trx) => {
      const ids: number[] = [];
      for (let i = 0; i < events.length; i += EVENT_INSERT_CHUNK) {
        const rows = events.slice(i, i + EVENT_INSERT_CHUNK).map((e) => eventToRow(e, recordedAt));
        // Both dialects return the inserted rows in VALUES order.
        const inserted = await trx.insertInto('events').values(rows).returning('id').execute();
        ids.push(...inserted.map((r) => r.id));
      }
      for (const r of revisions) {
        await trx
          .updateTable('events')
          .set({ verdict: r.next.verdict, reasons: JSON.stringify(r.next.reasons), verdict_at: r.next.at })
          .where('id', '=', r.eventId)
          .execute();
        await trx
          .insertInto('verdict_revisions')
          .values({
            event_id: r.eventId,
            previous_verdict: r.previous?.verdict ?? null,
            previous_reasons: r.previous ? JSON.stringify(r.previous.reasons) : null,
            verdict: r.next.verdict,
            reasons: JSON.stringify(r.next.reasons),
            at: r.next.at,
          })
          .execute();
      }
      return ids;
    });
  }

  async listRevisions(eventId: number): Promise<VerdictRevision[]> {
    const rows = await this.db.selectFrom('verdict_revisions').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
    return rows.map((row) => ({
      eventId: row.event_id,
      previous: judgementFrom(row.previous_verdict, row.previous_reasons, null),
      next: judgementFrom(row.verdict, row.reasons, row.at)!,
    }));
  }

  async appendWithSuppression(event: NewEvent, suppression: Suppression | null): Promise<number> {
    const recordedAt = this.now();
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .insertInto('events')
        .values(eventToRow(event, recordedAt))
        .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
        .executeTakeFirst();
      if (suppression) {
        await trx
          .insertInto('suppressions')
          .values({
            email: suppression.email.toLowerCase(),
            reason: suppression.reason,
            source: suppression.source,
            created_at: suppression.createdAt,
            expires_at: suppression.expiresAt,
          })
          // A permanent suppression is never weakened; an expiring one is replaced by the newer fact.
          .onConflict((oc) =>
            oc
              .column('email')
              .doUpdateSet((eb) => ({
                reason: eb.ref('excluded.reason'),
                source: eb.ref('excluded.source'),
                created_at: eb.ref('excluded.created_at'),
                expires_at: eb.ref('excluded.expires_at'),
              }))
              .where('suppressions.expires_at', 'is not', null),
          )
          .execute();
      }
      return Number(result.numInsertedOrUpdatedRows ?? 0);
    });
  }

  async listForMessage(messageId: number): Promise<StoredEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();
    return rows.map(rowToEvent);
  }
}
