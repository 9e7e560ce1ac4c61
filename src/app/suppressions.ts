/**
 * The suppression list as people manage it (the API and the CLI): list, read one with its history,
 * add, remove, import and export CSV. Every change is audited with who made it (the actor), when and
 * why (the note). Rules add entries by themselves as facts are recorded (storage's
 * applySuppressionRules); sends are blocked by CatalogStore.findSuppression alone.
 */
import { z } from 'zod';
import { MailsightError, notFound } from '../core/errors.js';
import { CsvError, formatCsvRecord, parseCsv } from '../core/csv.js';
import { SUPPRESSION_REASONS, isActive, isSuppressionReason, normalizeEmail, type SuppressionMerge, type SuppressionReason } from '../core/suppression-rules.js';
import type { Clock, ManualSuppression, SuppressionChange, SuppressionEntry, SuppressionState, SuppressionStore } from './ports.js';

/** An entry as shown: with whether it blocks sends now. */
export interface SuppressionView extends SuppressionEntry {
  active: boolean;
}

export interface SuppressionPage {
  suppressions: SuppressionView[];
  /** The `after` of the next page; null on the last. */
  next: string | null;
}

export interface SuppressionListOptions {
  reason?: SuppressionReason | undefined;
  state?: SuppressionState | undefined;
  prefix?: string | undefined;
  after?: string | undefined;
  limit?: number | undefined;
}

export interface ManualAdd {
  email: string;
  reason?: SuppressionReason | undefined;
  /** Epoch ms; null or absent: permanent. */
  expiresAt?: number | null | undefined;
  note?: string | null | undefined;
}

export interface ImportResult {
  rows: number;
  added: number;
  extended: number;
  /** Rows whose address already had an entry lasting as long or longer: never shortened. */
  unchanged: number;
}

/** Entries per page of a list, unless asked otherwise, and at most. */
export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;
/** Longest note kept with a change, in characters. */
export const MAX_NOTE_LENGTH = 1000;
/** Most rows an import takes in its one transaction (about 5 MB of CSV). */
export const MAX_IMPORT_ROWS = 100_000;

/** The import's columns; the export of the active list writes exactly these, so it imports again. */
export const CSV_COLUMNS = ['email', 'reason', 'expires_at', 'note'] as const;
/** Columns the full export adds; an import accepts them and ignores them. */
export const CSV_EXPORT_COLUMNS = ['state', 'source', 'actor', 'event_id', 'created_at'] as const;

const emailSchema = z.email();

/** The address, lower-cased, or a VALIDATION error naming `field` and the value. */
export function checkedEmail(value: string, field = 'email'): string {
  const email = normalizeEmail(value);
  if (!emailSchema.safeParse(email).success) throw new MailsightError('VALIDATION', `${field}: not an email address: ${JSON.stringify(value)}`);
  return email;
}

