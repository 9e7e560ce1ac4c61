/**
 * The contacts behind the figures, and the contacts themselves: the list behind a report figure (by
 * the same selection as the figure, core/drill-down.ts), served a page at a time or as CSV; a contact
 * with every message sent to it and the timeline of their events; and the contacts list with one
 * status column per chosen campaign. The queries live in storage (drill-down-queries.ts,
 * contact-queries.ts); this file declares what it needs of them and checks what it is asked.
 */
import { MailsightError, notFound } from '../core/errors.js';
import { formatCsvRecord } from '../core/csv.js';
import { drillSelection, DrillListError, type DrillFigure, type DrillSelection } from '../core/drill-down.js';
import { STATUS_PRECEDENCE, type Scope, type StatusKey } from '../core/message-status.js';
import { normalizeEmail } from '../core/suppression-rules.js';
import type { Contact } from './ports.js';

/** Rows of a page unless asked otherwise, and at most. */
export const DEFAULT_DRILL_PAGE = 50;
export const MAX_DRILL_PAGE = 500;
/** Rows read per query while a CSV export streams: one page in memory at a time. */
export const EXPORT_PAGE = 500;
/** Campaign columns of the contacts list at most: each is one more status read per page. */
export const MAX_CAMPAIGN_COLUMNS = 10;

/** Whose messages a list takes: a campaign's (every execution) or one execution's. */
export type DrillOf = { campaignId: number } | { executionId: number };

/** One message of a list behind a figure. */
export interface DrillRow {
  messageId: number;
  campaignId: number;
  executionId: number;
  /** Null for a message sent to several recipients at once: `email` is then its first. */
  contactId: number | null;
  email: string;
  status: StatusKey;
  reason: string | null;
  provider: string;
  createdAt: number;
  /** Engagement in the list's scope: opened (a click implies it) and clicked, from the message's facts. */
  opened: boolean;
  clicked: boolean;
  /** The first open hit and click hit in the scope, probes left out; null when none (an open known only from a click has no open hit). */
  firstOpenAt: number | null;
  firstClickAt: number | null;
}

export interface DrillPageRequest {
  of: DrillOf;
  selection: DrillSelection;
  /** Whose engagement the rows show. */
  scope: Scope;
  /** Lower-cased address prefix. */
  address?: string | undefined;
  /** Rows after this message id. */
  after?: number | undefined;
  limit: number;
}

export interface DrillDownStore {
  /** At most `limit` rows of the selection, in message id order, after `after`. */
  page(request: DrillPageRequest): Promise<DrillRow[]>;
}

/** A message sent to a contact, with its status and the reason it is counted under. */
export interface ContactMessage {
  messageId: number;
  campaignId: number;
  campaignName: string;
  executionId: number;
  subject: string;
  createdAt: number;
  status: StatusKey;
  reason: string | null;
}

/** An event of a contact's messages, as its timeline shows it. */
export interface TimelineEvent {
  id: number;
  messageId: number;
  campaignId: number;
  executionId: number;
  type: string;
  subtype: string | null;
  at: number;
  source: string;
  /** The HTTP method of a hit (HEAD: a probe, never an open or click); null for other events. */
  method: string | null;
  linkOrdinal: number | null;
  /** The clicked link occurrence's destination. */
  url: string | null;
  verdict: string | null;
  reasons: string[];
  /** Why, for bounces, deferrals and blocks. */
  reason: string | null;
}

/** A campaign's status for a contact: that of its message of highest precedence (the lowest id of equals). */
export interface CampaignStatus {
  status: StatusKey;
  reason: string | null;
  messageId: number;
}

export interface ContactListRow {
  contact: Pick<Contact, 'id' | 'email' | 'createdAt'>;
  /** Per chosen campaign; null when the campaign sent the contact nothing. */
  statuses: Map<number, CampaignStatus | null>;
}

/** Where a page of the contacts list starts: after an address (by address), or after a status rank and message (by a campaign's status). */
export type ContactCursor = { email: string } | { rank: number; messageId: number };

export interface ContactListRequest {
  campaigns: readonly number[];
  /**
   * The campaign whose status orders the rows (highest precedence first, then message id); only
   * contacts it sent a message to are listed. Absent: by address.
   */
  by: number | null;
  /** Per campaign, the statuses a contact's status there must be one of. */
  status: ReadonlyMap<number, readonly StatusKey[]>;
  /** Lower-cased address prefix. */
  q?: string | undefined;
  after?: ContactCursor | undefined;
  limit: number;
}

/**
 * Rows of the contacts list; `resume` when the store stopped looking before it found `limit` rows
 * (a page reads a bounded number of rows): where the next page goes on from.
 */
export interface ContactListPart {
  rows: ContactListRow[];
  resume: ContactCursor | null;
}

