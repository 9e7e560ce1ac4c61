/**
 * Report counters kept in the transaction that writes the events they count (core/report-counters.ts).
 * A write that touches messages' events runs through `countedWrite`: the messages are locked, their
 * tallies read, the write done, the tallies read again, and the difference added to the counters and
 * written to the messages' facts, all in one transaction. On PostgreSQL the lock is the messages'
 * rows (taken in id order, so two nodes never wait on each other in a cycle); SQLite's transactions
 * take the database's write lock when they begin (statement-cache.ts).
 */
import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import { counterDelta, tallyMessage, type MessageTally, type TallyEvent } from '../../core/report-counters.js';
import { providerOfAddress, type MailboxProvider } from '../../core/mailbox-provider.js';
import type { BounceType, EventSource, EventType } from '../../core/events.js';
import type { Verdict } from '../../core/nhi/verdict.js';
import type { Database } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** Ids per IN list, rows per upsert: under both dialects' parameter limits. */
const CHUNK = 500;

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

function* chunks<T>(items: readonly T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

interface CountedMessage {
  id: number;
  campaignId: number;
  executionId: number;
  provider: MailboxProvider;
  /** Its facts row as stored; null for a message without one yet (a new message). */
  stored: { status: string; reason: string | null; flags: number } | null;
}

/** The mailbox provider of a message: its first recipient's (messages.recipients JSON). */
export function providerOfRecipients(recipients: string): MailboxProvider {
  return providerOfAddress(firstRecipient(recipients));
}

function firstRecipient(recipients: string): string {
  try {
    const parsed = JSON.parse(recipients) as { to?: unknown; cc?: unknown };
    const all = [...(Array.isArray(parsed.to) ? parsed.to : []), ...(Array.isArray(parsed.cc) ? parsed.cc : [])];
    return typeof all[0] === 'string' ? all[0] : '';
  } catch {
    return '';
  }
}

/** The messages, locked for the rest of the transaction on PostgreSQL. */
async function readMessages(trx: Db, ids: readonly number[]): Promise<Map<number, CountedMessage>> {
  const found = new Map<number, CountedMessage>();
  const sorted = [...ids].sort((a, b) => a - b);
  for (const part of chunks(sorted)) {
    if (isPostgres(trx)) await sql`select id from messages where id in (${sql.join(part)}) order by id for update`.execute(trx);
    const rows = await trx
      .selectFrom('messages as m')
      .leftJoin('message_facts as f', 'f.message_id', 'm.id')
      .select(['m.id', 'm.campaign_id', 'm.execution_id', 'm.recipients', 'f.provider', 'f.status', 'f.reason', 'f.flags'])
      .where('m.id', 'in', part)
      .execute();
    for (const r of rows) {
      found.set(r.id, {
        id: r.id,
        campaignId: r.campaign_id,
        executionId: r.execution_id,
        provider: (r.provider as MailboxProvider | null) ?? providerOfRecipients(r.recipients),
        stored: r.status === null ? null : { status: r.status, reason: r.reason, flags: r.flags ?? 0 },
      });
    }
  }
  return found;
}

/** The events of the messages as the tally reads them, by message. */
export async function readTallyEvents(db: Db, ids: readonly number[]): Promise<Map<number, TallyEvent[]>> {
  const byMessage = new Map<number, TallyEvent[]>();
  for (const id of ids) byMessage.set(id, []);
  for (const part of chunks(ids)) {
    const rows = await db
      .selectFrom('events')
      .select(['id', 'message_id', 'type', 'subtype', 'source', 'method', 'link_ordinal', 'verdict', 'reasons', 'at', 'reason'])
      .where('message_id', 'in', part)
      .execute();
    for (const r of rows) byMessage.get(r.message_id)?.push(tallyEventOf(r));
  }
  return byMessage;
}

export function tallyEventOf(r: {
  id: number;
  type: string;
  subtype: string | null;
  source: string;
  method: string | null;
  link_ordinal: number | null;
  verdict: string | null;
  reasons: string | null;
  at: number;
  reason: string | null;
}): TallyEvent {
  return {
    id: r.id,
    type: r.type as EventType,
    at: Number(r.at),
    method: r.method,
    linkOrdinal: r.link_ordinal,
    bounceType: r.type === 'bounced' ? ((r.subtype === 'hard' ? 'hard' : 'soft') as BounceType) : null,
    verdict: r.verdict as Verdict | null,
    reason: r.reason,
    source: r.source as EventSource,
    reasons: r.reasons ? (JSON.parse(r.reasons) as string[]) : null,
  };
}

async function tallies(db: Db, messages: ReadonlyMap<number, CountedMessage>): Promise<Map<number, MessageTally>> {
  const events = await readTallyEvents(db, [...messages.keys()]);
  const result = new Map<number, MessageTally>();
  for (const [id, message] of messages) result.set(id, tallyMessage(events.get(id) ?? [], message.provider));
  return result;
}

/** Adds deltas to the counters: one upsert per chunk, rows in key order (the same lock order on every node). */
export async function addToCounters(trx: Db, deltas: ReadonlyMap<number, { campaignId: number; delta: Map<string, number> }>): Promise<void> {
  const rows: { execution_id: number; name: string; campaign_id: number; value: number }[] = [];
  for (const [executionId, { campaignId, delta }] of deltas) for (const [name, value] of delta) rows.push({ execution_id: executionId, name, campaign_id: campaignId, value });
  rows.sort((a, b) => a.execution_id - b.execution_id || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const part of chunks(rows)) {
    await trx
      .insertInto('report_counters')
      .values(part)
      .onConflict((oc) => oc.columns(['execution_id', 'name']).doUpdateSet({ value: sql`report_counters.value + excluded.value` }))
      .execute();
  }
}

export async function writeFacts(trx: Db, rows: readonly { message_id: number; campaign_id: number; execution_id: number; provider: string; status: string; reason: string | null; flags: number }[]): Promise<void> {
  for (const part of chunks(rows)) {
    await trx
      .insertInto('message_facts')
      .values(part)
      .onConflict((oc) =>
        oc.column('message_id').doUpdateSet({ status: sql`excluded.status`, reason: sql`excluded.reason`, flags: sql`excluded.flags`, provider: sql`excluded.provider` }),
      )
      .execute();
  }
}

/**
 * Runs `write` (which changes the events of these messages) in `trx` and moves the report counters
 * and the messages' facts by what it changed. Messages that do not exist are left out.
 */
export async function countedWrite<T>(trx: Transaction<Database>, messageIds: Iterable<number>, write: () => Promise<T>): Promise<T> {
  const ids = [...new Set(messageIds)];
  if (ids.length === 0) return write();
  const messages = await readMessages(trx, ids);
  // A message without facts is new: it counted for nothing before.
  const withFacts = new Map([...messages].filter(([, m]) => m.stored !== null));
  const before = await tallies(trx, withFacts);
  const result = await write();
  const after = await tallies(trx, messages);
  const deltas = new Map<number, { campaignId: number; delta: Map<string, number> }>();
  const facts = [];
  for (const [id, message] of messages) {
    const was = before.get(id) ?? null;
    const now = after.get(id)!;
    let entry = deltas.get(message.executionId);
    if (!entry) deltas.set(message.executionId, (entry = { campaignId: message.campaignId, delta: new Map() }));
    counterDelta(was?.counters ?? null, now.counters, entry.delta);
    const stored = message.stored;
    if (!stored || stored.status !== now.status || stored.reason !== now.reason || stored.flags !== now.flags) {
      facts.push({ message_id: id, campaign_id: message.campaignId, execution_id: message.executionId, provider: message.provider, status: now.status, reason: now.reason, flags: now.flags });
    }
  }
  await addToCounters(trx, deltas);
  await writeFacts(trx, facts);
  return result;
}

/** The counters of a campaign's executions, or of one execution: execution id -> name -> value. */
export async function readCounters(db: Db, of: { campaignId: number } | { executionId: number }, prefix?: string): Promise<Map<number, Map<string, number>>> {
  let query = db.selectFrom('report_counters').select(['execution_id', 'name', 'value']);
  query = 'campaignId' in of ? query.where('campaign_id', '=', of.campaignId) : query.where('execution_id', '=', of.executionId);
  // LIKE, not a range: PostgreSQL compares text by the database's collation, which may skip punctuation.
  if (prefix !== undefined) query = query.where('name', 'like', `${prefix}%`);
  const byExecution = new Map<number, Map<string, number>>();
  for (const row of await query.execute()) {
    let counters = byExecution.get(row.execution_id);
    if (!counters) byExecution.set(row.execution_id, (counters = new Map()));
    if (Number(row.value) !== 0) counters.set(row.name, Number(row.value));
  }
  return byExecution;
}
