import { countedWrite } from './report-counter-store.js';
import type { Kysely, Transaction } from 'kysely';
import type { NewEvent } from '../../core/events.js';
import type { PlannedLink, StoredPlan } from '../../core/instrument/index.js';
import type {
  Campaign,
  CampaignKind,
  CampaignSettings,
  CatalogStore,
  Contact,
  Execution,
  ExecutionContent,
  ExecutionSummary,
  IdempotencyRecord,
  IdempotentRequest,
  ContactInput,
  MessageDraft,
  MessageExtras,
  LinkOccurrence,
  Message,
  NewMessage,
  SendReservation,
  WrittenMessage,
  MessageRoute,
  Recipients,
  Suppression,
} from '../../app/ports.js';
import { CONSENT_WHEN_UNSTATED } from '../../app/ports.js';
import type { CampaignRow, ContactRow, Database, ExecutionRow, LinkRow, MessageRow } from './schema.js';
import { eventToRow } from './event-store.js';

/** An execution's columns but its plan, which only planFor reads (it is about as large as the links). */
const EXECUTION_COLUMNS = ['id', 'campaign_id', 'subject', 'html', 'text', 'created_at'] as const;

/** Rows per INSERT statement: PostgreSQL allows 65,535 parameters, SQLite 32,766; links have 7 columns. */
const LINK_INSERT_CHUNK = 500;

