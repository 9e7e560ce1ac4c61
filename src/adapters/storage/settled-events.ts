/**
 * Which events are settled in commit order: the highest event id S such that every event with an id
 * at or below S that will ever commit is visible now. A reader that moves a cursor over event ids
 * (the outgoing webhooks, the live feed) reads no further than S, so that it never passes an id that
 * commits later.
 *
 * SQLite has one writer at a time, which draws its ids and commits before the next writer draws any:
 * ids commit in order, and the newest visible id is settled.
 *
 * On PostgreSQL several transactions write events at once; an id is drawn (nextval) when a row is
 * inserted, not when it commits, so id 101 may be visible while id 100 is still uncommitted. Neither
 * the ids nor the rows' times tell whether a lower id is still to come, nor does the inserting
 * transaction's own xid: a transaction with an older xid may draw its id after a younger one did.
 * What does tell is this sequence of three reads, each after the previous one returned:
 *   1. M = the newest id drawn so far (the sequence's last value; the sequence caches 1 value, so
 *      every id up to M was drawn before this read);
 *   2. N = a new transaction id, newer than every transaction id assigned before it;
 *   3. later, the oldest transaction still running, `pg_snapshot_xmin(pg_current_snapshot())`.
 * Every writer of events holds its transaction id before it draws an event id (see below), so a
 * transaction that drew an id up to M had its transaction id before step 1, lower than N. Once the
 * oldest transaction still running is N or newer, every one of those has committed (its rows are
 * visible) or rolled back (they never will be): M is settled. Usually at once, as writes are short;
 * a transaction that stays open holds the rows after it back (late, never lost), until it ends.
 *
 * The invariant writers keep: on PostgreSQL a transaction holds its transaction id before it inserts
 * an event. Every writer of events does today: it locks the events' messages (SELECT ... FOR UPDATE
 * in report-counter-store.ts's countedWrite/countedHits) or inserts the message (catalog-store.ts)
 * first, and a row lock or an insert assigns the transaction id. A new writer whose INSERT INTO
 * events is its transaction's first write would leave a window: from the row's nextval to the
 * transaction id's assignment in the same INSERT, microseconds without waiting on a lock, in which
 * steps 1 and 2 could fall; lock its messages first (countedWrite does) to close it.
 */
import { sql, type Kysely } from 'kysely';
import { isPostgres } from './report-counter-store.js';
import type { Database } from './schema.js';

/** The newest event id visible now (0 without events). */
export async function newestEventId(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return Number(row?.id ?? 0);
}

/**
 * Marks (step 1 and 2 above) waiting for the transactions before them to end. One is added per
 * reading; past this many (a transaction left open for long), the newest replaces the last instead:
 * it settles later than the one it replaces, never earlier, so nothing is passed early.
 */
const MAX_PENDING = 100;

interface Mark {
  /** M: the newest event id drawn when the mark was taken. */
  upTo: number;
  /** N: a transaction id newer than every one that drew an id up to `upTo`. */
  xid: bigint;
}

/** The settled event id on one database; keeps the PostgreSQL marks still waiting between readings. */
export class SettledEvents {
  readonly #pending: Mark[] = [];
  #settled = 0;

  constructor(private readonly db: Kysely<Database>) {}

  /** The highest event id at or below which every event that will ever commit is visible now. */
  async settledEventId(): Promise<number> {
    if (!isPostgres(this.db)) return newestEventId(this.db);
    const drawn = await sql<{ last: string | null }>`select pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass)::text as last`.execute(this.db);
    // In a transaction of its own (autocommit), ended when the statement returns.
    const assigned = await sql<{ xid: string }>`select pg_current_xact_id()::text as xid`.execute(this.db);
    const mark = { upTo: Number(drawn.rows[0]?.last ?? 0), xid: BigInt(assigned.rows[0]!.xid) };
    if (this.#pending.length < MAX_PENDING) this.#pending.push(mark);
    else this.#pending[this.#pending.length - 1] = mark;
    const oldest = await sql<{ xmin: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(this.db);
    const xmin = BigInt(oldest.rows[0]!.xmin);
    for (let i = this.#pending.length - 1; i >= 0; i--) {
      const pending = this.#pending[i]!;
      if (pending.xid > xmin) continue;
      this.#settled = Math.max(this.#settled, pending.upTo);
      this.#pending.splice(i, 1);
    }
    return this.#settled;
  }
}
