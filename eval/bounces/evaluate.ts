/**
 * CLI: parses every labelled .eml with parseBounceMail and scores the outcomes against the labels.
 *   npm run eval:bounces -- <dir of .eml> <labels.jsonl> [--misses]
 * Labelled recipients are matched to outcomes by position; one with no outcome counts as a miss on
 * address, hard/soft and reason alike (eval/bounces/scoring.ts). With --misses, every disagreement
 * is listed before the tables. The last line is the headline:
 *   bounces: files=352 recipients=378 address=... hardsoft=... reason=...
 * Exit 0 when the evaluation ran, 2 on bad arguments.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatHardSoftMatrix, formatHeadline, formatReasonTable, readLabels, scoreCorpus } from './scoring.js';

function usage(message: string): never {
  console.error(`${message}\nusage: evaluate <dir of .eml> <labels.jsonl> [--misses]`);
  process.exit(2);
}

function main(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { misses: { type: 'boolean', default: false } } });
  const [emlDir, labelsFile] = positionals;
  if (!emlDir || !labelsFile || positionals.length !== 2) usage('expected a directory of .eml files and a labels file');
  if (!existsSync(emlDir)) usage(`no such directory: ${emlDir}`);
  if (!existsSync(labelsFile)) usage(`no such file: ${labelsFile}`);

  const score = scoreCorpus(emlDir, readLabels(labelsFile));
  if (values.misses) {
    for (const entry of score.scores) {
      const { label, outcome } = entry;
      if (entry.predictedReason === label.reason && entry.predictedHard === label.hardBounce && outcome?.recipient) continue;
      const diagnostic = outcome?.bounce?.diagnostic?.slice(0, 160) ?? '';
      console.log(
        `${entry.file}#${label.index} label=${label.reason}/${label.status}/${label.replyCode} got=${entry.predictedReason ?? '-'}/${outcome?.bounce?.status ?? ''}/${outcome?.bounce?.replyCode ?? ''} to=${outcome?.recipient ?? '-'} | ${diagnostic}`,
      );
    }
    console.log('');
  }
  for (const line of formatReasonTable(score)) console.log(line);
  console.log('');
  for (const line of formatHardSoftMatrix(score)) console.log(line);
  console.log('');
  console.log(formatHeadline(score));
}

main();
