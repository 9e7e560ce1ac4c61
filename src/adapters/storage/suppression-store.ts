/**
 * The suppression list in the database: `suppressions` (the entry of each address as it stands) and
 * `suppression_changes` (every change, with who, when, why and the event behind it). Each change and
 * its audit row are written in one transaction, the caller's when it has one.
 *
 * `applySuppressionRules` is what any code recording delivery facts calls inside its own transaction
 * (the API's delivery reports, the unsubscribe endpoint, the batch ingestion of bounces and webhooks).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { EventSource, StoredEvent } from '../../core/events.js';
import {
  decideSuppression,
  mergeSuppression,
  normalizeEmail,
  type SendOutcome,
  type SuppressionFact,
  type SuppressionMerge,
  type SuppressionReason,
  type SuppressionSettings,
} from '../../core/suppression-rules.js';
import type { ManualSuppression, SuppressionAction, SuppressionChange, SuppressionEntry, SuppressionQuery, SuppressionStore } from '../../app/ports.js';
import type { Recipients } from '../../app/ports.js';
import type { Database, SuppressionChangeRow, SuppressionRow } from './schema.js';

type Db = Kysely<Database> | Transaction<Database>;

/** What the rules read of an event: a stored one, or one just inserted in the caller's transaction. */
export type RuleEvent = Pick<StoredEvent, 'id' | 'messageId' | 'type' | 'at' | 'source'> & Partial<Pick<StoredEvent, 'subtype' | 'recipient' | 'reason'>>;

/** The actor of the changes the rules make. */
export const SYSTEM_ACTOR = 'system';

/** Event types that make a message a send to an address for the soft-bounce rule. */
const SEND_EVENT_TYPES = ['sent', 'delivered', 'bounced'] as const;

/** A change to write: the entry it proposes and its provenance. */
interface EntryWrite {
  email: string;
  reason: SuppressionReason;
  expiresAt: number | null;
  source: string;
  eventId: number | null;
  actor: string;
  note: string | null;
}

/**
 * Applies the suppression rules to events the caller has just inserted, inside the caller's
 * transaction `trx`, and returns the changes written (each with its audit row, actor `system`, the
 * event's id). Only bounces, complaints and unsubscribes can change anything. The address is the
 * event's `recipient`, or the message's one recipient; an event about a message to several, naming
 * none, suppresses nobody (who bounced is not known). For a soft bounce the address's last sends are
 * read inside `trx`, so the caller's own events count. `now` is the recording time: a suppression
 * that would already have ended (a late report of an old bounce) is not written.
 *
 * Decisions about one address are serialized across transactions by locking its contact row
 * (addresses in order, so two batches never wait on each other in a cycle): on PostgreSQL a second
 * soft bounce waits, then reads the first one's events.
 */
export async function applySuppressionRules(trx: Transaction<Database>, events: readonly RuleEvent[], settings: SuppressionSettings, now: number): Promise<SuppressionChange[]> {
  // A soft refusal by our own relay at submission may be the relay's fault (relaying denied, its own
  // limits), not the mailbox's: it suppresses nothing and is no outcome in an address's history. A
  // hard one is about the address whoever says it (hard reasons are userunknown, hostunknown,
  // hasmoved, notaccept): it suppresses like any hard bounce.
  const relevant = events.filter((e) => (e.type === 'bounced' && (e.source !== 'smtp' || e.subtype === 'hard')) || e.type === 'complained' || e.type === 'unsubscribed');
  if (relevant.length === 0) return [];
  const onlyRecipient = await onlyRecipients(trx, [...new Set(relevant.filter((e) => !e.recipient).map((e) => e.messageId))]);
  const facts: { event: RuleEvent; fact: SuppressionFact }[] = [];
  for (const event of relevant) {
    const email = event.recipient ? normalizeEmail(event.recipient) : onlyRecipient.get(event.messageId);
    if (!email) continue;
    const fact: SuppressionFact =
      event.type === 'bounced'
        ? { type: 'bounced', bounce: event.subtype === 'hard' ? 'hard' : 'soft', email, at: event.at, reason: event.reason ?? null }
        : { type: event.type as 'complained' | 'unsubscribed', email, at: event.at };
    facts.push({ event, fact });
  }
  facts.sort((a, b) => (a.fact.email < b.fact.email ? -1 : a.fact.email > b.fact.email ? 1 : a.event.id - b.event.id));
  const changes: SuppressionChange[] = [];
  let locked: string | null = null;
  for (const { event, fact } of facts) {
    if (fact.email !== locked) {
      await lockAddress(trx, fact.email);
      locked = fact.email;
    }
    const history = fact.type === 'bounced' && fact.bounce === 'soft' ? await recentSendOutcomes(trx, fact.email, settings.softBounceWindow) : [];
    const proposed = decideSuppression(fact, history, settings);
    if (!proposed) continue;
    const written = await writeEntry(trx, { ...proposed, source: event.source, eventId: event.id, actor: SYSTEM_ACTOR, note: proposed.why }, now);
    if (written.change) changes.push(written.change);
  }
  return changes;
}

