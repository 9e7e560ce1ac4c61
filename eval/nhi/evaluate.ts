/**
 * CLI: replays labelled scenarios through the real server and scores its verdicts.
 *   npm run eval:nhi -- <scenarios.jsonl> [--self-networks CIDR,...] [--examples N]
 * Exit 0 when the evaluation ran (whatever the scores), 2 on invalid input, 1 on a broken server.
 * The last line is the headline: `nhi: bot_click_precision=... human_open_as_machine=...`.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isbotVerdict } from './baseline.js';
import { SENDER_OFFICE_NETWORK } from './networks.js';
import { replayScenarios } from './replay.js';
import { formatExamples, formatMatrix, scoreHits } from './report.js';
import { formatScenarioError, parseScenarios } from './scenario-schema.js';
import { formatHeadline, headline, rowTotal, type Matrix } from './scoring.js';
import { VERDICTS } from './scenario-schema.js';

const rowsTotal = (m: Matrix) => VERDICTS.reduce((n, t) => n + rowTotal(m, t), 0);

/** Bad lines listed before the rest are only counted. */
const MAX_LISTED_ERRORS = 50;

function usage(message: string): never {
  console.error(`${message}\nusage: evaluate <scenarios.jsonl> [--self-networks CIDR,...] [--examples N]`);
  process.exit(2);
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { 'self-networks': { type: 'string', default: SENDER_OFFICE_NETWORK }, examples: { type: 'string', default: '10' } },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) usage('expected exactly one scenario file');
  const examples = Number(values.examples);
  if (!Number.isInteger(examples) || examples < 0) usage('--examples must be a non-negative integer');
  const selfNetworks = values['self-networks'].split(',').map((s) => s.trim()).filter(Boolean);

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  const { scenarios, errors } = parseScenarios(text);
  if (errors.length > 0) {
    for (const error of errors.slice(0, MAX_LISTED_ERRORS)) console.error(`${file}: ${formatScenarioError(error)}`);
    if (errors.length > MAX_LISTED_ERRORS) console.error(`... and ${errors.length - MAX_LISTED_ERRORS} more`);
    console.error(`${file}: ${errors.length} problem(s); nothing replayed`);
    process.exit(2);
  }
  if (scenarios.length === 0) usage(`${file} holds no scenarios`);

  const count = (kind: string) => scenarios.reduce((n, s) => n + s.hits.filter((h) => h.kind === kind).length, 0);
  console.log(`nhi eval: ${file}: ${scenarios.length} messages; hits: ${count('open')} opens, ${count('click')} clicks, ${count('unsubscribe-page')} unsubscribe pages; self networks ${selfNetworks.join(',') || '(none)'}`);

  const result = await replayScenarios(scenarios, { selfNetworks, warn: (message) => console.log(message) });
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const perSecond = (n: number, ms: number) => (ms > 0 ? Math.round(n / (ms / 1000)) : 0);
  console.log(
    `replay: ${seconds(result.totalMs)} in all, ${result.requests} requests; timeline ${seconds(result.timelineMs)}: ` +
      `${result.hits.length} hits in ${seconds(result.stepMs.hit)} (${perSecond(result.hits.length, result.stepMs.hit)} hits/s), ` +
      `${scenarios.length} messages created in ${seconds(result.stepMs.create)}, delivery reports ${seconds(result.stepMs.delivery)}`,
  );
  if (result.unexpected.length > 0) {
    console.log(`unexpected statuses: ${result.unexpected.length}`);
    for (const u of result.unexpected.slice(0, 10)) console.log(`  ${u.message} hit #${u.hitIndex + 1} ${u.kind} ${u.method}: ${u.status} (expected ${u.expected})`);
  } else {
    console.log('unexpected statuses: none');
  }

  const ours = scoreHits(result.hits, (r) => r.verdict);
  console.log('');
  for (const line of [...formatMatrix('mailsight: opens', ours.opens), ...formatMatrix('mailsight: clicks', ours.clicks)]) console.log(line);
  console.log('');
  console.log('misclassified examples:');
  for (const line of formatExamples(result.hits, examples)) console.log(line);

  const families = new Map(scenarios.map((s) => [s.message, s.family ?? 'base']));
  const familyNames = [...new Set(families.values())];
  if (familyNames.length > 1 || familyNames[0] !== 'base') {
    console.log('');
    console.log('per scenario family (all of them together: the last line):');
    for (const family of familyNames) {
      const own = scoreHits(result.hits.filter((r) => families.get(r.message) === family), (r) => r.verdict);
      console.log(formatHeadline(`family ${family} (${rowsTotal(own.opens)} opens, ${rowsTotal(own.clicks)} clicks)`, headline(own.opens, own.clicks)));
    }
  }

  const baseline = scoreHits(result.hits, (r) => isbotVerdict(r.hit.kind, r.hit.ua));
  console.log('');
  for (const line of [...formatMatrix('baseline(isbot): opens', baseline.opens), ...formatMatrix('baseline(isbot): clicks', baseline.clicks)]) console.log(line);
  console.log('');
  console.log(formatHeadline('baseline(isbot)', headline(baseline.opens, baseline.clicks)));
  console.log(formatHeadline('nhi', headline(ours.opens, ours.clicks)));
}

main().catch((error: unknown) => {
  console.error(`nhi eval failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