export interface ContactStore {
  get(id: number): Promise<Contact | null>;
  findByEmail(email: string): Promise<Contact | null>;
  /** Its messages, newest first, before message id `before`. */
  messages(contactId: number, before: number | undefined, limit: number): Promise<ContactMessage[]>;
  /** Its messages' events, newest first (by time, then id), before `before`. */
  timeline(contactId: number, before: { at: number; id: number } | undefined, limit: number): Promise<TimelineEvent[]>;
  /** At most `limit` rows of the contacts list. */
  list(request: ContactListRequest): Promise<ContactListPart>;
}

/** What the service needs to say that a campaign or an execution does not exist. */
export interface CatalogCheck {
  requireCampaign(id: number): Promise<unknown>;
  requireExecution(id: number): Promise<unknown>;
}

/** The rank of a status: its place in STATUS_PRECEDENCE, 0 the highest. */
export const statusRank = (key: StatusKey): number => STATUS_PRECEDENCE.findIndex((s) => s.key === key);

/** Of a contact's messages in one campaign, the one whose status stands for the campaign. */
export function campaignStatusOf(messages: readonly CampaignStatus[]): CampaignStatus | null {
  let best: CampaignStatus | null = null;
  for (const m of messages) {
    if (best === null) best = m;
    else {
      const d = statusRank(m.status) - statusRank(best.status);
      if (d < 0 || (d === 0 && m.messageId < best.messageId)) best = m;
    }
  }
  return best;
}

export interface DrillInput {
  figure: DrillFigure;
  scope: Scope;
  reason?: string | undefined;
  ordinal?: number | undefined;
  address?: string | undefined;
  after?: number | undefined;
  limit?: number | undefined;
}

export interface Page<T> {
  rows: T[];
  next: string | null;
}

export const DRILL_CSV_COLUMNS = [
  'message_id',
  'campaign_id',
  'execution_id',
  'contact_id',
  'email',
  'status',
  'reason',
  'provider',
  'created_at',
  'opened',
  'clicked',
  'first_open_at',
  'first_click_at',
] as const;

const iso = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());

function csvRecord(r: DrillRow): string {
  return formatCsvRecord([
    String(r.messageId),
    String(r.campaignId),
    String(r.executionId),
    r.contactId === null ? '' : String(r.contactId),
    r.email,
    r.status,
    r.reason ?? '',
    r.provider,
    iso(r.createdAt),
    String(r.opened),
    String(r.clicked),
    iso(r.firstOpenAt),
    iso(r.firstClickAt),
  ]);
}

/** The contacts list as asked for (query of GET /api/contacts). */
export interface ContactListInput {
  campaigns: number[];
  sort?: number | undefined;
  /** Campaign id -> the statuses its column must be one of. */
  status: Record<string, string[]>;
  q?: string | undefined;
  after?: string | undefined;
  limit: number;
}

/** A row of the contacts list as answered: the columns by campaign id. */
export interface ContactListEntry {
  contact: ContactListRow['contact'];
  statuses: Record<string, CampaignStatus | null>;
}

export class ContactService {
  constructor(
    private readonly drill: DrillDownStore,
    private readonly contacts: ContactStore,
    private readonly catalog: CatalogCheck,
  ) {}

  async drillPage(of: DrillOf, input: DrillInput): Promise<Page<DrillRow>> {
    const limit = input.limit ?? DEFAULT_DRILL_PAGE;
    const request = await this.#drillRequest(of, input, limit + 1);
    const rows = await this.drill.page(request);
    const page = rows.slice(0, limit);
    return { rows: page, next: rows.length > limit ? String(page.at(-1)!.messageId) : null };
  }

  /** The CSV of the whole list (from `after`), a header then one record per row, read a page at a time. */
  async drillCsv(of: DrillOf, input: DrillInput): Promise<AsyncGenerator<string>> {
    // Checked before the first byte is sent, so that a bad request is a 400, not a broken download.
    const request = await this.#drillRequest(of, input, EXPORT_PAGE);
    const drill = this.drill;
    return (async function* () {
      yield formatCsvRecord(DRILL_CSV_COLUMNS);
      let after = request.after;
      for (;;) {
        const rows = await drill.page({ ...request, after });
        let chunk = '';
        for (const row of rows) chunk += csvRecord(row);
        if (chunk) yield chunk;
        if (rows.length < EXPORT_PAGE) return;
        after = rows.at(-1)!.messageId;
      }
    })();
  }