export class KyselyCatalogStore implements CatalogStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createCampaign(settings: CampaignSettings, now: number): Promise<Campaign> {
    const row = await this.db
      .insertInto('campaigns')
      .values({
        name: settings.name,
        kind: settings.kind,
        track_opens: settings.trackOpens ? 1 : 0,
        track_clicks: settings.trackClicks ? 1 : 0,
        tracking_base_url: settings.trackingBaseUrl,
        honeypot: settings.honeypot ? 1 : 0,
        allow_duplicates: settings.allowDuplicates ? 1 : 0,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toCampaign(row);
  }

  async getCampaign(id: number): Promise<Campaign | null> {
    const row = await this.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCampaign(row) : null;
  }

  async listCampaigns(): Promise<Campaign[]> {
    const rows = await this.db.selectFrom('campaigns').selectAll().orderBy('id', 'desc').execute();
    return rows.map(toCampaign);
  }

  async createExecution(campaignId: number, content: ExecutionContent, links: readonly PlannedLink[], plan: StoredPlan, now: number): Promise<Execution> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('executions')
        .values({ campaign_id: campaignId, subject: content.subject, html: content.html, text: content.text, created_at: now, plan: JSON.stringify(plan) })
        .returning(EXECUTION_COLUMNS)
        .executeTakeFirstOrThrow();
      for (let i = 0; i < links.length; i += LINK_INSERT_CHUNK) {
        const chunk = links.slice(i, i + LINK_INSERT_CHUNK);
        await trx
          .insertInto('link_occurrences')
          .values(
            chunk.map((link) => ({
              execution_id: row.id,
              ordinal: link.ordinal,
              part: link.part,
              url: link.url,
              raw: link.raw,
              anchor_text: link.text,
              condition: link.condition,
            })),
          )
          .execute();
      }
      return toExecution(row);
    });
  }

  async getExecution(id: number): Promise<Execution | null> {
    const row = await this.db.selectFrom('executions').select(EXECUTION_COLUMNS).where('id', '=', id).executeTakeFirst();
    return row ? toExecution(row) : null;
  }

  async getExecutionPlan(executionId: number): Promise<StoredPlan | null> {
    const row = await this.db.selectFrom('executions').select('plan').where('id', '=', executionId).executeTakeFirst();
    // Written by createExecution or fillExecutionPlan only; restorePlan checks it against the links.
    return row?.plan ? (JSON.parse(row.plan) as StoredPlan) : null;
  }

  async fillExecutionPlan(executionId: number, plan: StoredPlan): Promise<void> {
    await this.db.updateTable('executions').set({ plan: JSON.stringify(plan) }).where('id', '=', executionId).where('plan', 'is', null).execute();
  }

  async listExecutions(campaignId: number): Promise<Execution[]> {
    const rows = await this.db.selectFrom('executions').select(EXECUTION_COLUMNS).where('campaign_id', '=', campaignId).orderBy('id').execute();
    return rows.map(toExecution);
  }

  async listExecutionSummaries(campaignId: number): Promise<ExecutionSummary[]> {
    const rows = await this.db.selectFrom('executions').select(['id', 'campaign_id', 'subject', 'created_at']).where('campaign_id', '=', campaignId).orderBy('id').execute();
    return rows.map((r) => ({ id: r.id, campaignId: r.campaign_id, subject: r.subject, createdAt: r.created_at }));
  }

  async getLinks(executionId: number): Promise<LinkOccurrence[]> {
    const rows = await this.db.selectFrom('link_occurrences').selectAll().where('execution_id', '=', executionId).orderBy('ordinal').execute();
    return rows.map(toLink);
  }

  async getCampaignLinks(campaignId: number): Promise<LinkOccurrence[]> {
    const rows = await this.db
      .selectFrom('link_occurrences')
      .selectAll()
      .where('execution_id', 'in', (eb) => eb.selectFrom('executions').select('id').where('campaign_id', '=', campaignId))
      .orderBy('execution_id')
      .orderBy('ordinal')
      .execute();
    return rows.map(toLink);
  }

  upsertContact(email: string, attributes: Record<string, unknown> | undefined, consent: boolean | undefined, now: number): Promise<Contact> {
    return upsertContact(this.db, { email, attributes, consent }, now);
  }

  async getContact(id: number): Promise<Contact | null> {
    const row = await this.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toContact(row) : null;
  }

  async createMessage(message: MessageDraft, firstEvents: readonly Omit<NewEvent, 'messageId' | 'campaignId'>[], extras?: MessageExtras): Promise<WrittenMessage> {
    return this.db.transaction().execute(async (trx) => insertMessage(trx, await messageOf(trx, message), firstEvents, extras));
  }

  async createIdempotentMessage(
    draft: MessageDraft,
    firstEvents: readonly Omit<NewEvent, 'messageId' | 'campaignId'>[],
    request: IdempotentRequest,
    expiredBefore: number,
    extras?: MessageExtras,
  ): Promise<{ created: WrittenMessage } | { earlier: IdempotencyRecord }> {
    // Its own statement, before the transaction: deleting expired keys inside it would lock rows
    // that concurrent requests are deleting too.
    await this.db.deleteFrom('idempotency_keys').where('created_at', '<', expiredBefore).execute();
    return this.db.transaction().execute(async (trx) => {
      // The key's row first: a concurrent request with the same key waits here (PostgreSQL) until
      // this transaction ends, then finds the row and creates nothing.
      const claimed = await trx
        .insertInto('idempotency_keys')
        .values({ api_key_id: request.scope, key: request.key, fingerprint: request.fingerprint, message_id: null, created_at: draft.createdAt })
        .onConflict((oc) => oc.columns(['api_key_id', 'key']).doNothing())
        .executeTakeFirst();
      if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
        const row = await trx
          .selectFrom('idempotency_keys')
          .select(['fingerprint', 'message_id'])
          .where('api_key_id', '=', request.scope)
          .where('key', '=', request.key)
          .executeTakeFirstOrThrow();
        return { earlier: { fingerprint: row.fingerprint, messageId: row.message_id! } };
      }
      const created = await insertMessage(trx, await messageOf(trx, draft), firstEvents, extras);
      await trx.updateTable('idempotency_keys').set({ message_id: created.id }).where('api_key_id', '=', request.scope).where('key', '=', request.key).execute();
      return { created };
    });
  }

  async findIdempotencyKey(scope: string, key: string, expiredBefore: number): Promise<IdempotencyRecord | null> {
    const row = await this.db
      .selectFrom('idempotency_keys')
      .select(['fingerprint', 'message_id'])
      .where('api_key_id', '=', scope)
      .where('key', '=', key)
      .where('created_at', '>=', expiredBefore)
      .where('message_id', 'is not', null)
      .executeTakeFirst();
    return row ? { fingerprint: row.fingerprint, messageId: row.message_id! } : null;
  }

  async fillMessageIdHeader(messageId: number, header: string): Promise<string> {
    await this.db.updateTable('messages').set({ message_id_header: header }).where('id', '=', messageId).where('message_id_header', 'is', null).execute();
    const row = await this.db.selectFrom('messages').select('message_id_header').where('id', '=', messageId).executeTakeFirstOrThrow();
    return row.message_id_header!;
  }

  async getMessage(id: number): Promise<Message | null> {
    const row = await this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  async messageRoute(id: number): Promise<MessageRoute | null> {
    const row = await this.db
      .selectFrom('messages as m')
      .leftJoin('contacts as c', 'c.id', 'm.contact_id')
      .select((eb) => [
        'm.campaign_id',
        'm.execution_id',
        'm.contact_id',
        'm.consent',
        'c.consent as contact_consent',
        'c.email',
        eb.selectFrom('events').select((e) => e.fn.min('at').as('at')).where('message_id', '=', id).where('type', '=', 'sent').as('sent_at'),
        eb.selectFrom('events').select((e) => e.fn.min('at').as('at')).where('message_id', '=', id).where('type', '=', 'delivered').as('delivered_at'),
      ])
      .where('m.id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    return {
      campaignId: row.campaign_id,
      executionId: row.execution_id,
      contactId: row.contact_id,
      // A missing contact (a message to several recipients) adds nothing: the message's own consent,
      // decided from every recipient when it was created, stands.
      consent: row.consent === 1 && row.contact_consent !== 0,
      contactEmail: row.email ?? null,
      sentAt: row.sent_at === null || row.sent_at === undefined ? null : Number(row.sent_at),
      deliveredAt: row.delivered_at === null || row.delivered_at === undefined ? null : Number(row.delivered_at),
    };
  }

  async findSuppression(email: string, now: number): Promise<Suppression | null> {
    const row = await this.db
      .selectFrom('suppressions')
      .selectAll()
      .where('email', '=', email.toLowerCase())
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
      .executeTakeFirst();
    return row ? { email: row.email, reason: row.reason, source: row.source, createdAt: row.created_at, expiresAt: row.expires_at } : null;
  }
}

