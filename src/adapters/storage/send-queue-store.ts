/**
 * The send queue over Kysely, the same statements on SQLite and PostgreSQL. Two nodes never hold one
 * message: a lease is taken by one conditional UPDATE (due, pending, and no lease in force), which
 * PostgreSQL evaluates again on the row a concurrent UPDATE left, and SQLite runs one at a time.
 */
import { countedWrite } from './report-counter-store.js';
import { applySuppressionRules } from './suppression-store.js';
import type { SuppressionSettings } from '../../core/suppression-rules.js';
import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { NewEvent } from '../../core/events.js';
import type { QueuedSend, SendLease, SendNext, SendQueueStore, SendState } from '../../app/ports.js';
import type { Database, SendQueueTable } from './schema.js';
import { eventToRow } from './event-store.js';

/** States an explicit send arms again: the relay's refusal may have been the relay's fault. */
const REARMABLE: readonly SendState[] = ['bounced', 'expired'];

export class KyselySendQueueStore implements SendQueueStore {
  constructor(private readonly db: Kysely<Database>) {}

  async enqueue(messageId: number, at: number): Promise<QueuedSend> {
    await this.db
      .insertInto('send_queue')
      .values({ message_id: messageId, state: 'pending', attempts: 0, enqueued_at: at, next_attempt_at: at, lease_token: null, lease_until: null, updated_at: at })
      .onConflict((oc) => oc.column('message_id').doNothing())
      .execute();
    // Already queued: due now if it was waiting for a later retry; armed again if it had bounced or expired.
    await this.db.updateTable('send_queue').set({ next_attempt_at: at, updated_at: at }).where('message_id', '=', messageId).where('state', '=', 'pending').where('next_attempt_at', '>', at).execute();
    await this.db
      .updateTable('send_queue')
      .set({ state: 'pending', attempts: 0, enqueued_at: at, next_attempt_at: at, updated_at: at })
      .where('message_id', '=', messageId)
      .where('state', 'in', REARMABLE)
      .execute();
    return (await this.get(messageId))!;
  }

  async get(messageId: number): Promise<QueuedSend | null> {
    const row = await this.db.selectFrom('send_queue').selectAll().where('message_id', '=', messageId).executeTakeFirst();
    return row ? toQueued(row) : null;
  }

  async due(now: number, limit: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('send_queue')
      .select('message_id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .orderBy('next_attempt_at')
      .orderBy('message_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.message_id);
  }

  async lease(messageId: number, now: number, leaseMs: number): Promise<SendLease | null> {
    const token = randomUUID();
    const updated = await this.db
      .updateTable('send_queue')
      .set((eb) => ({ lease_token: token, lease_until: now + leaseMs, attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('message_id', '=', messageId)
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<=', now)]))
      .returning(['attempts', 'enqueued_at'])
      .executeTakeFirst();
    return updated ? { messageId, token, attempt: updated.attempts, enqueuedAt: updated.enqueued_at, until: now + leaseMs } : null;
  }

  async release(lease: SendLease, now: number): Promise<void> {
    await this.db
      .updateTable('send_queue')
      .set((eb) => ({ lease_token: null, lease_until: null, attempts: eb('attempts', '-', 1), updated_at: now }))
      .where('message_id', '=', lease.messageId)
      .where('lease_token', '=', lease.token)
      .execute();
  }

  async finish(lease: SendLease, events: readonly NewEvent[], next: SendNext, now: number, suppression: SuppressionSettings): Promise<boolean> {
    return this.db.transaction().execute((trx) => countedWrite(trx, events.map((e) => e.messageId), () => this.#finish(trx, lease, events, next, now, suppression)));
  }

  async #finish(trx: Transaction<Database>, lease: SendLease, events: readonly NewEvent[], next: SendNext, now: number, suppression: SuppressionSettings): Promise<boolean> {
    if (events.length > 0) {
      // One insert each: an attempt has an event or two, and each id must be its own event's (the
      // order of a multi-row insert's RETURNING is not promised).
      const stored = [];
      for (const event of events) {
        const { id } = await trx.insertInto('events').values(eventToRow(event, now)).returning('id').executeTakeFirstOrThrow();
        stored.push({ ...event, id });
      }
      await applySuppressionRules(trx, stored, suppression, now);
    }
    const result = await trx
      .updateTable('send_queue')
      .set({ state: next.state, next_attempt_at: next.state === 'pending' ? next.nextAttemptAt : now, lease_token: null, lease_until: null, updated_at: now })
      .where('message_id', '=', lease.messageId)
      .where('lease_token', '=', lease.token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function toQueued(row: SendQueueTable): QueuedSend {
  return {
    messageId: row.message_id,
    state: row.state as SendState,
    attempts: row.attempts,
    enqueuedAt: row.enqueued_at,
    nextAttemptAt: row.next_attempt_at,
    leaseUntil: row.lease_until,
  };
}