/** The one address of each message sent to exactly one (To and CC together). */
async function onlyRecipients(db: Db, messageIds: readonly number[]): Promise<Map<number, string>> {
  const found = new Map<number, string>();
  if (messageIds.length === 0) return found;
  const rows = await db.selectFrom('messages').select(['id', 'recipients']).where('id', 'in', messageIds).execute();
  for (const row of rows) {
    const recipients = JSON.parse(row.recipients) as Recipients;
    const everyone = [...recipients.to, ...recipients.cc];
    if (everyone.length === 1) found.set(row.id, normalizeEmail(everyone[0]!));
  }
  return found;
}

/** Takes the address's contact row lock until the transaction ends (a no-op update; every recipient has a contact). */
async function lockAddress(trx: Db, email: string): Promise<void> {
  await trx
    .updateTable('contacts')
    .set((eb) => ({ email: eb.ref('email') }))
    .where('email', '=', email)
    .execute();
}

/**
 * How the address's last `window` sends ended, newest first. A send is a message to it with a sent,
 * delivered or bounced event: a message to it alone (its contact), or one to several whose events
 * name it. A bounce after a delivery is what happened to the message (a server accepted it and
 * bounced it later).
 */
export async function recentSendOutcomes(db: Db, email: string, window: number): Promise<SendOutcome[]> {
  const address = normalizeEmail(email);
  const contact = await db.selectFrom('contacts').select('id').where('email', '=', address).executeTakeFirst();
  const alone = contact
    ? await db
        .selectFrom('messages as m')
        .select('m.id')
        .where('m.contact_id', '=', contact.id)
        .where((eb) => eb.exists(eb.selectFrom('events as e').select('e.id').whereRef('e.message_id', '=', 'm.id').where('e.type', 'in', SEND_EVENT_TYPES)))
        .orderBy('m.id', 'desc')
        .limit(window)
        .execute()
    : [];
  const named = await db
    .selectFrom('events')
    .select('message_id')
    .distinct()
    .where('recipient', '=', address)
    .where('type', 'in', SEND_EVENT_TYPES)
    .orderBy('message_id', 'desc')
    .limit(window)
    .execute();
  const ids = [...new Set([...alone.map((r) => r.id), ...named.map((r) => r.message_id)])].sort((a, b) => b - a).slice(0, window);
  if (ids.length === 0) return [];
  const facts = await db
    .selectFrom('events')
    .select(['message_id', 'type', 'subtype', 'source'])
    .where('message_id', 'in', ids)
    .where('type', 'in', ['delivered', 'bounced'])
    .where((eb) => eb.or([eb('recipient', 'is', null), eb('recipient', '=', address)]))
    .execute();
  return ids.map((id): SendOutcome => {
    const mine = facts.filter((f) => f.message_id === id);
    const bounces = mine.filter((f) => f.type === 'bounced' && (f.source as EventSource) !== 'smtp');
    if (bounces.some((f) => f.subtype === 'hard')) return 'hard-bounce';
    if (bounces.length > 0) return 'soft-bounce';
    return mine.some((f) => f.type === 'delivered') ? 'delivered' : 'none';
  });
}

/**
 * Writes an entry as mergeSuppression decides, with its audit row. The upsert's own condition keeps
 * a longer entry written meanwhile by another transaction (PostgreSQL re-checks it on the row it
 * locks), so nothing is ever shortened; the audit row is written only when the entry was.
 */
