/**
 * `mailsight ingest-mail <file|dir|mbox|maildir>...`: bounce and complaint mail collected elsewhere
 * (a mailbox the bounces went to, an archive) through the same pipeline as the SMTP receiver. Safe
 * to run again over the same mail: each fact is recorded once, each kept mail stored once.
 */
import { loadConfig } from '../config.js';
import { openMailIngestion } from '../compose.js';
import { readMail, type MailFile } from '../adapters/mail-files.js';

/** Mails recorded per transaction: a commit costs several times a mail's own work (bench:ingest). */
const MAILS_PER_TRANSACTION = 100;
import { errorMessage } from '../core/errors.js';

export async function ingestMailCommand(paths: string[]): Promise<number> {
  if (paths.length === 0) {
    console.error('mailsight ingest-mail: name at least one file, folder, mbox or Maildir');
    return 2;
  }
  const config = loadConfig();
  const { mail, close } = await openMailIngestion(config);
  const totals = { messages: 0, recorded: 0, duplicates: 0, unmatched: 0, keptApart: 0, unparseable: 0, notReports: 0, failed: 0 };
  // Mails are recorded by the batch, one transaction each: one commit for many mails (bench:ingest).
  let batch: MailFile[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const results = await mail.ingestMany(batch.map((f) => ({ raw: f.raw, origin: `file:${f.origin}` })));
    batch = [];
    for (const result of results) {
      totals.recorded += result.recorded;
      totals.duplicates += result.duplicates;
      totals.unmatched += result.unmatched;
      totals.keptApart += result.keptApart;
      if (result.kept === 'unparseable') totals.unparseable++;
      if (result.kept === 'not-a-report') totals.notReports++;
      if (result.kept === 'auto-reply') totals.keptApart++;
    }
  };
  try {
    for (const target of paths) {
      try {
        for await (const file of readMail(target)) {
          totals.messages++;
          batch.push(file);
          if (batch.length >= MAILS_PER_TRANSACTION) await flush();
        }
        await flush();
      } catch (error) {
        totals.failed++;
        console.error(`mailsight ingest-mail: ${target}: ${errorMessage(error)}`);
        // What was read before the error is recorded still (a failing database stops the command here).
        await flush();
      }
    }
  } finally {
    await close();
  }
  console.log(
    `${totals.messages} mail read: ${totals.recorded} events recorded, ${totals.duplicates} already recorded, ` +
      `${totals.unmatched} outcomes matched no message, ${totals.keptApart} kept apart (auth-failure reports, auto-replies), ` +
      `${totals.unparseable} unparseable and ${totals.notReports} not reports kept for review (GET /api/inbound-reports)`,
  );
  return totals.failed > 0 ? 1 : 0;
}
