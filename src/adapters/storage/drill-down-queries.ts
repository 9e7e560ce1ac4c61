/**
 * The lists behind report figures, read from the messages' facts (message_facts, kept with the
 * counters in the transaction of every event write), so that a list has as many rows as its figure.
 * Pages are by keyset on the message id, never OFFSET: page 500 costs what page 1 does.
 *
 * How each selection is read (the plans are in docs and the report of this change):
 * - by status: one index seek per status (message_facts_status, or _execution_status, from the
 *   page's first id), merged by message id; with a reason, the partial index by reason.
 * - by flag: the distinct flags values present (a skip scan of message_facts_*_flags), then one seek
 *   per value that has the flag's bit, merged; for a link, the same over the clicked flag of its
 *   scope, with a click on the link looked up in each message's events (events_message).
 * - with an address prefix that names few contacts, their messages are read by contact instead.
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { ENGAGEMENT_HITS, type EventTest, type Scope } from '../../core/message-status.js';
import { HONEYPOT_ORDINAL } from '../../core/instrument/index.js';
import { flagBit, hasFlag } from '../../core/report-counters.js';
import type { DrillDownStore, DrillOf, DrillPageRequest, DrillRow } from '../../app/contacts.js';
import type { StatusKey } from '../../core/message-status.js';
import { firstRecipient, isPostgres } from './report-counter-store.js';
import { only, passesSql } from './report-queries.js';
import type { Database } from './schema.js';

/**
 * Contacts an address prefix may name for their messages to be read by contact (messages_contact)
 * rather than by walking the list and testing each address: a thousand contacts' messages are a few
 * thousand index reads, whereas a prefix as short as `a` names too many.
 */
export const SELECTIVE_PREFIX_CONTACTS = 1000;

/**
 * Distinct flags values of a campaign looked up before a list by flag, and values with the list's
 * bit merged at most: each value is one seek and one part of the merge. Real traffic makes tens of
 * combinations of a dozen facts; beyond these, the walk that tests each row is used instead.
 */
const MAX_DISTINCT_FLAGS = 1000;
const MAX_MERGED_VALUES = 100;

/** Above every character: `prefix + PREFIX_END` bounds the addresses that start with the prefix. */
const PREFIX_END = '\u{10FFFF}';

/**
 * An address column as lists compare and order it: by bytes on both dialects, so that a prefix is an
 * index range and pages follow one order whatever PostgreSQL's collation (which may order text
 * ignoring punctuation): there `collate "C"`, served by contacts_email_bytes (migration 0013).
 */
export function addressKey(db: Kysely<Database>, column: string): Expression<string> {
  return isPostgres(db) ? sql<string>`(${sql.ref(column)} collate "C")` : sql<string>`${sql.ref(column)}`;
}

/** `column` starts with `prefix` (addresses are lower-cased): an index range. */
export function startsWith(db: Kysely<Database>, column: string, prefix: string): Expression<SqlBool> {
  const key = addressKey(db, column);
  return sql<SqlBool>`(${key} >= ${prefix} and ${key} < ${prefix + PREFIX_END})`;
}

/**
 * A subquery for EXISTS tested row by row: PostgreSQL turns a plain EXISTS into a join, which its
 * estimates may make a hash of a whole table (a campaign's events, read to find one page); it keeps
 * a subquery with an OFFSET as it is. SQLite tests EXISTS row by row anyway.
 */
export function perRow<Q extends { limit(n: number): Q; offset(n: number): Q }>(query: Q): Q {
  return query.limit(1).offset(0);
}

/** The ids of the contacts whose address starts with `prefix`, or null when more than SELECTIVE_PREFIX_CONTACTS do. */
export async function fewContactsStartingWith(db: Kysely<Database>, prefix: string, few = SELECTIVE_PREFIX_CONTACTS): Promise<number[] | null> {
  const rows = await db
    .selectFrom('contacts')
    .select('id')
    .where(startsWith(db, 'email', prefix))
    .limit(few + 1)
    .execute();
  return rows.length > few ? null : rows.map((r) => r.id);
}

/** An engagement hit (core ENGAGEMENT_HITS: probes and the honeypot left out) of event `e`, in a scope. */
function engagementHit(test: EventTest, scope: Scope): Expression<SqlBool> {
  return sql<SqlBool>`(${passesSql(test)} and ${only(scope)})`;
}

const hasBit = (bit: number) => sql<SqlBool>`(f.flags & ${sql.lit(bit)}) <> 0`;

export class KyselyDrillDownStore implements DrillDownStore {
  constructor(
    private readonly db: Kysely<Database>,
    /** At most this many contacts named by a prefix are read by contact (tests lower it to try the walk). */
    private readonly selectiveContacts = SELECTIVE_PREFIX_CONTACTS,
  ) {}

  async page(request: DrillPageRequest): Promise<DrillRow[]> {
    const ids = await this.#ids(request);
    return ids.length === 0 ? [] : this.#rows(ids, request.scope);
  }

