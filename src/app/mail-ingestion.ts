/**
 * Bounce and complaint mail, from the SMTP receiver or from files, into the one ingestion pipeline:
 * the core's parser reads the mail (DSN, ARF, the common non-standard formats, auto-replies) into
 * reported outcomes, and the ingestion records them. A mail that yields nothing to record is kept
 * for review with the reason: never dropped.
 */
import type { ReportedOutcome } from '../core/outcomes/reported-outcome.js';
import type { IngestionService, IngestResult } from './ingestion.js';

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
    const result = this.readSafely(raw, envelopeRecipients);
    if (result.kind !== 'report' && result.kind !== 'auto-reply') {
      await this.ingestion.keep(result.kind, result.reason, raw, origin);
      return { received: 0, recorded: 0, duplicates: 0, unmatched: 0, keptApart: 0, kept: result.kind };
    }
    // A report or an auto-reply naming no recipient would leave nothing to store: the mail is kept whole.
    if (result.outcomes.length === 0) {
      const [state, reason] = result.kind === 'auto-reply' ? (['auto-reply', 'an auto-reply (RFC 3834) naming no recipient'] as const) : (['unparseable', 'a report naming no recipient that could be read'] as const);
      await this.ingestion.keep(state, reason, raw, origin);
      return { received: 0, recorded: 0, duplicates: 0, unmatched: 0, keptApart: 0, kept: state };
    }
    const outcomes = result.kind === 'auto-reply' ? result.outcomes.map((o) => ({ ...o, kind: 'auto-reply' as const })) : result.outcomes;
    return { ...(await this.ingestion.ingest(outcomes, { origin, raw })), kept: null };
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
