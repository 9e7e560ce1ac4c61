/**
 * Contacts as people look them up: one contact with its messages and the timeline of their events,
 * and the contacts list with one status column per chosen campaign (app/contacts.ts says what each
 * answer means). A campaign's status for a contact is that of its message of highest precedence
 * (STATUS_PRECEDENCE), the lowest id of equals: campaignStatusOf, and the SQL below says the same.
 *
 * The list is read one of three ways, all keyset-paginated:
 * - an address prefix naming few contacts: those contacts, their columns, filtered and sorted here;
 * - by a campaign's status: that campaign's facts walked status by status in precedence order
 *   (message_facts_status: one seek each), each message kept when it is its contact's deciding one
 *   and the other filters hold, so no page reads more than it shows plus what filters drop;
 * - by address: contacts in address order (their unique index), then the page's columns.
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import { STATUS_PRECEDENCE, type StatusKey } from '../../core/message-status.js';
import { campaignStatusOf, statusRank, type CampaignStatus, type ContactListPart, type ContactListRequest, type ContactListRow, type ContactMessage, type ContactStore, type TimelineEvent } from '../../app/contacts.js';
import type { Contact } from '../../app/ports.js';
import { addressKey, fewContactsStartingWith, perRow, SELECTIVE_PREFIX_CONTACTS, startsWith } from './drill-down-queries.js';
import type { Database } from './schema.js';

/**
 * Messages a status filter may name for its contacts to be listed among themselves (read, filtered
 * and sorted here) rather than by walking the sorted campaign: reading their columns costs about
 * what a walk does through a filter that keeps one contact in 200.
 */
export const SELECTIVE_STATUS_CONTACTS = 1000;

/**
 * Messages of the sorted campaign a page may test against the other filters before it answers: a
 * filter that keeps few of them (or none, when it is correlated with the statuses walked first: an
 * address that bounced in one campaign bounced in the others) would otherwise read the campaign. The
 * page then holds what was found, maybe nothing, and `next` resumes the walk where it stopped.
 */
export const WALK_BUDGET = 1000;

/**
 * Contacts whose columns one query reads: PostgreSQL plans a longer list as a hash join over every
 * message's facts (seen at 1,000 contacts), a short one as index seeks.
 */
const COLUMNS_CHUNK = 100;

type Columns = Map<number, Map<number, CampaignStatus | null>>;

/** A status's rank (0 the highest) in SQL, from the one precedence list. */
function rankSql(column: string): Expression<number> {
  return sql<number>`case ${sql.ref(column)} ${sql.join(
    STATUS_PRECEDENCE.map((s, i) => sql`when ${sql.lit(s.key)} then ${sql.lit(i)}`),
    sql` `,
  )} end`;
}

function contactOf(row: { id: number; email: string; attributes: string; consent: number; created_at: number }): Contact {
  return { id: row.id, email: row.email, attributes: JSON.parse(row.attributes) as Record<string, unknown>, consent: row.consent === 1, createdAt: Number(row.created_at) };
}

export class KyselyContactStore implements ContactStore {
  readonly #selectiveContacts: number;
  readonly #walkBudget: number;

  /** Tests lower the limits to try the walks and their resumption on small data. */
  constructor(
    private readonly db: Kysely<Database>,
    limits: { selectiveContacts?: number; walkBudget?: number } = {},
  ) {
    this.#selectiveContacts = limits.selectiveContacts ?? SELECTIVE_PREFIX_CONTACTS;
    this.#walkBudget = limits.walkBudget ?? WALK_BUDGET;
  }

  async get(id: number): Promise<Contact | null> {
    const row = await this.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? contactOf(row) : null;
  }

  async findByEmail(email: string): Promise<Contact | null> {
    const row = await this.db.selectFrom('contacts').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? contactOf(row) : null;
  }

