import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import { HIT_KIND_OF_EVENT_TYPE, type EventSource, type EventType, type NewEvent, type StoredEvent, type StoredJudgement, type VerdictRevision } from '../../core/events.js';
import type { Verdict } from '../../core/nhi/verdict.js';
import { trackableLinkCount, type LinkPart } from '../../core/instrument/index.js';
import type { EventStore, RecordedHit, SuppressionChange } from '../../app/ports.js';
import type { SuppressionSettings } from '../../core/suppression-rules.js';
import type { Database, EventRow, NewEventRow, NewVerdictRevisionRow } from './schema.js';
import { parseJsonObject } from './catalog-store.js';
import { applySuppressionRules } from './suppression-store.js';
import { countedHits, countedWrite } from './report-counter-store.js';
import { chunkSize, RowStatements } from './row-statements.js';
import type { TallyEvent } from '../../core/report-counters.js';
import { newestEventId } from './settled-events.js';

/** Rows per INSERT: 18 columns each, under both dialects' parameter limits. */
const EVENT_INSERT_CHUNK = 1000;

/** Rows read per page when walking back through recent events. */
const RECENT_HITS_PAGE = 2_000;
/** Ids per IN list. */
const ID_CHUNK = 500;
/** What a recorded hit needs to know of its message. */
type RecordedMessage = Pick<RecordedHit, 'sentAt' | 'deliveredAt' | 'linkCount' | 'contactEmail'>;

/** The columns of an event row, in the order eventToRow writes them. */
const EVENT_COLUMNS = Object.keys(eventToRow({ messageId: 0, campaignId: 0, type: 'opened', at: 0, source: 'pixel' }, 0)) as (keyof NewEventRow & string)[];

interface VerdictUpdate {
  verdict: string;
  reasons: string;
  verdict_at: number;
  id: number;
}

export function eventToRow(event: NewEvent, recordedAt: number): NewEventRow {
  const hit = event.hit ?? null;
  return {
    message_id: event.messageId,
    campaign_id: event.campaignId,
    type: event.type,
    subtype: event.subtype ?? null,
    recipient: event.recipient ?? null,
    reason: event.reason ?? null,
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
    writer: event.writer ?? null,
  };
}

/** A hit about to be written, as the report counters read it. */
function tallyEventOfHit(e: NewEvent): TallyEvent {
  return {
    type: e.type,
    at: e.at,
    source: e.source,
    method: e.hit?.method ?? null,
    linkOrdinal: e.hit?.linkOrdinal ?? null,
    verdict: e.judgement?.verdict ?? null,
    reasons: e.judgement?.reasons ?? null,
    reason: e.reason ?? null,
  };
}

function revisionToRow(r: VerdictRevision): NewVerdictRevisionRow {
  return {
    event_id: r.eventId,
    previous_verdict: r.previous?.verdict ?? null,
    previous_reasons: r.previous ? JSON.stringify(r.previous.reasons) : null,
    verdict: r.next.verdict,
    reasons: JSON.stringify(r.next.reasons),
    at: r.next.at,
  };
}

