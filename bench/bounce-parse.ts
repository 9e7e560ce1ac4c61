/**
 * `npm run bench:bounces [-- <dir of .eml>]`: messages per second that parseBounceMail (MIME reading,
 * report parsing and classification) handles on one core, over the labelled corpus
 * (../shared/corpus/sisimai-dev/eml unless a directory is given), every file once per pass.
 * Beside it, in the same run and on the same buffers, two baselines: splitting the raw text into
 * lines (the least any parser does) and reading the top header only (readMime on the header block).
 * Each figure is the median of ROUNDS passes, after a warm-up pass. Goal: >= 1,500 messages/s.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseBounceMail } from '../src/core/bounces/parse-bounce-mail.js';
import { readMime } from '../src/core/bounces/mime-reader.js';
import { median } from './support/stats.js';

/** Passes over the corpus per figure. */
const ROUNDS = 7;
/** Corpus passes in one round: enough for a round to last a few hundred milliseconds. */
const PASSES_PER_ROUND = 5;

const directory = process.argv[2] ?? path.resolve(process.cwd(), '..', 'shared', 'corpus', 'sisimai-dev', 'eml');
const files = readdirSync(directory).filter((name) => name.endsWith('.eml')).sort();
const mails = files.map((name) => readFileSync(path.join(directory, name)));
const bytes = mails.reduce((sum, mail) => sum + mail.length, 0);

let sink = 0;

/** Messages per second of `work` over every mail, PASSES_PER_ROUND times. */
function messagesPerSecond(work: (mail: Buffer) => number): number {
  const start = performance.now();
  for (let pass = 0; pass < PASSES_PER_ROUND; pass++) for (const mail of mails) sink += work(mail);
  const seconds = (performance.now() - start) / 1000;
  return (mails.length * PASSES_PER_ROUND) / seconds;
}

function headerOnly(mail: Buffer): Buffer {
  const end = mail.indexOf('\n\n');
  return end < 0 ? mail : mail.subarray(0, end + 1);
}

const candidates: ReadonlyArray<readonly [string, (mail: Buffer) => number]> = [
  ['split into lines (baseline)', (mail) => mail.toString('latin1').split('\n').length],
  ['read the header only (baseline)', (mail) => (readMime(headerOnly(mail)).ok ? 1 : 0)],
  ['parseBounceMail', (mail) => {
    const result = parseBounceMail(mail);
    return result.kind === 'report' || result.kind === 'auto-reply' ? result.outcomes.length : 0;
  }],
];

console.log(`${mails.length} messages, ${(bytes / 1024).toFixed(0)} KiB, from ${directory}`);
for (const [, work] of candidates) messagesPerSecond(work);
const rounds = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) for (const [name, work] of candidates) rounds.get(name)!.push(messagesPerSecond(work));
for (const [name] of candidates) {
  const rate = median(rounds.get(name)!);
  console.log(`${name.padEnd(34)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} messages/s  ${((rate * bytes) / mails.length / 1024 / 1024).toFixed(1).padStart(7)} MiB/s`);
}
if (sink === -1) console.log('');
