/**
 * Report counters kept in the transaction that writes the events they count (core/report-counters.ts).
 * A write that touches messages' events runs through `countedWrite`: the messages are locked, their
 * tallies read, the write done, the tallies read again, and the difference added to the counters and
 * written to the messages' facts, all in one transaction. On PostgreSQL the lock is the messages'
 * rows (taken in id order, so two nodes never wait on each other in a cycle); SQLite's transactions
 * take the database's write lock when they begin (statement-cache.ts).
 */
import { PostgresAdapter, sql, type CompiledQuery, type Insertable, type Kysely, type Transaction } from 'kysely';
import { RowStatements } from './row-statements.js';
import {
  addHit,
  counterDelta,
  eventCounters,
  needsEvents,
  parseState,
  removeHitVerdict,
  serializeState,
  stateOf,
  stateCounts,
  stateDelta,
  tallyWithState,
  type MessageState,
  type MessageTally,
  type TallyEvent,
} from '../../core/report-counters.js';
import { providerOfAddress, type MailboxProvider } from '../../core/mailbox-provider.js';
import type { BounceType, EventSource, EventType } from '../../core/events.js';
import type { Verdict } from '../../core/nhi/verdict.js';
import type { Database, EventRow, MessageFactsTable, MessageStatesTable, ReportCountersTable } from './schema.js';

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
  /** Its state as stored; null for a message without one. */
  state: string | null;
}

export type FactsRow = Insertable<MessageFactsTable>;

/** The mailbox provider of a message: its first recipient's (messages.recipients JSON), by its domain's name only. */
export function providerOfRecipients(recipients: string): MailboxProvider {
  return providerOfAddress(firstRecipient(recipients));
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/**
 * The mailbox providers of messages (id -> recipients JSON): by their first recipient's domain, and
 * for a domain whose name does not say, by its MX hosts when they have been looked up (mail_domains).
 */
export async function providersOf(db: Db, recipients: ReadonlyMap<number, string>): Promise<Map<number, MailboxProvider>> {
  const providers = new Map<number, MailboxProvider>();
  const unknown = new Map<number, string>();
  for (const [id, json] of recipients) {
    const address = firstRecipient(json);
    const provider = providerOfAddress(address);
    providers.set(id, provider);
    if (provider === 'other' && address.includes('@')) unknown.set(id, domainOf(address));
  }
  const domains = [...new Set(unknown.values())];
  const hosted = new Map<string, MailboxProvider>();
  for (const part of chunks(domains)) {
    for (const row of await db.selectFrom('mail_domains').select(['domain', 'provider']).where('domain', 'in', part).execute()) hosted.set(row.domain, row.provider as MailboxProvider);
  }
  for (const [id, domain] of unknown) providers.set(id, hosted.get(domain) ?? 'other');
  return providers;
}

/** The first recipient's address of a messages.recipients JSON (To, then CC); '' when it has none. */
export function firstRecipient(recipients: string): string {
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
      .leftJoin('message_states as s', 's.message_id', 'm.id')
      .select(['m.id', 'm.campaign_id', 'm.execution_id', 'm.recipients', 'f.provider', 'f.status', 'f.reason', 'f.flags', 's.state'])
      .where('m.id', 'in', part)
      .execute();
    // A message keeps the provider it was first counted under (a recount moves it when its domain's MX says more).
    const fresh = await providersOf(trx, new Map(rows.filter((r) => r.provider === null).map((r) => [r.id, r.recipients])));
    for (const r of rows) {
      found.set(r.id, {
        id: r.id,
        campaignId: r.campaign_id,
        executionId: r.execution_id,
        provider: (r.provider as MailboxProvider | null) ?? fresh.get(r.id)!,
        stored: r.status === null ? null : { status: r.status, reason: r.reason, flags: r.flags ?? 0 },
        state: r.state,
      });
    }
  }
  return found;
}

const TALLY_COLUMNS = ['id', 'message_id', 'type', 'subtype', 'source', 'method', 'link_ordinal', 'verdict', 'reasons', 'at', 'reason'] as const;
type TallyRow = Pick<EventRow, (typeof TALLY_COLUMNS)[number]>;

