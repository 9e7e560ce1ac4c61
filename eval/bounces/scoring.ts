/**
 * Scores parseBounceMail against the labelled corpus (../shared/corpus/sisimai-dev/README.md):
 * each labelled recipient is matched to the outcome at the same position (label index 1 is the
 * first outcome). A labelled recipient with no outcome at its position counts as a miss on all three
 * figures; outcomes beyond the labelled ones are not counted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseBounceMail, type BounceMailResult } from '../../src/core/bounces/parse-bounce-mail.js';
import type { ReportedOutcome } from '../../src/core/outcomes/reported-outcome.js';

export interface LabelledRecipient {
  index: number;
  status: string;
  replyCode: string;
  reason: string;
  hardBounce: boolean;
  feedbackType: string;
}

export interface Label {
  file: string;
  recipients: LabelledRecipient[];
}

export interface RecipientScore {
  file: string;
  label: LabelledRecipient;
  outcome: ReportedOutcome | null;
  predictedReason: string | null;
  predictedHard: boolean | null;
}

export interface CorpusScore {
  files: number;
  recipients: number;
  addressFound: number;
  hardSoftAgreed: number;
  reasonAgreed: number;
  scores: RecipientScore[];
}

export function readLabels(file: string): Label[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Label);
}

/**
 * The label vocabulary for an outcome: complaints, unsubscribes and authentication reports from ARF
 * are sisimai's "feedback", an auto-reply its "vacation"; a bounce, deferral or delivery its reason.
 */
export function labelReason(outcome: ReportedOutcome): string {
  switch (outcome.kind) {
    case 'complained':
    case 'unsubscribed':
    case 'auth-failure':
    case 'not-spam':
      return 'feedback';
    case 'auto-reply':
      return 'vacation';
    default:
      return outcome.bounce?.reason ?? 'undefined';
  }
}

function outcomesOf(result: BounceMailResult): ReportedOutcome[] {
  return result.kind === 'report' || result.kind === 'auto-reply' ? result.outcomes : [];
}

export function scoreCorpus(emlDir: string, labels: readonly Label[]): CorpusScore {
  const score: CorpusScore = { files: 0, recipients: 0, addressFound: 0, hardSoftAgreed: 0, reasonAgreed: 0, scores: [] };
  const available = new Set(readdirSync(emlDir));
  for (const label of labels) {
    if (!available.has(label.file)) continue;
    score.files++;
    const outcomes = outcomesOf(parseBounceMail(readFileSync(path.join(emlDir, label.file))));
    for (const recipient of label.recipients) {
      const outcome = outcomes[recipient.index - 1] ?? null;
      const predictedReason = outcome ? labelReason(outcome) : null;
      const predictedHard = outcome ? (outcome.bounce?.hard ?? false) : null;
      score.recipients++;
      if (outcome?.recipient) score.addressFound++;
      if (predictedHard === recipient.hardBounce) score.hardSoftAgreed++;
      if (predictedReason === recipient.reason) score.reasonAgreed++;
      score.scores.push({ file: label.file, label: recipient, outcome, predictedReason, predictedHard });
    }
  }
  return score;
}

function share(count: number, total: number): string {
  return total === 0 ? '0.00' : (count / total).toFixed(2);
}

/** The headline, the evaluation's last line. */
export function formatHeadline(score: CorpusScore): string {
  return `bounces: files=${score.files} recipients=${score.recipients} address=${share(score.addressFound, score.recipients)} hardsoft=${share(score.hardSoftAgreed, score.recipients)} reason=${share(score.reasonAgreed, score.recipients)}`;
}

/** Per labelled reason: how many, how many agreed, and what was predicted instead. */
export function formatReasonTable(score: CorpusScore): string[] {
  const byReason = new Map<string, { total: number; agreed: number; instead: Map<string, number> }>();
  for (const entry of score.scores) {
    const row = byReason.get(entry.label.reason) ?? { total: 0, agreed: 0, instead: new Map<string, number>() };
    row.total++;
    if (entry.predictedReason === entry.label.reason) row.agreed++;
    else row.instead.set(entry.predictedReason ?? '(none)', (row.instead.get(entry.predictedReason ?? '(none)') ?? 0) + 1);
    byReason.set(entry.label.reason, row);
  }
  const rows = [...byReason.entries()].sort((a, b) => b[1].total - a[1].total);
  return [
    'label reason      count agreed  predicted instead',
    ...rows.map(([reason, row]) => {
      const instead = [...row.instead.entries()].sort((a, b) => b[1] - a[1]).map(([name, count]) => `${name}:${count}`).join(' ');
      return `${reason.padEnd(17)} ${String(row.total).padStart(5)} ${String(row.agreed).padStart(6)}  ${instead}`;
    }),
  ];
}

/** The hard/soft confusion matrix: rows are labels, columns predictions (none = no outcome at that position). */
export function formatHardSoftMatrix(score: CorpusScore): string[] {
  const cell = (label: boolean, predicted: boolean | null): number => score.scores.filter((entry) => entry.label.hardBounce === label && entry.predictedHard === predicted).length;
  return [
    'hard/soft         predicted hard  predicted soft  no outcome',
    `labelled hard     ${String(cell(true, true)).padStart(14)}  ${String(cell(true, false)).padStart(14)}  ${String(cell(true, null)).padStart(10)}`,
    `labelled soft     ${String(cell(false, true)).padStart(14)}  ${String(cell(false, false)).padStart(14)}  ${String(cell(false, null)).padStart(10)}`,
  ];
}
