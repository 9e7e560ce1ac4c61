/**
 * Storage of ingested outcomes: one batch (a webhook request, a bounce mail) in one transaction, its
 * events deduplicated by key, the suppressions they cause, the provider ids learned, and the reports
 * kept for review.
 */
import type { Kysely } from 'kysely';
import type { NewEvent } from '../../core/events.js';
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import type { IngestBatch, IngestionStore, InboundState, StoredInboundReport } from '../../app/ingestion.js';
import type { Message } from '../../app/ports.js';
import type { Database } from './schema.js';
import { toMessage } from './catalog-store.js';
import { eventToRow } from './event-store.js';

/** Ids per IN list, and rows per INSERT (21 event columns: under both dialects' parameter limits). */
const CHUNK = 500;

/** How long a hard-bounced address stays suppressed; complaints and unsubscribes are permanent. */
const HARD_BOUNCE_SUPPRESSION_MS = 90 * 24 * 60 * 60 * 1000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export class KyselyIngestionStore implements IngestionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getMessages(ids: readonly number[]): Promise<Map<number, Message>> {
    const found = new Map<number, Message>();
    for (const part of chunks(ids)) {
      const rows = await this.db.selectFrom('messages').selectAll().where('id', 'in', part).execute();
      for (const row of rows) found.set(row.id, toMessage(row));
    }
    return found;
  }

  async findRefs(provider: string, refs: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (const part of chunks(refs)) {
      const rows = await this.db.selectFrom('message_refs').select(['ref', 'message_id']).where('provider', '=', provider).where('ref', 'in', part).execute();
      for (const row of rows) found.set(row.ref, row.message_id);
    }
    return found;
  }

  async record(batch: IngestBatch, now: number): Promise<NewEvent[]> {
    if (batch.events.length === 0 && batch.refs.length === 0 && batch.inbound.length === 0) return [];
    return this.db.transaction().execute(async (trx) => {
      const inserted: NewEvent[] = [];
      for (const part of chunks(batch.events)) {
        const rows = await trx
          .insertInto('events')
          .values(part.map((e) => eventToRow(e, now)))
          .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
          .returning('dedupe_key')
          .execute();
        const fresh = new Set(rows.map((r) => r.dedupe_key));
        for (const event of part) if (fresh.has(event.dedupeKey ?? null)) inserted.push(event);
      }
      for (const part of chunks(batch.refs)) {
        await trx
          .insertInto('message_refs')
          .values(part.map((r) => ({ provider: r.provider, ref: r.ref, message_id: r.messageId })))
          .onConflict((oc) => oc.columns(['provider', 'ref']).doNothing())
          .execute();
      }
      for (const part of chunks(batch.inbound)) {
        await trx
          .insertInto('inbound_reports')
          .values(
            part.map((r) => ({
              digest: r.digest,
              received_at: r.receivedAt,
              origin: r.origin,
              state: r.state,
              reason: r.reason,
              outcomes: r.outcomes ? JSON.stringify(r.outcomes) : null,
              raw: r.raw ? r.raw.toString('base64') : null,
            })),
          )
          .onConflict((oc) => oc.column('digest').doNothing())
          .execute();
      }
      await applySuppressions(trx, inserted);
      return inserted;
    });
  }

  async listInbound(filter: { state?: InboundState; afterId?: number; limit: number }): Promise<StoredInboundReport[]> {
    let query = this.db
      .selectFrom('inbound_reports')
      .select(['id', 'digest', 'received_at', 'origin', 'state', 'reason', 'outcomes', (eb) => eb.fn('length', ['raw']).as('raw_length')])
      .orderBy('id')
      .limit(filter.limit);
    if (filter.state) query = query.where('state', '=', filter.state);
    if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
    const rows = await query.execute();
    return rows.map((row) => ({
      id: row.id,
      digest: row.digest,
      receivedAt: row.received_at,
      origin: row.origin,
      state: row.state as InboundState,
      reason: row.reason,
      outcomes: row.outcomes ? (JSON.parse(row.outcomes) as ReportedOutcome[]) : null,
      // base64 holds 3 bytes in 4 characters (padding aside).
      rawBytes: row.raw_length === null ? null : Math.floor((Number(row.raw_length) * 3) / 4),
    }));
  }

  async getInboundRaw(id: number): Promise<Buffer | null> {
    const row = await this.db.selectFrom('inbound_reports').select('raw').where('id', '=', id).executeTakeFirst();
    return row?.raw ? Buffer.from(row.raw, 'base64') : null;
  }
}

/** A hard bounce suppresses its address for 90 days, a complaint or an unsubscribe for good. */
async function applySuppressions(trx: Kysely<Database>, events: readonly NewEvent[]): Promise<void> {
  for (const event of events) {
    if (!event.recipient) continue;
    const permanent = event.type === 'complained' || event.type === 'unsubscribed';
    const hard = event.type === 'bounced' && event.subtype === 'hard';
    if (!permanent && !hard) continue;
    await trx
      .insertInto('suppressions')
      .values({
        email: event.recipient,
        reason: permanent ? (event.type === 'complained' ? 'complained' : 'unsubscribed') : 'hard-bounce',
        source: event.source,
        created_at: event.at,
        expires_at: permanent ? null : event.at + HARD_BOUNCE_SUPPRESSION_MS,
      })
      .onConflict((oc) =>
        oc
          .column('email')
          .doUpdateSet((eb) => ({ reason: eb.ref('excluded.reason'), source: eb.ref('excluded.source'), created_at: eb.ref('excluded.created_at'), expires_at: eb.ref('excluded.expires_at') }))
          .where('suppressions.expires_at', 'is not', null),
      )
      .execute();
  }
}