async function writeEntry(trx: Db, entry: EntryWrite, now: number): Promise<{ merge: SuppressionMerge; change: SuppressionChange | null }> {
  const email = normalizeEmail(entry.email);
  const current = await trx.selectFrom('suppressions').select(['reason', 'expires_at']).where('email', '=', email).executeTakeFirst();
  const merge = mergeSuppression(current ? { reason: current.reason, expiresAt: current.expires_at } : null, entry, now);
  if (merge === 'unchanged') return { merge, change: null };
  const written = await trx
    .insertInto('suppressions')
    .values({ email, reason: entry.reason, source: entry.source, created_at: now, expires_at: entry.expiresAt, event_id: entry.eventId, actor: entry.actor, note: entry.note })
    .onConflict((oc) =>
      oc
        .column('email')
        .doUpdateSet((eb) => ({
          reason: eb.ref('excluded.reason'),
          source: eb.ref('excluded.source'),
          created_at: eb.ref('excluded.created_at'),
          expires_at: eb.ref('excluded.expires_at'),
          event_id: eb.ref('excluded.event_id'),
          actor: eb.ref('excluded.actor'),
          note: eb.ref('excluded.note'),
        }))
        .where(
          sql<boolean>`suppressions.expires_at is not null and (suppressions.expires_at <= ${now} or excluded.expires_at is null or excluded.expires_at > suppressions.expires_at)`,
        ),
    )
    .returning('email')
    .executeTakeFirst();
  if (!written) return { merge: 'unchanged', change: null };
  const change = await insertChange(trx, { email, action: merge, reason: entry.reason, expiresAt: entry.expiresAt, actor: entry.actor, note: entry.note, eventId: entry.eventId, at: now });
  return { merge, change };
}

async function insertChange(trx: Db, change: Omit<SuppressionChange, 'id'>): Promise<SuppressionChange> {
  const row = await trx
    .insertInto('suppression_changes')
    .values({
      email: change.email,
      action: change.action,
      reason: change.reason,
      expires_at: change.expiresAt,
      actor: change.actor,
      note: change.note,
      event_id: change.eventId,
      at: change.at,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toChange(row);
}

export class KyselySuppressionStore implements SuppressionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async list(query: SuppressionQuery, now: number): Promise<SuppressionEntry[]> {
    let select = this.db.selectFrom('suppressions').selectAll().orderBy('email').limit(query.limit);
    if (query.after !== undefined) select = select.where('email', '>', normalizeEmail(query.after));
    if (query.reason !== undefined) select = select.where('reason', '=', query.reason);
    if (query.prefix) {
      // substr rather than LIKE: a prefix holding % or _ means itself, on both dialects.
      const prefix = query.prefix.toLowerCase();
      select = select.where(sql<string>`substr(email, 1, ${prefix.length})`, '=', prefix);
    }
    if (query.state === 'active') select = select.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    if (query.state === 'expired') select = select.where('expires_at', '<=', now);
    return (await select.execute()).map(toEntry);
  }

  async get(email: string): Promise<SuppressionEntry | null> {
    const row = await this.db.selectFrom('suppressions').selectAll().where('email', '=', normalizeEmail(email)).executeTakeFirst();
    return row ? toEntry(row) : null;
  }

  async history(email: string): Promise<SuppressionChange[]> {
    const rows = await this.db.selectFrom('suppression_changes').selectAll().where('email', '=', normalizeEmail(email)).orderBy('id').execute();
    return rows.map(toChange);
  }

  async add(entries: readonly ManualSuppression[], actor: string, now: number): Promise<{ merge: SuppressionMerge; change: SuppressionChange | null }[]> {
    return this.db.transaction().execute(async (trx) => {
      const results: { merge: SuppressionMerge; change: SuppressionChange | null }[] = [];
      for (const entry of entries) {
        results.push(await writeEntry(trx, { ...entry, eventId: null, actor }, now));
      }
      return results;
    });
  }

  async remove(email: string, actor: string, note: string | null, now: number): Promise<SuppressionChange | null> {
    const address = normalizeEmail(email);
    return this.db.transaction().execute(async (trx) => {
      const removed = await trx.deleteFrom('suppressions').where('email', '=', address).returning(['reason', 'expires_at']).executeTakeFirst();
      if (!removed) return null;
      return insertChange(trx, { email: address, action: 'removed', reason: removed.reason as SuppressionReason, expiresAt: removed.expires_at, actor, note, eventId: null, at: now });
    });
  }
}

function toEntry(row: SuppressionRow): SuppressionEntry {
  return {
    email: row.email,
    reason: row.reason as SuppressionReason,
    source: row.source,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    eventId: row.event_id,
    actor: row.actor,
    note: row.note,
  };
}

function toChange(row: SuppressionChangeRow): SuppressionChange {
  return {
    id: row.id,
    email: row.email,
    action: row.action as SuppressionAction,
    reason: row.reason as SuppressionReason,
    expiresAt: row.expires_at,
    actor: row.actor,
    note: row.note,
    eventId: row.event_id,
    at: row.at,
  };
}