  async #ids(request: DrillPageRequest): Promise<number[]> {
    const { db } = this;
    const { of, selection, limit } = request;
    let byContact: number[] | null = null;
    if (request.address !== undefined) {
      byContact = await fewContactsStartingWith(db, request.address, this.selectiveContacts);
      if (byContact?.length === 0) return [];
    }
    const address = request.address;
    const base = () => {
      let q = db
        .selectFrom('message_facts as f')
        .select('f.message_id')
        .where('f.message_id', '>', request.after ?? 0);
      q = 'campaignId' in of ? q.where('f.campaign_id', '=', of.campaignId) : q.where('f.execution_id', '=', of.executionId);
      if (byContact) q = q.where('f.message_id', 'in', db.selectFrom('messages as m').select('m.id').where('m.contact_id', 'in', byContact));
      else if (address !== undefined) {
        q = q.where((eb) =>
          eb.exists(
            perRow(
              eb
                .selectFrom('messages as m')
                .innerJoin('contacts as c', 'c.id', 'm.contact_id')
                .select('m.id')
                .whereRef('m.id', '=', 'f.message_id')
                .where(startsWith(db, 'c.email', address)),
            ),
          ),
        );
      }
      return q;
    };
    type Part = ReturnType<typeof base>;
    const page = async (q: Part) => ids(await q.orderBy('f.message_id').limit(limit).execute());
    // One seek per value, each part already in id order, merged by id: testing each row (an IN list,
    // a flag bit) would read every row of a rare value's campaign to fill a page.
    const merged = async (parts: Part[]) => {
      if (parts.length <= 1) return parts.length === 0 ? [] : page(parts[0]!);
      const sorted = parts.map((q, i) => db.selectFrom(q.orderBy('f.message_id').limit(limit).as(`s${i}`)).select(`s${i}.message_id`));
      let union = sorted[0]!;
      for (const part of sorted.slice(1)) union = union.unionAll(part);
      return ids(await union.orderBy('message_id').limit(limit).execute());
    };
    const withFlag = async (bit: number, narrow: (q: Part) => Part = (q) => q) => {
      const values = byContact ? null : await this.#flagValues(request.of, bit);
      return values === null ? page(narrow(base().where(hasBit(bit)))) : merged(values.map((v) => narrow(base().where('f.flags', '=', v))));
    };
    switch (selection.by) {
      case 'all':
        return page(base());
      case 'flag':
        return withFlag(selection.bit);
      case 'link': {
        if (selection.ordinal === HONEYPOT_ORDINAL) return [];
        // Only messages that clicked at all in the scope can have clicked this link: the flag narrows the walk.
        return withFlag(flagBit(`clicked:${selection.scope}`), (q) =>
          q.where((eb) =>
            eb.exists(
              perRow(
                eb
                  .selectFrom('events as e')
                  .select('e.id')
                  .whereRef('e.message_id', '=', 'f.message_id')
                  .where(engagementHit(ENGAGEMENT_HITS.click, selection.scope))
                  .where('e.link_ordinal', '=', selection.ordinal),
              ),
            ),
          ),
        );
      }
      case 'status': {
        const withReason = (q: Part) => (selection.reason === undefined ? q : q.where('f.reason', '=', selection.reason));
        if (byContact) return page(withReason(base().where('f.status', 'in', selection.statuses)));
        return merged(selection.statuses.map((s) => withReason(base().where('f.status', '=', s))));
      }
    }
  }

  /**
   * The flags values of the campaign's (execution's) messages that have `bit`, each found by one
   * seek on message_facts_*_flags (a skip scan: the next value above the last); null when there are
   * more than MAX_MERGED_VALUES distinct values, too many parts to merge.
   */
  async #flagValues(of: DrillOf, bit: number): Promise<number[] | null> {
    const [column, id] = 'campaignId' in of ? ['campaign_id', of.campaignId] : ['execution_id', of.executionId];
    const { rows } = await sql<{ flags: number }>`
      with recursive v(flags, n) as (
        select min(flags), 1 from message_facts where ${sql.ref(column)} = ${id}
        union all
        select (select min(f.flags) from message_facts f where ${sql.ref(`f.${column}`)} = ${id} and f.flags > v.flags), n + 1
        from v where v.flags is not null and n <= ${sql.lit(MAX_DISTINCT_FLAGS)}
      )
      select flags from v where flags is not null`.execute(this.db);
    if (rows.length > MAX_DISTINCT_FLAGS) return null;
    const values = rows.map((r) => Number(r.flags)).filter((v) => (v & bit) !== 0);
    return values.length > MAX_MERGED_VALUES ? null : values;
  }

  async #rows(messageIds: number[], scope: Scope): Promise<DrillRow[]> {
    const rows = await this.db
      .selectFrom('message_facts as f')
      .innerJoin('messages as m', 'm.id', 'f.message_id')
      .leftJoin('contacts as c', 'c.id', 'm.contact_id')
      .select(['f.message_id', 'f.campaign_id', 'f.execution_id', 'm.contact_id', 'c.email', 'm.recipients', 'f.status', 'f.reason', 'f.provider', 'f.flags', 'm.created_at'])
      .select((eb) => [
        eb.selectFrom('events as e').select(sql<number | null>`min(e.at)`.as('at')).whereRef('e.message_id', '=', 'f.message_id').where(engagementHit(ENGAGEMENT_HITS.open, scope)).as('first_open_at'),
        eb.selectFrom('events as e').select(sql<number | null>`min(e.at)`.as('at')).whereRef('e.message_id', '=', 'f.message_id').where(engagementHit(ENGAGEMENT_HITS.click, scope)).as('first_click_at'),
      ])
      .where('f.message_id', 'in', messageIds)
      .orderBy('f.message_id')
      .execute();
    return rows.map((r) => ({
      messageId: r.message_id,
      campaignId: r.campaign_id,
      executionId: r.execution_id,
      contactId: r.contact_id,
      email: r.email ?? firstRecipient(r.recipients),
      status: r.status as StatusKey,
      reason: r.reason,
      provider: r.provider,
      createdAt: Number(r.created_at),
      opened: hasFlag(r.flags, `opened:${scope}`),
      clicked: hasFlag(r.flags, `clicked:${scope}`),
      firstOpenAt: r.first_open_at === null ? null : Number(r.first_open_at),
      firstClickAt: r.first_click_at === null ? null : Number(r.first_click_at),
    }));
  }
}

const ids = (rows: readonly { message_id: number }[]) => rows.map((r) => Number(r.message_id));