/** The events of the messages as the tally reads them, by message. */
export async function readTallyEvents(db: Db, ids: readonly number[]): Promise<Map<number, TallyEvent[]>> {
  const byMessage = new Map<number, TallyEvent[]>();
  for (const id of ids) byMessage.set(id, []);
  for (const part of chunks(ids)) {
    const rows = await db.selectFrom('events').select(TALLY_COLUMNS).where('message_id', 'in', part).execute();
    for (const r of rows) byMessage.get(r.message_id)?.push(tallyEventOf(r));
  }
  return byMessage;
}

export function tallyEventOf(r: Omit<TallyRow, 'message_id'>): TallyEvent {
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

/** A message's tally from all its events, with its state as stored. */
export function fullTally(events: readonly TallyEvent[], provider: MailboxProvider): { tally: MessageTally; state: string } {
  const { tally, state } = tallyWithState(events, provider);
  return { tally, state: serializeState(state) };
}

type CounterRow = Insertable<ReportCountersTable>;
const COUNTER_COLUMNS = ['execution_id', 'name', 'shard', 'campaign_id', 'value'] as const satisfies readonly (keyof CounterRow)[];
const FACT_COLUMNS = ['message_id', 'campaign_id', 'execution_id', 'provider', 'status', 'reason', 'flags'] as const satisfies readonly (keyof FactsRow)[];
type StateRow = Insertable<MessageStatesTable>;
const STATE_COLUMNS = ['message_id', 'state'] as const satisfies readonly (keyof StateRow)[];

/** The upserts, compiled once per dialect and size (row-statements.ts): they run in every write. */
interface Upserts {
  counters: RowStatements<CounterRow, never>;
  facts: RowStatements<FactsRow, never>;
  states: RowStatements<StateRow, never>;
}
const upserts = new Map<boolean, Upserts>();

function upsertsFor(db: Db): Upserts {
  const postgres = isPostgres(db);
  let found = upserts.get(postgres);
  if (!found) {
    found = {
      counters: new RowStatements('counter upsert', COUNTER_COLUMNS, (rows) =>
        db
          .insertInto('report_counters')
          .values(rows)
          .onConflict((oc) => oc.columns(['execution_id', 'name', 'shard']).doUpdateSet({ value: sql`report_counters.value + excluded.value` }))
          .compile() as CompiledQuery<never>,
      ),
      facts: new RowStatements('facts upsert', FACT_COLUMNS, (rows) =>
        db
          .insertInto('message_facts')
          .values(rows)
          .onConflict((oc) =>
            oc.column('message_id').doUpdateSet({
              status: sql`excluded.status`,
              reason: sql`excluded.reason`,
              flags: sql`excluded.flags`,
              provider: sql`excluded.provider`,
            }),
          )
          .compile() as CompiledQuery<never>,
      ),
      states: new RowStatements('state upsert', STATE_COLUMNS, (rows) =>
        db
          .insertInto('message_states')
          .values(rows)
          .onConflict((oc) => oc.column('message_id').doUpdateSet({ state: sql`excluded.state` }))
          .compile() as CompiledQuery<never>,
      ),
    };
    upserts.set(postgres, found);
  }
  return found;
}

/**
 * Shards per counter on PostgreSQL: a transaction holds the rows it added to until it commits, so
 * writers adding to one counter at once (every message created in an execution adds to its
 * `messages`) would take turns at the commit rate; with shards, up to this many at once. SQLite has
 * one writer at a time: one shard.
 */
export const COUNTER_SHARDS = 16;

/** Adds deltas to the counters, all in one shard, rows in key order (the same lock order on every node). */
export async function addToCounters(trx: Db, deltas: ReadonlyMap<number, { campaignId: number; delta: Map<string, number> }>): Promise<void> {
  const shard = isPostgres(trx) ? Math.floor(Math.random() * COUNTER_SHARDS) : 0;
  const rows: CounterRow[] = [];
  for (const [executionId, { campaignId, delta }] of deltas) {
    for (const [name, value] of delta) if (value !== 0) rows.push({ execution_id: executionId, name, shard, campaign_id: campaignId, value });
  }
  rows.sort((a, b) => a.execution_id - b.execution_id || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  await upsertsFor(trx).counters.run(trx, rows);
}

export async function writeFacts(trx: Db, rows: readonly FactsRow[]): Promise<void> {
  // In message order too: two writers lock the facts rows in the same order.
  const sorted = [...rows].sort((a, b) => a.message_id - b.message_id);
  await upsertsFor(trx).facts.run(trx, sorted.map((r) => ({ ...r, reason: r.reason ?? null })));
}

export async function writeStates(trx: Db, rows: readonly StateRow[]): Promise<void> {
  await upsertsFor(trx).states.run(trx, [...rows].sort((a, b) => a.message_id - b.message_id));
}

/** The counter deltas of a write, per execution, and the facts rows it changed. */
class Changes {
  readonly deltas = new Map<number, { campaignId: number; delta: Map<string, number> }>();
  readonly facts: FactsRow[] = [];
  readonly states: StateRow[] = [];

  delta(message: CountedMessage): Map<string, number> {
    let entry = this.deltas.get(message.executionId);
    if (!entry) this.deltas.set(message.executionId, (entry = { campaignId: message.campaignId, delta: new Map() }));
    return entry.delta;
  }

  fact(message: CountedMessage, tally: Pick<MessageTally, 'status' | 'reason' | 'flags'>, state: string): void {
    const stored = message.stored;
    if (message.state !== state) this.states.push({ message_id: message.id, state });
    if (stored && stored.status === tally.status && stored.reason === tally.reason && stored.flags === tally.flags) return;
    this.facts.push({ message_id: message.id, campaign_id: message.campaignId, execution_id: message.executionId, provider: message.provider, status: tally.status, reason: tally.reason, flags: tally.flags });
  }

  async write(trx: Db): Promise<void> {
    await addToCounters(trx, this.deltas);
    await writeFacts(trx, this.facts);
    await writeStates(trx, this.states);
  }
}

/**
 * Runs `write` (which changes the events of these messages) in `trx` and moves the report counters
 * and the messages' facts by what it changed: each message's tally from all its events, before and
 * after. Messages that do not exist are left out.
 */
export async function countedWrite<T>(trx: Transaction<Database>, messageIds: Iterable<number>, write: () => Promise<T>): Promise<T> {
  const ids = [...new Set(messageIds)];
  if (ids.length === 0) return write();
  const messages = await readMessages(trx, ids);
  // A message without facts is new: it counted for nothing before.
  const counted = [...messages.values()].filter((m) => m.stored !== null && m.state !== null).map((m) => m.id);
  const before = await readTallyEvents(trx, counted);
  const result = await write();
  const after = await readTallyEvents(trx, [...messages.keys()]);
  const changes = new Changes();
  for (const [id, message] of messages) {
    const was = before.has(id) ? fullTally(before.get(id)!, message.provider).tally : null;
    const now = fullTally(after.get(id) ?? [], message.provider);
    counterDelta(was?.counters ?? null, now.tally.counters, changes.delta(message));
    changes.fact(message, now.tally, now.state);
  }
  await changes.write(trx);
  return result;
}

/** A hit as written: its message and what the tally reads of it. */
export interface CountedHit {
  messageId: number;
  event: TallyEvent;
}

/** A revision as written: the hit's new verdict and reasons. */
export interface CountedRevision {
  eventId: number;
  verdict: Verdict;
  reasons: readonly string[];
}

/**
 * Runs `write` (which inserts these hits and revises these earlier ones) and moves the counters by
 * what it changed without reading the messages' events: each message's stored state takes the new
 * hits and the revisions, and its tally is taken from the state before and after; what a hit adds by
 * itself is added once. A revision of a message's first open (or click) of a verdict, when others of
 * that verdict remain, leaves the state unable to say which is first now: that message's events are
 * read after the write, as they are for a message without a state.
 */
export async function countedHits<T>(trx: Transaction<Database>, hits: readonly CountedHit[], revisions: readonly CountedRevision[], write: () => Promise<T>): Promise<T> {
  // A revised hit's message is known from its row; its verdict is read again once the message is
  // locked, so that a revision another transaction committed meanwhile is the one moved from.
  const revisedIds = [...new Set(revisions.map((r) => r.eventId))];
  const readRevised = async () => {
    const rows = new Map<number, TallyRow>();
    for (const part of chunks(revisedIds)) for (const row of await trx.selectFrom('events').select(TALLY_COLUMNS).where('id', 'in', part).execute()) rows.set(row.id, row);
    return rows;
  };
  const revisedMessages = revisedIds.length === 0 ? [] : [...(await readRevised()).values()].map((r) => r.message_id);
  const messages = await readMessages(trx, [...hits.map((h) => h.messageId), ...revisedMessages]);
  const revised = revisedIds.length === 0 ? new Map<number, TallyRow>() : await readRevised();
  // A message with facts but no state, or whose state needs its events (provider-flagged opens,
  // compared with its hits: rare): its tallies from its events, before and after. One with no facts
  // at all was never counted (written by a node from before the counters): before is nothing.
  const changes = new Changes();
  const states = new Map<number, MessageState>();
  const befores = new Map<number, string[]>();
  const legacy: number[] = [];
  for (const message of messages.values()) {
    const state = message.stored === null || message.state === null ? null : parseState(message.state);
    if (state === null || needsEvents(state)) {
      legacy.push(message.id);
      continue;
    }
    states.set(message.id, state);
    befores.set(message.id, stateCounts(state, message.provider).names);
  }
  const legacyBefore = await readTallyEvents(trx, legacy.filter((id) => messages.get(id)!.stored !== null));
  const reread = new Set<number>(legacy);
  for (const hit of hits) {
    const message = messages.get(hit.messageId);
    const state = states.get(hit.messageId);
    if (!message || !state) continue;
    eventCounters(hit.event, changes.delta(message));
    addHit(state, hit.event);
  }
  // A hit revised twice in one write moves from where the first revision left it.
  const current = new Map<number, TallyEvent>();
  for (const revision of revisions) {
    const row = revised.get(revision.eventId);
    const message = row && messages.get(row.message_id);
    const state = message && states.get(message.id);
    if (!row || !message || !state) continue;
    const was = current.get(revision.eventId) ?? tallyEventOf(row);
    const next: TallyEvent = { ...was, verdict: revision.verdict, reasons: revision.reasons };
    current.set(revision.eventId, next);
    const delta = changes.delta(message);
    eventCounters(was, delta, -1);
    eventCounters(next, delta);
    if (!removeHitVerdict(state, was)) reread.add(message.id);
    addHit(state, next, [revision.verdict]);
  }
  const result = await write();
  const events = await readTallyEvents(trx, [...reread]);
  for (const message of messages.values()) {
    const delta = changes.delta(message);
    if (!states.has(message.id)) {
      // No state stored: the tallies from the events, what each hit adds included.
      const now = fullTally(events.get(message.id) ?? [], message.provider);
      const before = legacyBefore.get(message.id);
      counterDelta(before ? fullTally(before, message.provider).tally.counters : null, now.tally.counters, delta);
      changes.fact(message, now.tally, now.state);
      continue;
    }
    const state = reread.has(message.id) ? stateOf(events.get(message.id) ?? []) : states.get(message.id)!;
    const now = stateCounts(state, message.provider);
    stateDelta(befores.get(message.id)!, now.names, delta);
    // Stored as it stands (key order aside, the same as serializeState's): a recount compares them parsed.
    changes.fact(message, now, JSON.stringify(state));
  }
  await changes.write(trx);
  return result;
}

/** The counters of a campaign's executions, or of one execution: execution id -> name -> value. */
export async function readCounters(db: Db, of: { campaignId: number } | { executionId: number }, prefix?: string): Promise<Map<number, Map<string, number>>> {
  let query = db
    .selectFrom('report_counters')
    .select(['execution_id', 'name', (eb) => eb.fn.sum<number | string>('value').as('value')])
    .groupBy(['execution_id', 'name']);
  query = 'campaignId' in of ? query.where('campaign_id', '=', of.campaignId) : query.where('execution_id', '=', of.executionId);
  // LIKE, not a range: PostgreSQL compares text by the database's collation, which may skip punctuation.
  if (prefix !== undefined) query = query.where('name', 'like', `${prefix}%`);
  const byExecution = new Map<number, Map<string, number>>();
  for (const row of await query.execute()) {
    let counters = byExecution.get(row.execution_id);
    if (!counters) byExecution.set(row.execution_id, (counters = new Map()));
    counters.set(row.name, (counters.get(row.name) ?? 0) + Number(row.value));
  }
  for (const counters of byExecution.values()) for (const [name, value] of counters) if (value === 0) counters.delete(name);
  return byExecution;
}