/** The message a draft stands for: its recipients' contacts written first when it is made from them. */
async function messageOf(trx: Transaction<Database>, draft: MessageDraft): Promise<NewMessage> {
  if (!('make' in draft)) return draft;
  // In address order: two messages to the same people take the contacts' rows in one order (no deadlock).
  const inputs = [...draft.contacts].sort((a, b) => (a.email.toLowerCase() < b.email.toLowerCase() ? -1 : 1));
  const written = new Map<string, Contact>();
  for (const input of inputs) written.set(input.email.toLowerCase(), await upsertContact(trx, input, draft.createdAt));
  return draft.make(draft.contacts.map((c) => written.get(c.email.toLowerCase())!));
}

/**
 * Writes what a request states of a contact: attributes merged into those kept, consent replaced when
 * stated; a new contact's consent is CONSENT_WHEN_UNSTATED unless stated.
 */
async function upsertContact(db: Kysely<Database>, input: ContactInput, now: number): Promise<Contact> {
  const { attributes, consent } = input;
  const address = input.email.toLowerCase();
  const existing = await db.selectFrom('contacts').selectAll().where('email', '=', address).executeTakeFirst();
  if (existing) {
    if (attributes === undefined && consent === undefined) return toContact(existing);
    const merged = { ...parseJsonObject(existing.attributes), ...(attributes ?? {}) };
    const row = await db
      .updateTable('contacts')
      .set({ attributes: JSON.stringify(merged), consent: consent === undefined ? existing.consent : consent ? 1 : 0 })
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toContact(row);
  }
  // Two requests may create the same contact at once: insert-or-ignore, then read whoever won.
  await db
    .insertInto('contacts')
    .values({ email: address, attributes: JSON.stringify(attributes ?? {}), consent: (consent ?? CONSENT_WHEN_UNSTATED) ? 1 : 0, created_at: now })
    .onConflict((oc) => oc.column('email').doNothing())
    .execute();
  const row = await db.selectFrom('contacts').selectAll().where('email', '=', address).executeTakeFirstOrThrow();
  return toContact(row);
}

