/**
 * Bounce and complaint mail, from the SMTP receiver or from files, into the one ingestion pipeline:
 * the core's parser reads the mail (DSN, ARF, the common non-standard formats, auto-replies) into
 * reported outcomes, and the ingestion records them. A mail that yields nothing to record is kept
 * for review with the reason: never dropped.
 */
import type { ReportedOutcome } from '../core/outcomes/reported-outcome.js';
import type { IngestionService, IngestItem, IngestResult } from './ingestion.js';

export interface MailToIngest {
  raw: Buffer;
  /** Where it came from: 'smtp', or 'file:<path>'. */
  origin: string;
  /** The SMTP envelope's recipients, where the VERP token is looked for first. */
  envelopeRecipients?: readonly string[];
}

/** What the core's parser makes of one mail (src/core/bounces). */
export type ReadMail =
  | { kind: 'report'; outcomes: ReportedOutcome[] }
  | { kind: 'auto-reply'; outcomes: ReportedOutcome[] }
  | { kind: 'not-a-report' | 'unparseable'; reason: string };

export type MailReader = (raw: Buffer, envelopeRecipients: readonly string[]) => ReadMail;

export type MailIngestResult = IngestResult & { kept: 'unparseable' | 'not-a-report' | 'auto-reply' | null };

export class MailIngestion {
  constructor(
    private readonly ingestion: IngestionService,
    private readonly read: MailReader,
  ) {}

  /** Reads and records one mail; `origin` says where it came from ('smtp', or the file). */
  async ingest(raw: Buffer, origin: string, envelopeRecipients: readonly string[] = []): Promise<MailIngestResult> {
    return (await this.ingestMany([{ raw, origin, envelopeRecipients }]))[0]!;
  }

  /**
   * Reads several mails and records them in one transaction (all or none): `ingest-mail` takes files
   * by the batch, one commit for many mails instead of one each (bench:ingest).
   */
  async ingestMany(mails: readonly MailToIngest[]): Promise<MailIngestResult[]> {
    const items = mails.map((mail) => this.item(mail));
    const results = await this.ingestion.ingestAll(items);
    return results.map((result, i) => ({ ...result, kept: items[i]!.keep?.state ?? null }));
  }

  private item({ raw, origin, envelopeRecipients = [] }: MailToIngest): IngestItem {
    const result = this.readSafely(raw, envelopeRecipients);
    const from = { origin, raw };
    if (result.kind !== 'report' && result.kind !== 'auto-reply') return { outcomes: [], from, keep: { state: result.kind, reason: result.reason } };
    // A report or an auto-reply naming no recipient would leave nothing to store: the mail is kept whole.
    if (result.outcomes.length === 0) {
      const keep = result.kind === 'auto-reply' ? ({ state: 'auto-reply', reason: 'an auto-reply (RFC 3834) naming no recipient' } as const) : ({ state: 'unparseable', reason: 'a report naming no recipient that could be read' } as const);
      return { outcomes: [], from, keep };
    }
    const outcomes = result.kind === 'auto-reply' ? result.outcomes.map((o) => ({ ...o, kind: 'auto-reply' as const })) : result.outcomes;
    return { outcomes, from };
  }

  private readSafely(raw: Buffer, envelopeRecipients: readonly string[]): ReadMail {
    try {
      return this.read(raw, envelopeRecipients);
    } catch (error) {
      // The parser must not throw; if it does, the mail is kept with the reason rather than lost.
      return { kind: 'unparseable', reason: `the parser failed: ${(error as Error).message}` };
    }
  }
}
