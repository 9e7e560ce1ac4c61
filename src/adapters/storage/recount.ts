/**
 * The full recount: every message's tally summed again from its events (the same function the write
 * path adds the differences of), compared with the stored counters and facts, and, when asked, the
 * stored ones set to it. One transaction per execution: on PostgreSQL the counters table is locked
 * against writers for its length (a writer that changed events meanwhile adds its difference after
 * the recount commits, on top of the recounted values, which did not include it); on SQLite the
 * transaction holds the write lock. Run it when the counters are suspect, or after restoring a backup.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { parseState, serializeState } from '../../core/report-counters.js';
import { fullTally, isPostgres, providersOf, readTallyEvents, writeFacts, writeStates } from './report-counter-store.js';
import type { Database } from './schema.js';

/** Messages read per page. */
const PAGE = 2_000;

export interface CounterDifference {
  executionId: number;
  name: string;
  stored: number;
  counted: number;
}

export interface RecountResult {
  executions: number;
  messages: number;
  counters: number;
  /** Counters whose stored value was not the recount's. */
  differences: CounterDifference[];
  /** Messages whose stored facts (status, reason, flags) were missing or not the recount's. */
  factDifferences: number;
  fixed: boolean;
}

export interface RecountOptions {
  campaignId?: number;
  /** Write the recounted values over the stored ones. */
  fix: boolean;
}

export async function recount(db: Kysely<Database>, options: RecountOptions): Promise<RecountResult> {
  let query = db.selectFrom('executions').select(['id', 'campaign_id']).orderBy('id');
  if (options.campaignId !== undefined) query = query.where('campaign_id', '=', options.campaignId);
  const executions = await query.execute();
  // Counters of executions that no longer exist, or never did, are differences too.
  let stray = db.selectFrom('report_counters').select(['execution_id', 'campaign_id']).distinct();
  if (options.campaignId !== undefined) stray = stray.where('campaign_id', '=', options.campaignId);
  const known = new Set(executions.map((e) => e.id));
  for (const row of await stray.execute()) if (!known.has(row.execution_id)) executions.push({ id: row.execution_id, campaign_id: row.campaign_id });
  const result: RecountResult = { executions: executions.length, messages: 0, counters: 0, differences: [], factDifferences: 0, fixed: options.fix };
  for (const execution of executions) {
    await db.transaction().execute((trx) => recountExecution(trx, execution.id, execution.campaign_id, options.fix, result));
  }
  return result;
}

async function recountExecution(trx: Transaction<Database>, executionId: number, campaignId: number, fix: boolean, result: RecountResult): Promise<void> {
  if (isPostgres(trx)) await sql`lock table report_counters in share row exclusive mode`.execute(trx);
  const counted = new Map<string, number>();
  let after = 0;
  for (;;) {
    const messages = await trx
      .selectFrom('messages as m')
      .leftJoin('message_facts as f', 'f.message_id', 'm.id')
      .leftJoin('message_states as s', 's.message_id', 'm.id')
      .select(['m.id', 'm.recipients', 'f.provider', 'f.status', 'f.reason', 'f.flags', 's.state'])
      .where('m.execution_id', '=', executionId)
      .where('m.id', '>', after)
      .orderBy('m.id')
      .limit(PAGE)
      .execute();
    if (messages.length === 0) break;
    after = messages[messages.length - 1]!.id;
    const events = await readTallyEvents(trx, messages.map((m) => m.id));
    const providers = await providersOf(trx, new Map(messages.map((m) => [m.id, m.recipients])));
    const facts = [];
    const states = [];
    for (const m of messages) {
      // The provider as known now: a domain's MX looked up since moves its messages.
      const provider = providers.get(m.id)!;
      const { tally, state } = fullTally(events.get(m.id) ?? [], provider);
      for (const [name, value] of tally.counters) counted.set(name, (counted.get(name) ?? 0) + value);
      const factsDiffer = m.status !== tally.status || m.reason !== tally.reason || m.flags !== tally.flags || m.provider !== provider;
      // The write path stores a state's keys in the order they came: compared parsed, in canonical order.
      const stateDiffers = m.state === null || serializeState(parseState(m.state)) !== state;
      if (factsDiffer || stateDiffers) result.factDifferences++;
      if (factsDiffer) facts.push({ message_id: m.id, campaign_id: campaignId, execution_id: executionId, provider, status: tally.status, reason: tally.reason, flags: tally.flags });
      if (stateDiffers) states.push({ message_id: m.id, state });
    }
    result.messages += messages.length;
    if (fix) {
      await writeFacts(trx, facts);
      await writeStates(trx, states);
    }
  }
  const stored = new Map<string, number>();
  for (const row of await trx.selectFrom('report_counters').select(['name', 'value']).where('execution_id', '=', executionId).execute()) {
    stored.set(row.name, (stored.get(row.name) ?? 0) + Number(row.value));
  }
  const differences: CounterDifference[] = [];
  for (const [name, value] of counted) if ((stored.get(name) ?? 0) !== value) differences.push({ executionId, name, stored: stored.get(name) ?? 0, counted: value });
  for (const [name, value] of stored) if (!counted.has(name) && value !== 0) differences.push({ executionId, name, stored: value, counted: 0 });
  result.counters += counted.size;
  result.differences.push(...differences);
  if (!fix || differences.length === 0) return;
  // A fixed counter is one row, in shard 0.
  for (const d of differences) {
    await trx.deleteFrom('report_counters').where('execution_id', '=', executionId).where('name', '=', d.name).execute();
    if (d.counted !== 0) await trx.insertInto('report_counters').values({ execution_id: executionId, name: d.name, shard: 0, campaign_id: campaignId, value: d.counted }).execute();
  }
}

/** Builds the counters from the events once, when the database has events from before them (migration 0012). */
export async function buildCountersIfNeeded(db: Kysely<Database>, now: number): Promise<RecountResult | null> {
  const state = await db.selectFrom('report_counter_state').select('rebuilt_at').where('id', '=', 1).executeTakeFirst();
  if (state && state.rebuilt_at !== null) return null;
  const result = await recount(db, { fix: true });
  await db.updateTable('report_counter_state').set({ rebuilt_at: now }).where('id', '=', 1).execute();
  return result;
}