export function checkedReason(value: string, field = 'reason'): SuppressionReason {
  if (!isSuppressionReason(value)) throw new MailsightError('VALIDATION', `${field}: not one of ${SUPPRESSION_REASONS.map((r) => JSON.stringify(r)).join(', ')}: ${JSON.stringify(value)}`);
  return value;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
export const EXPIRY_EXPECTED = 'an ISO 8601 date or time such as 2027-03-01 or 2027-03-01T12:00:00Z (UTC unless an offset is given), or empty for permanent';

/** An expiry as people write it (CSV, CLI): epoch ms, null when empty (permanent), undefined when not a date. */
export function parseExpiry(text: string): number | null | undefined {
  const value = text.trim();
  if (value === '') return null;
  const date = DATE.exec(value);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    // 2027-02-30 would roll over into March: refused.
    return new Date(ms).toISOString().slice(0, 10) === value ? ms : undefined;
  }
  if (!DATE_TIME.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

export class SuppressionService {
  constructor(
    private readonly store: SuppressionStore,
    private readonly clock: Clock,
  ) {}

  async list(options: SuppressionListOptions = {}): Promise<SuppressionPage> {
    const limit = options.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new MailsightError('VALIDATION', `limit: must be an integer from 1 to ${MAX_PAGE_SIZE}: ${limit}`);
    const now = this.clock.now();
    const rows = await this.store.list({ reason: options.reason, state: options.state ?? 'active', prefix: options.prefix, after: options.after, limit: limit + 1 }, now);
    const page = rows.slice(0, limit).map((e) => this.view(e, now));
    return { suppressions: page, next: rows.length > limit ? page.at(-1)!.email : null };
  }

  /** The address's entry (null when it has none now) and every change to it; 404 when it never had one. */
  async get(email: string): Promise<{ suppression: SuppressionView | null; history: SuppressionChange[] }> {
    const address = checkedEmail(email);
    const [entry, history] = await Promise.all([this.store.get(address), this.store.history(address)]);
    if (!entry && history.length === 0) throw notFound('suppression of', address);
    return { suppression: entry ? this.view(entry, this.clock.now()) : null, history };
  }

  /**
   * Adds an entry by hand. An entry in force that lasts as long or longer stays as it is (`unchanged`):
   * to shorten one, remove it first.
   */
  async add(input: ManualAdd, actor: string): Promise<{ merge: SuppressionMerge; suppression: SuppressionView; change: SuppressionChange | null }> {
    const now = this.clock.now();
    const entry = this.manualEntry(input, now, 'manual');
    const [result] = await this.store.add([entry], actor, now);
    const stored = await this.store.get(entry.email);
    return { merge: result!.merge, suppression: this.view(stored!, now), change: result!.change };
  }

  /** Ends the address's entry, audited with the actor and the note; 404 when it has none. */
  async remove(email: string, note: string | null, actor: string): Promise<SuppressionChange> {
    const address = checkedEmail(email);
    const removed = await this.store.remove(address, actor, checkedNote(note), this.clock.now());
    if (!removed) throw notFound('suppression of', address);
    return removed;
  }

  /**
   * Imports a CSV file (header `email,reason,expires_at,note`), all or nothing: every row is checked
   * before anything is written, and the first bad one refuses the file naming its line and what is
   * wrong. The rows are then written in one transaction.
   */
  async importCsv(text: string, actor: string): Promise<ImportResult> {
    const now = this.clock.now();
    const entries = this.csvEntries(text, now);
    const results = await this.store.add(entries, actor, now);
    const count = (merge: SuppressionMerge) => results.filter((r) => r.merge === merge).length;
    return { rows: entries.length, added: count('added'), extended: count('extended'), unchanged: count('unchanged') };
  }

  /**
   * The list as CSV: the entries in force in the import's columns (an export imports again as it
   * is), or with `all` every entry, expired ones too, with its state and where it came from.
   * Cells that a spreadsheet would run as a formula are neutralised (core/csv.ts).
   */
  async exportCsv(all: boolean): Promise<string> {
    const columns = all ? [...CSV_COLUMNS, ...CSV_EXPORT_COLUMNS] : [...CSV_COLUMNS];
    let csv = formatCsvRecord(columns);
    let after: string | undefined;
    for (;;) {
      const page = await this.list({ state: all ? 'all' : 'active', after, limit: MAX_PAGE_SIZE });
      for (const e of page.suppressions) {
        const fields = [e.email, e.reason, e.expiresAt === null ? '' : new Date(e.expiresAt).toISOString(), e.note ?? ''];
        if (all) fields.push(e.active ? 'active' : 'expired', e.source, e.actor ?? '', e.eventId === null ? '' : String(e.eventId), new Date(e.createdAt).toISOString());
        csv += formatCsvRecord(fields);
      }
      if (page.next === null) return csv;
      after = page.next;
    }
  }

  private view(entry: SuppressionEntry, now: number): SuppressionView {
    return { ...entry, active: isActive(entry, now) };
  }

  private manualEntry(input: ManualAdd, now: number, source: ManualSuppression['source'], field = (name: string) => name): ManualSuppression {
    const email = checkedEmail(input.email, field('email'));
    const reason = input.reason ?? 'manual';
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && expiresAt <= now) {
      throw new MailsightError('VALIDATION', `${field('expiresAt')}: ${new Date(expiresAt).toISOString()} is not in the future: the entry would block nothing`);
    }
    return { email, reason: checkedReason(reason, field('reason')), expiresAt, note: checkedNote(input.note ?? null, field('note')), source };
  }

  /** Every row of an import as an entry, or a VALIDATION error naming the first bad line. */
  private csvEntries(text: string, now: number): ManualSuppression[] {
    let records;
    try {
      records = parseCsv(text);
    } catch (error) {
      if (error instanceof CsvError) throw new MailsightError('VALIDATION', `CSV ${error.message}`);
      throw error;
    }
    const [header, ...rows] = records;
    const expected = CSV_COLUMNS.join(',');
    if (!header) throw new MailsightError('VALIDATION', `CSV line 1: empty file: expected the header ${expected}`);
    const fail = (line: number, problem: string) => new MailsightError('VALIDATION', `CSV line ${line}: ${problem}`);
    const known: readonly string[] = [...CSV_COLUMNS, ...CSV_EXPORT_COLUMNS];
    const names = header.fields.map((f) => f.trim().toLowerCase());
    for (const [i, name] of names.entries()) {
      if (!known.includes(name)) throw fail(header.line, `unknown column ${JSON.stringify(header.fields[i])}: expected the header ${expected}`);
      if (names.indexOf(name) !== i) throw fail(header.line, `column ${JSON.stringify(name)} appears twice`);
    }
    if (!names.includes('email')) throw fail(header.line, `no email column: expected the header ${expected}`);
    if (rows.length > MAX_IMPORT_ROWS) throw fail(rows[MAX_IMPORT_ROWS]!.line, `more than ${MAX_IMPORT_ROWS} rows: split the file`);
    const seen = new Map<string, number>();
    return rows.map(({ line, fields }) => {
      if (fields.length !== names.length) throw fail(line, `${fields.length} fields, the header has ${names.length}`);
      const cell = (name: string) => {
        const i = names.indexOf(name);
        return i < 0 ? '' : fields[i]!.trim();
      };
      const expiry = parseExpiry(cell('expires_at'));
      if (expiry === undefined) throw fail(line, `expires_at: not ${EXPIRY_EXPECTED}: ${JSON.stringify(cell('expires_at'))}`);
      let entry: ManualSuppression;
      try {
        entry = this.manualEntry({ email: cell('email'), reason: (cell('reason') || 'manual') as SuppressionReason, expiresAt: expiry, note: cell('note') || null }, now, 'import', (name) =>
          name === 'expiresAt' ? 'expires_at' : name,
        );
      } catch (error) {
        if (error instanceof MailsightError) throw fail(line, error.message);
        throw error;
      }
      const first = seen.get(entry.email);
      if (first !== undefined) throw fail(line, `${entry.email} appears again (first on line ${first})`);
      seen.set(entry.email, line);
      return entry;
    });
  }
}

function checkedNote(note: string | null, field = 'note'): string | null {
  if (note !== null && note.length > MAX_NOTE_LENGTH) throw new MailsightError('VALIDATION', `${field}: longer than ${MAX_NOTE_LENGTH} characters (${note.length})`);
  return note === '' ? null : note;
}