async function insertMessage(
  trx: Transaction<Database>,
  message: NewMessage,
  firstEvents: readonly Omit<NewEvent, 'messageId' | 'campaignId'>[],
  extras: MessageExtras | undefined,
): Promise<WrittenMessage> {
  const row = await trx
    .insertInto('messages')
    .values({
      execution_id: message.executionId,
      campaign_id: message.campaignId,
      contact_id: message.contactId,
      recipients: JSON.stringify(message.recipients),
      recipient_count: message.recipientCount,
      created_at: message.createdAt,
      consent: message.consent ? 1 : 0,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (firstEvents.length > 0) {
    const now = message.createdAt;
    await trx
      .insertInto('events')
      .values(firstEvents.map((e) => eventToRow({ ...e, messageId: row.id, campaignId: row.campaign_id }, now)))
      .execute();
  }
  const written = toMessage(row);
  let duplicateOf: WrittenMessage['duplicateOf'] = null;
  if (extras) {
    written.messageIdHeader = extras.messageIdHeader(row.id);
    await trx.updateTable('messages').set({ message_id_header: written.messageIdHeader }).where('id', '=', row.id).execute();
    duplicateOf = await reserve(trx, written, extras.reservations);
  }
  // A new message counted for nothing: its first tally is what it adds.
  await countedWrite(trx, [row.id], async () => undefined);
  return { ...written, duplicateOf };
}

/**
 * Takes the message's reservations. When an earlier message holds one, the message keeps none of them
 * (it is not sent, so it repeats nothing) and is recorded as blocked for that reservation's reason. On
 * PostgreSQL a concurrent message taking the same reservation waits here for this transaction's end.
 */
async function reserve(trx: Transaction<Database>, message: Message, reservations: readonly SendReservation[]): Promise<WrittenMessage['duplicateOf']> {
  const taken: SendReservation[] = [];
  for (const reservation of reservations) {
    const inserted = await trx
      .insertInto('send_reservations')
      .values({ scope: reservation.scope, key: reservation.key, message_id: message.id, created_at: message.createdAt })
      .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) {
      taken.push(reservation);
      continue;
    }
    const holder = await trx
      .selectFrom('send_reservations')
      .select('message_id')
      .where('scope', '=', reservation.scope)
      .where('key', '=', reservation.key)
      .executeTakeFirstOrThrow();
    for (const mine of taken) await trx.deleteFrom('send_reservations').where('scope', '=', mine.scope).where('key', '=', mine.key).execute();
    const blocked: NewEvent = {
      messageId: message.id,
      campaignId: message.campaignId,
      type: 'blocked',
      at: message.createdAt,
      source: 'api',
      reason: reservation.reason,
      recipient: reservation.recipient,
      detail: { duplicateOf: holder.message_id },
    };
    await trx.insertInto('events').values(eventToRow(blocked, message.createdAt)).execute();
    return { reservation, messageId: holder.message_id };
  }
  return null;
}

function toCampaign(row: CampaignRow): Campaign {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as CampaignKind,
    trackOpens: row.track_opens === 1,
    trackClicks: row.track_clicks === 1,
    trackingBaseUrl: row.tracking_base_url,
    honeypot: row.honeypot === 1,
    allowDuplicates: row.allow_duplicates === 1,
    createdAt: row.created_at,
  };
}

function toExecution(row: Omit<ExecutionRow, 'plan'>): Execution {
  return { id: row.id, campaignId: row.campaign_id, subject: row.subject, html: row.html, text: row.text, createdAt: row.created_at };
}

function toLink(row: LinkRow): LinkOccurrence {
  return {
    executionId: row.execution_id,
    ordinal: row.ordinal,
    part: row.part as LinkOccurrence['part'],
    url: row.url,
    raw: row.raw,
    text: row.anchor_text,
    condition: row.condition,
  };
}

function toContact(row: ContactRow): Contact {
  return { id: row.id, email: row.email, attributes: parseJsonObject(row.attributes), consent: row.consent === 1, createdAt: row.created_at };
}

export function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    executionId: row.execution_id,
    campaignId: row.campaign_id,
    contactId: row.contact_id,
    recipients: JSON.parse(row.recipients) as Recipients,
    recipientCount: row.recipient_count,
    createdAt: row.created_at,
    consent: row.consent === 1,
    messageIdHeader: row.message_id_header,
  };
}

export function parseJsonObject(text: string | null): Record<string, unknown> {
  if (!text) return {};
  const value: unknown = JSON.parse(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
