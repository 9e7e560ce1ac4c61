/**
 * Storage of ingested outcomes: one batch (a webhook request, a bounce mail) in one transaction, its
 * events deduplicated by key, the suppressions they cause, the provider ids learned, and the reports
 * kept for review.
 */
import type { Kysely, Transaction } from 'kysely';
import type { NewEvent } from '../../core/events.js';
import type { ReportedOutcome } from '../../core/outcomes/reported-outcome.js';
import type { IngestBatch, IngestionStore, InboundState, StoredInboundReport } from '../../app/ingestion.js';
import type { Message } from '../../app/ports.js';
import type { Database } from './schema.js';
import { toMessage } from './catalog-store.js';
import { eventToRow } from './event-store.js';
import { countedWrite } from './report-counter-store.js';
import { applySuppressionRules, type RuleEvent } from './suppression-store.js';
import type { SuppressionSettings } from '../../core/suppression-rules.js';

/** Ids per IN list, and rows per INSERT (21 event columns: under both dialects' parameter limits). */
const CHUNK = 500;

/**
 * PostgreSQL's text holds no NUL character (SQLite's does): a report that carries one (a forged
 * Message-ID, a broken header) must still be stored, so NUL is replaced in every text written here.
 */
function withoutNul<T extends Record<string, unknown>>(row: T): T {
  const clean: Record<string, unknown> = { ...row };
  for (const [key, value] of Object.entries(clean)) if (typeof value === 'string' && value.includes('\u0000')) clean[key] = value.replaceAll('\u0000', '\uFFFD');
  return clean as T;
}

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

  async record(batch: IngestBatch, now: number, suppression: SuppressionSettings): Promise<NewEvent[]> {
    if (batch.events.length === 0 && batch.refs.length === 0 && batch.inbound.length === 0) return [];
    // A provider's reference to a message locks it as the events do: both reach it by its key.
    const messages = [...batch.events.map((e) => e.messageId), ...batch.refs.map((r) => r.messageId)];
    return this.db.transaction().execute((trx) => countedWrite(trx, messages, () => this.#record(trx, batch, now, suppression)));
  }

  async #record(trx: Transaction<Database>, batch: IngestBatch, now: number, suppression: SuppressionSettings): Promise<NewEvent[]> {
    const inserted: NewEvent[] = [];
    const stored: RuleEvent[] = [];
    for (const part of chunks(batch.events)) {
      const values = part.map((e) => withoutNul(eventToRow(e, now)));
      const rows = await trx
        .insertInto('events')
        .values(values)
        .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
        .returning(['id', 'dedupe_key'])
        .execute();
      const fresh = new Map(rows.map((r) => [r.dedupe_key, r.id]));
      for (const [i, event] of part.entries()) {
        const id = fresh.get(values[i]!.dedupe_key ?? null);
        if (id === undefined) continue;
        inserted.push(event);
        stored.push({ ...event, id });
      }
    }
    for (const part of chunks(batch.refs)) {
      await trx
        .insertInto('message_refs')
        .values(part.map((r) => withoutNul({ provider: r.provider, ref: r.ref, message_id: r.messageId })))
        .onConflict((oc) => oc.columns(['provider', 'ref']).doNothing())
        .execute();
    }
    for (const part of chunks(batch.inbound)) {
      await trx
        .insertInto('inbound_reports')
        .values(
          part.map((r) => withoutNul({
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
    await applySuppressionRules(trx, stored, suppression, now);
    return inserted;
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

  async getInboundRaw(id: number): Promise<{ raw: Buffer | null } | null> {
    const row = await this.db.selectFrom('inbound_reports').select('raw').where('id', '=', id).executeTakeFirst();
    return row ? { raw: row.raw === null ? null : Buffer.from(row.raw, 'base64') } : null;
  }
}