const REVISION_COLUMNS = Object.keys(revisionToRow({ eventId: 0, previous: null, next: { verdict: 'bot', reasons: [], at: 0 } })) as (keyof NewVerdictRevisionRow & string)[];

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
    recipient: row.recipient,
    reason: row.reason,
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
  readonly #insertEvents: RowStatements<NewEventRow, { id: number }>;
  readonly #updateVerdict: RowStatements<VerdictUpdate, never>;
  readonly #insertRevisions: RowStatements<NewVerdictRevisionRow, never>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
  ) {
    this.#insertEvents = new RowStatements('event INSERT', EVENT_COLUMNS, (rows) => db.insertInto('events').values(rows).returning('id').compile());
    this.#updateVerdict = new RowStatements('verdict UPDATE', ['verdict', 'reasons', 'verdict_at', 'id'], ([row]) =>
      db.updateTable('events').set({ verdict: row!.verdict, reasons: row!.reasons, verdict_at: row!.verdict_at }).where('id', '=', row!.id).compile() as CompiledQuery<never>,
    );
    this.#insertRevisions = new RowStatements('revision INSERT', REVISION_COLUMNS, (rows) => db.insertInto('verdict_revisions').values(rows).compile() as CompiledQuery<never>);
  }

  async append(events: readonly NewEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const recordedAt = this.now();
    return this.db.transaction().execute(async (trx) => countedWrite(trx, events.map((e) => e.messageId), async () => {
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
    }));
  }

  async appendHits(events: readonly NewEvent[], revisions: readonly VerdictRevision[], recordedAt: number): Promise<number[]> {
    if (revisions.length === 0 && events.length === 0) return [];
    const rows = events.map((e) => eventToRow(e, recordedAt));
    const hits = events.map((e) => ({ messageId: e.messageId, event: tallyEventOfHit(e) }));
    const counted = revisions.map((r) => ({ eventId: r.eventId, verdict: r.next.verdict, reasons: r.next.reasons }));
    return this.db.transaction().execute((trx) => countedHits(trx, hits, counted, () => this.#writeHits(trx, rows, revisions)));
  }

  async #writeHits(trx: Transaction<Database>, rows: readonly NewEventRow[], revisions: readonly VerdictRevision[]): Promise<number[]> {
    const ids = await this.#insertHits(trx, rows);
    const updates = revisions.map((r) => ({ verdict: r.next.verdict, reasons: JSON.stringify(r.next.reasons), verdict_at: r.next.at, id: r.eventId }));
    for (let i = 0; i < updates.length; i++) await trx.executeQuery(this.#updateVerdict.bind(updates, i, 1));
    await this.#insertRevisions.run(trx, revisions.map(revisionToRow));
    return ids;
  }

  async #insertHits(db: Kysely<Database> | Transaction<Database>, rows: readonly NewEventRow[]): Promise<number[]> {
    const ids: number[] = [];
    for (let offset = 0; offset < rows.length; ) {
      const size = chunkSize(rows.length - offset);
      // Both dialects return the inserted rows in VALUES order.
      const result = await db.executeQuery(this.#insertEvents.bind(rows, offset, size));
      for (const r of result.rows) ids.push(r.id);
      offset += size;
    }
    return ids;
  }

  async recentHits(since: number, limit: number): Promise<RecordedHit[]> {
    return this.#recordedHits(await this.#recentHitRows(since, limit));
  }

  async otherWritersHits(afterId: number, writer: string, limit: number): Promise<{ hits: RecordedHit[]; upTo: number }> {
    const upTo = Math.max(afterId, await newestEventId(this.db));
    const rows = await this.db
      .selectFrom('events')
      .selectAll()
      .where('id', '>', afterId)
      .where('id', '<=', upTo)
      .where('writer', 'is not', null)
      .where('writer', '<>', writer)
      .orderBy('id')
      .limit(limit)
      .execute();
    // Past a full page, the rest is left out rather than read late: `upTo` moves on past it.
    return { hits: await this.#recordedHits(rows.filter((r) => r.verdict !== null)), upTo };
  }

  async #recordedHits(rows: readonly EventRow[]): Promise<RecordedHit[]> {
    const messages = await this.#messageFacts([...new Set(rows.map((r) => r.message_id))]);
    return rows.map((row) => {
      const message = messages.get(row.message_id);
      return {
        eventId: row.id,
        kind: HIT_KIND_OF_EVENT_TYPE.get(row.type)!,
        at: row.at,
        method: row.method ?? 'GET',
        ip: row.ip,
        userAgent: row.user_agent,
        headers: parseJsonObject(row.headers) as Record<string, string>,
        linkOrdinal: row.link_ordinal,
        messageId: row.message_id,
        campaignId: row.campaign_id,
        sentAt: message?.sentAt ?? null,
        deliveredAt: message?.deliveredAt ?? null,
        linkCount: message?.linkCount ?? 0,
        contactEmail: message?.contactEmail ?? null,
        judgement: judgementFrom(row.verdict, row.reasons, row.verdict_at)!,
        writer: row.writer,
      };
    });
  }

  /** Judged hits recorded since `since`, oldest first: walked back from the newest id (the primary key) in pages, no table scan. */
  async #recentHitRows(since: number, limit: number): Promise<EventRow[]> {
    const rows: EventRow[] = [];
    let before = Number.MAX_SAFE_INTEGER;
    while (rows.length < limit) {
      const page = await this.db.selectFrom('events').selectAll().where('id', '<', before).orderBy('id', 'desc').limit(RECENT_HITS_PAGE).execute();
      for (const row of page) if (row.recorded_at >= since && HIT_KIND_OF_EVENT_TYPE.has(row.type) && row.verdict !== null && rows.length < limit) rows.push(row);
      if (page.length < RECENT_HITS_PAGE || page[page.length - 1]!.recorded_at < since) break;
      before = page[page.length - 1]!.id;
    }
    return rows.reverse();
  }

  /** First sent and delivered times, trackable link count and contact address of each message, as the tracking route has them. */
  async #messageFacts(messageIds: readonly number[]): Promise<Map<number, RecordedMessage>> {
    const facts = new Map<number, RecordedMessage>();
    const executions = new Map<number, number>();
    for (let i = 0; i < messageIds.length; i += ID_CHUNK) {
      const ids = messageIds.slice(i, i + ID_CHUNK);
      const messages = await this.db
        .selectFrom('messages as m')
        .leftJoin('contacts as c', 'c.id', 'm.contact_id')
        .select(['m.id', 'm.execution_id', 'c.email'])
        .where('m.id', 'in', ids)
        .execute();
      for (const m of messages) {
        executions.set(m.id, m.execution_id);
        facts.set(m.id, { sentAt: null, deliveredAt: null, linkCount: 0, contactEmail: m.email ?? null });
      }
      const times = await this.db
        .selectFrom('events')
        .select(['message_id', 'type', (eb) => eb.fn.min('at').as('at')])
        .where('message_id', 'in', ids)
        .where('type', 'in', ['sent', 'delivered'])
        .groupBy(['message_id', 'type'])
        .execute();
      for (const t of times) {
        const entry = facts.get(t.message_id);
        if (entry && t.type === 'sent') entry.sentAt = Number(t.at);
        else if (entry) entry.deliveredAt = Number(t.at);
      }
    }
    const counts = new Map<number, number>();
    for (const executionId of new Set(executions.values())) {
      const links = await this.db.selectFrom('link_occurrences').select('part').where('execution_id', '=', executionId).execute();
      counts.set(executionId, trackableLinkCount(links.map((l) => ({ part: l.part as LinkPart }))));
    }
    for (const [messageId, executionId] of executions) facts.get(messageId)!.linkCount = counts.get(executionId)!;
    return facts;
  }

  async listRevisions(eventId: number): Promise<VerdictRevision[] | null> {
    const event = await this.db.selectFrom('events').select('type').where('id', '=', eventId).executeTakeFirst();
    if (!event || !HIT_KIND_OF_EVENT_TYPE.has(event.type)) return null;
    const rows = await this.db.selectFrom('verdict_revisions').selectAll().where('event_id', '=', eventId).orderBy('id').execute();
    return rows.map((row) => ({
      eventId: row.event_id,
      previous: judgementFrom(row.previous_verdict, row.previous_reasons, null),
      next: judgementFrom(row.verdict, row.reasons, row.at)!,
    }));
  }

  async appendWithSuppressionRules(event: NewEvent, settings: SuppressionSettings): Promise<{ inserted: boolean; changes: SuppressionChange[] }> {
    const recordedAt = this.now();
    return this.db.transaction().execute(async (trx) => countedWrite(trx, [event.messageId], async () => {
      const row = await trx
        .insertInto('events')
        .values(eventToRow(event, recordedAt))
        .onConflict((oc) => oc.column('dedupe_key').where('dedupe_key', 'is not', null).doNothing())
        .returning('id')
        .executeTakeFirst();
      // A report stored before has been taken into account then.
      if (!row) return { inserted: false, changes: [] };
      return { inserted: true, changes: await applySuppressionRules(trx, [{ ...event, id: row.id }], settings, recordedAt) };
    }));
  }

  async listForMessage(messageId: number): Promise<StoredEvent[]> {
    const rows = await this.db.selectFrom('events').selectAll().where('message_id', '=', messageId).orderBy('at').orderBy('id').execute();
    return rows.map(rowToEvent);
  }
}