  async #drillRequest(of: DrillOf, input: DrillInput, limit: number): Promise<DrillPageRequest> {
    let selection: DrillSelection;
    try {
      selection = drillSelection({ figure: input.figure, scope: input.scope, reason: input.reason, ordinal: input.ordinal });
    } catch (error) {
      if (error instanceof DrillListError) throw new MailsightError('VALIDATION', `query: ${error.message}`);
      throw error;
    }
    await this.requireOwner(of);
    const address = input.address === undefined ? undefined : normalizeEmail(input.address);
    return { of, selection, scope: input.scope, address: address || undefined, after: input.after, limit };
  }

  /** 404 unless the campaign or execution exists. */
  async requireOwner(of: DrillOf): Promise<void> {
    if ('campaignId' in of) await this.catalog.requireCampaign(of.campaignId);
    else await this.catalog.requireExecution(of.executionId);
  }

  async contact(id: number, limit: number): Promise<{ contact: Contact; messages: Page<ContactMessage>; timeline: Page<TimelineEvent> }> {
    const contact = await this.contacts.get(id);
    if (!contact) throw notFound('contact', id);
    return this.#withHistory(contact, limit);
  }

  async contactByAddress(address: string, limit: number): Promise<{ contact: Contact; messages: Page<ContactMessage>; timeline: Page<TimelineEvent> }> {
    const email = normalizeEmail(address);
    const contact = await this.contacts.findByEmail(email);
    if (!contact) throw notFound('contact', email);
    return this.#withHistory(contact, limit);
  }

  async #withHistory(contact: Contact, limit: number) {
    const [messages, timeline] = await Promise.all([this.#messages(contact.id, undefined, limit), this.#timeline(contact.id, undefined, limit)]);
    return { contact, messages, timeline };
  }

  async messages(contactId: number, before: string | undefined, limit: number): Promise<Page<ContactMessage>> {
    await this.#requireContact(contactId);
    if (before !== undefined && !/^[1-9][0-9]*$/.test(before)) throw new MailsightError('VALIDATION', `after: not the \`next\` of a previous page of messages: ${JSON.stringify(before)}`);
    return this.#messages(contactId, before === undefined ? undefined : Number(before), limit);
  }

  async timeline(contactId: number, before: string | undefined, limit: number): Promise<Page<TimelineEvent>> {
    await this.#requireContact(contactId);
    return this.#timeline(contactId, before === undefined ? undefined : parseTimelineCursor(before), limit);
  }

  async #requireContact(id: number): Promise<void> {
    if (!(await this.contacts.get(id))) throw notFound('contact', id);
  }

  async #messages(contactId: number, before: number | undefined, limit: number): Promise<Page<ContactMessage>> {
    const rows = await this.contacts.messages(contactId, before, limit + 1);
    const page = rows.slice(0, limit);
    return { rows: page, next: rows.length > limit ? String(page.at(-1)!.messageId) : null };
  }

  async #timeline(contactId: number, before: { at: number; id: number } | undefined, limit: number): Promise<Page<TimelineEvent>> {
    const rows = await this.contacts.timeline(contactId, before, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { rows: page, next: rows.length > limit && last ? `${last.at}.${last.id}` : null };
  }

  async list(input: ContactListInput): Promise<Page<ContactListEntry> & { campaigns: number[] }> {
    const campaigns = [...new Set(input.campaigns)];
    if (campaigns.length > MAX_CAMPAIGN_COLUMNS) throw new MailsightError('VALIDATION', `campaigns: at most ${MAX_CAMPAIGN_COLUMNS} campaign columns`);
    for (const key of [...(input.sort === undefined ? [] : [input.sort]), ...Object.keys(input.status).map(Number)]) {
      if (!campaigns.includes(key)) throw new MailsightError('VALIDATION', `campaign ${key} is sorted or filtered on but not in campaigns: add it to campaigns`);
    }
    for (const id of campaigns) await this.catalog.requireCampaign(id);
    const status = new Map(Object.entries(input.status).map(([k, v]) => [Number(k), v as StatusKey[]]));
    // A filter needs a campaign to walk: the sorted one, else the first filtered one (see the docs).
    const by = input.sort ?? (status.size > 0 ? [...status.keys()][0]! : null);
    const after = input.after === undefined ? undefined : parseContactCursor(input.after, by);
    const q = input.q === undefined ? undefined : normalizeEmail(input.q) || undefined;
    const { rows, resume } = await this.contacts.list({ campaigns, by, status, q, after, limit: input.limit + 1 });
    const page = rows.slice(0, input.limit);
    const last = page.at(-1);
    let next: string | null = null;
    if (rows.length > input.limit && last) {
      const column = by === null ? null : last.statuses.get(by);
      next = column ? `${statusRank(column.status)}.${column.messageId}` : last.contact.email;
    } else if (resume) {
      next = 'email' in resume ? resume.email : `${resume.rank}.${resume.messageId}`;
    }
    return { campaigns, rows: page.map((r) => ({ contact: r.contact, statuses: Object.fromEntries(r.statuses) })), next };
  }
}

function parseTimelineCursor(text: string): { at: number; id: number } {
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match) throw new MailsightError('VALIDATION', `after: not the \`next\` of a previous timeline page: ${JSON.stringify(text)}`);
  return { at: Number(match[1]), id: Number(match[2]) };
}

/** By a campaign's status the cursor is `<rank>.<message id>`; by address it is the last address. */
function parseContactCursor(text: string, by: number | null): ContactCursor {
  if (by === null) return { email: text };
  const match = /^(\d+)\.(\d+)$/.exec(text);
  if (!match || Number(match[1]) >= STATUS_PRECEDENCE.length) throw new MailsightError('VALIDATION', `after: not the \`next\` of a previous page of this list: ${JSON.stringify(text)}`);
  return { rank: Number(match[1]), messageId: Number(match[2]) };
}