  async messages(contactId: number, before: number | undefined, limit: number): Promise<ContactMessage[]> {
    let q = this.db
      .selectFrom('messages as m')
      .innerJoin('executions as x', 'x.id', 'm.execution_id')
      .innerJoin('campaigns as c', 'c.id', 'm.campaign_id')
      .leftJoin('message_facts as f', 'f.message_id', 'm.id')
      .select(['m.id', 'm.campaign_id', 'c.name', 'm.execution_id', 'x.subject', 'm.created_at', 'f.status', 'f.reason'])
      .where('m.contact_id', '=', contactId);
    if (before !== undefined) q = q.where('m.id', '<', before);
    const rows = await q.orderBy('m.id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      messageId: r.id,
      campaignId: r.campaign_id,
      campaignName: r.name,
      executionId: r.execution_id,
      subject: r.subject,
      createdAt: Number(r.created_at),
      // A message has facts from its first event on; one never written to has none: queued.
      status: (r.status ?? 'queued') as StatusKey,
      reason: r.reason,
    }));
  }

  async timeline(contactId: number, before: { at: number; id: number } | undefined, limit: number): Promise<TimelineEvent[]> {
    let q = this.db
      .selectFrom('events as e')
      .innerJoin('messages as m', 'm.id', 'e.message_id')
      .leftJoin('link_occurrences as l', (join) => join.onRef('l.execution_id', '=', 'm.execution_id').onRef('l.ordinal', '=', 'e.link_ordinal'))
      .select(['e.id', 'e.message_id', 'e.campaign_id', 'm.execution_id', 'e.type', 'e.subtype', 'e.at', 'e.source', 'e.method', 'e.link_ordinal', 'l.url', 'e.verdict', 'e.reasons', 'e.reason'])
      .where('m.contact_id', '=', contactId);
    if (before) q = q.where((eb) => eb.or([eb('e.at', '<', before.at), eb.and([eb('e.at', '=', before.at), eb('e.id', '<', before.id)])]));
    const rows = await q.orderBy('e.at', 'desc').orderBy('e.id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: r.id,
      messageId: r.message_id,
      campaignId: r.campaign_id,
      executionId: r.execution_id,
      type: r.type,
      subtype: r.subtype,
      at: Number(r.at),
      source: r.source,
      method: r.method,
      linkOrdinal: r.link_ordinal,
      url: r.url,
      verdict: r.verdict,
      reasons: r.reasons ? (JSON.parse(r.reasons) as string[]) : [],
      reason: r.reason,
    }));
  }

  async list(request: ContactListRequest): Promise<ContactListPart> {
    const few = request.q === undefined ? null : await fewContactsStartingWith(this.db, request.q, this.#selectiveContacts);
    if (few !== null) return { rows: await this.#listAmong(few, request), resume: null };
    const filtered = await this.#fewContactsWithStatus(request.status);
    if (filtered !== null) return { rows: await this.#listAmong(filtered, request), resume: null };
    if (request.by === null) return { rows: await this.#listByAddress(request), resume: null };
    return this.#listByStatus(request.by, request);
  }

  /**
   * The contacts a status filter can keep, when one of the filters names few messages (a rare status
   * such as complaints): at most SELECTIVE_STATUS_CONTACTS of them, else null. Walking the sorted
   * campaign would test ever more rows per page the rarer the filter.
   */
  async #fewContactsWithStatus(filters: ReadonlyMap<number, readonly StatusKey[]>): Promise<number[] | null> {
    const cap = Math.min(this.#selectiveContacts, SELECTIVE_STATUS_CONTACTS);
    for (const [campaign, statuses] of filters) {
      // The messages first (an index-only read of message_facts_status), then their contacts by key:
      // joined in one query, PostgreSQL merges with the messages' primary key from the first message
      // on, reading a whole table to find a thousand rows (150 ms at a million messages).
      const ids = await this.db
        .selectFrom('message_facts')
        .select('message_id')
        .where('campaign_id', '=', campaign)
        .where('status', 'in', statuses)
        .limit(cap + 1)
        .execute();
      if (ids.length > cap) continue;
      const contacts = new Set<number>();
      for (let i = 0; i < ids.length; i += COLUMNS_CHUNK) {
        const part = ids.slice(i, i + COLUMNS_CHUNK).map((r) => r.message_id);
        for (const row of await this.db.selectFrom('messages').select('contact_id').where('id', 'in', part).where('contact_id', 'is not', null).execute()) contacts.add(row.contact_id!);
      }
      return [...contacts];
    }
    return null;
  }

  /** Per contact and campaign, the campaign's status for the contact. */
  async #columns(contactIds: readonly number[], campaigns: readonly number[]): Promise<Columns> {
    const byContact = new Map<number, Map<number, CampaignStatus[]>>();
    for (const id of contactIds) byContact.set(id, new Map(campaigns.map((c) => [c, []])));
    for (let i = 0; campaigns.length > 0 && i < contactIds.length; i += COLUMNS_CHUNK) {
      const rows = await this.db
        .selectFrom('messages as m')
        .innerJoin('message_facts as f', 'f.message_id', 'm.id')
        .select(['m.contact_id', 'm.campaign_id', 'm.id', 'f.status', 'f.reason'])
        .where('m.contact_id', 'in', contactIds.slice(i, i + COLUMNS_CHUNK))
        .where('m.campaign_id', 'in', campaigns)
        .execute();
      for (const r of rows) byContact.get(r.contact_id!)?.get(r.campaign_id)?.push({ status: r.status as StatusKey, reason: r.reason, messageId: r.id });
    }
    return new Map([...byContact].map(([id, perCampaign]) => [id, new Map([...perCampaign].map(([c, messages]) => [c, campaignStatusOf(messages)]))]));
  }

  async #rows(contactIds: readonly number[], campaigns: readonly number[]): Promise<ContactListRow[]> {
    if (contactIds.length === 0) return [];
    const [contacts, columns] = await Promise.all([
      this.db.selectFrom('contacts').select(['id', 'email', 'created_at']).where('id', 'in', contactIds).execute(),
      this.#columns(contactIds, campaigns),
    ]);
    const byId = new Map(contacts.map((c) => [c.id, { id: c.id, email: c.email, createdAt: Number(c.created_at) }]));
    return contactIds.map((id) => ({ contact: byId.get(id)!, statuses: columns.get(id)! }));
  }

  /** A few contacts (an address prefix or a rare status named them): all their columns read, then filtered, sorted and cut here. */
  async #listAmong(contactIds: readonly number[], request: ContactListRequest): Promise<ContactListRow[]> {
    const { by, after } = request;
    // The contacts given may come from a status filter alone: the address prefix still applies.
    const q = request.q;
    let rows = (await this.#rows(contactIds, request.campaigns)).filter((row) =>
      (q === undefined || row.contact.email.startsWith(q)) &&
      [...request.status].every(([campaign, statuses]) => {
        const column = row.statuses.get(campaign);
        return column != null && statuses.includes(column.status);
      }),
    );
    if (by === null) {
      rows.sort((a, b) => (a.contact.email < b.contact.email ? -1 : 1));
      if (after && 'email' in after) rows = rows.filter((r) => r.contact.email > after.email);
    } else {
      const key = (r: ContactListRow) => r.statuses.get(by)!;
      rows = rows.filter((r) => r.statuses.get(by) != null);
      rows.sort((a, b) => statusRank(key(a).status) - statusRank(key(b).status) || key(a).messageId - key(b).messageId);
      if (after && 'rank' in after) rows = rows.filter((r) => statusRank(key(r).status) > after.rank || (statusRank(key(r).status) === after.rank && key(r).messageId > after.messageId));
    }
    return rows.slice(0, request.limit);
  }

  async #listByAddress(request: ContactListRequest): Promise<ContactListRow[]> {
    let q = this.db.selectFrom('contacts').select('id');
    if (request.q !== undefined) q = q.where(startsWith(this.db, 'email', request.q));
    const key = addressKey(this.db, 'email');
    if (request.after && 'email' in request.after) q = q.where(key, '>', request.after.email);
    const ids = await q.orderBy(key).limit(request.limit).execute();
    return this.#rows(ids.map((r) => r.id), request.campaigns);
  }

  /** Campaign `by`'s messages status by status, highest first, each its contact's deciding one. */
  async #listByStatus(by: number, request: ContactListRequest): Promise<ContactListPart> {
    const { db } = this;
    const wanted = request.status.get(by);
    const keys = STATUS_PRECEDENCE.map((s) => s.key).filter((k) => !wanted || wanted.includes(k));
    const after = request.after && 'rank' in request.after ? request.after : undefined;
    const found: number[] = [];
    let budget = this.#walkBudget;
    for (const key of keys) {
      const rank = statusRank(key);
      if (after && rank < after.rank) continue;
      const from = after && rank === after.rank ? after.messageId : 0;
      // The messages of this status the budget allows, by one read of the index: the walk tests no further.
      const span = await db
        .selectFrom('message_facts')
        .select('message_id')
        .where('campaign_id', '=', by)
        .where('status', '=', key)
        .where('message_id', '>', from)
        .orderBy('message_id')
        .limit(budget)
        .execute();
      if (span.length === 0) continue;
      const edge = Number(span.at(-1)!.message_id);
      budget -= span.length;
      const higher = STATUS_PRECEDENCE.slice(0, rank).map((s) => s.key);
      let q = db
        .selectFrom('message_facts as f')
        .innerJoin('messages as m', 'm.id', 'f.message_id')
        .select(['f.message_id', 'm.contact_id'])
        .where('f.campaign_id', '=', by)
        .where('f.status', '=', key)
        .where('f.message_id', '>', from)
        .where('f.message_id', '<=', edge)
        .where('m.contact_id', 'is not', null)
        // Not the deciding message when the contact has one of higher precedence, or an equal one before it.
        .where((eb) =>
          eb.not(
            eb.exists(
              perRow(
                eb
                .selectFrom('messages as m2')
                .innerJoin('message_facts as f2', 'f2.message_id', 'm2.id')
                .select('m2.id')
                .whereRef('m2.contact_id', '=', 'm.contact_id')
                .where('m2.campaign_id', '=', by)
                .where((e2) => e2.or([...(higher.length > 0 ? [e2('f2.status', 'in', higher)] : []), e2.and([e2('f2.status', '=', key), e2('m2.id', '<', e2.ref('m.id'))])])),
              ),
            ),
          ),
        );
      for (const [campaign, statuses] of request.status) if (campaign !== by) q = q.where(statusIn(db, campaign, statuses));
      if (request.q !== undefined) {
        const prefix = request.q;
        q = q.where((eb) => eb.exists(perRow(eb.selectFrom('contacts as c').select('c.id').whereRef('c.id', '=', 'm.contact_id').where(startsWith(db, 'c.email', prefix)))));
      }
      const rows = await q.orderBy('f.message_id').limit(request.limit - found.length).execute();
      for (const r of rows) found.push(r.contact_id!);
      if (found.length >= request.limit) break;
      if (budget === 0) return { rows: await this.#rows(found, request.campaigns), resume: { rank, messageId: edge } };
    }
    return { rows: await this.#rows(found, request.campaigns), resume: null };
  }
}

/** The contact of `m` has, in `campaign`, a status among `statuses` (that of its deciding message). */
function statusIn(db: Kysely<Database>, campaign: number, statuses: readonly StatusKey[]): Expression<SqlBool> {
  const contact = sql.ref<number | null>('m.contact_id');
  const better = db
    .selectFrom('messages as m4')
    .innerJoin('message_facts as f4', 'f4.message_id', 'm4.id')
    .select('m4.id')
    .where('m4.contact_id', '=', contact)
    .where('m4.campaign_id', '=', campaign)
    .where(sql<SqlBool>`${rankSql('f4.status')} < ${rankSql('f3.status')}`)
    .limit(1)
    .offset(0);
  const deciding = db
    .selectFrom('messages as m3')
    .innerJoin('message_facts as f3', 'f3.message_id', 'm3.id')
    .select('m3.id')
    .where('m3.contact_id', '=', contact)
    .where('m3.campaign_id', '=', campaign)
    .where('f3.status', 'in', statuses)
    .where(sql<SqlBool>`not exists ${better}`)
    .limit(1)
    .offset(0);
  // Both tested row by row (perRow).
  return sql<SqlBool>`exists ${deciding}`;
}
