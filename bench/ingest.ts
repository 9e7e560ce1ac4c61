/**
 * `npm run bench:ingest`: how many delivery outcomes a second the ingestion records on SQLite
 * (WAL, synchronous FULL, as the server opens it), beside baselines measured in the same run.
 *
 *   webhook   SendGrid batches of --batch events (bench/support/ingest-fixtures.ts: processed and
 *             delivered most, opens, clicks, deferrals, 3% bounces, a few spam reports and
 *             unsubscribes), each signed with an ECDSA P-256 key, through the real provider
 *             (createSendGridWebhook: authenticate, then parse) and IngestionService.ingest over the
 *             real store (dedupe, provider ids, suppressions). Then the same batches again: every
 *             event a duplicate (a provider's retry).
 *   fix       the same two passes on a third fresh database, with the verified tokens remembered
 *             (rememberingReferences, support/ingest-probes.ts): the change proposed for signedReferences, measured
 *             beside the code as it is.
 *   baseline  the same event rows (eventToRow) inserted with one prepared INSERT, --batch rows per
 *             transaction, into a second fresh database with the same messages; then inserted again
 *             with ON CONFLICT DO NOTHING, the baseline of the replay.
 *   mail      bounce mail through MailIngestion.ingest (parse, classify, match, record: one
 *             transaction per mail): Postfix's real DSNs rewritten per message, then the labelled
 *             corpus (mostly about messages that are not ours: kept for review). Its baseline: each
 *             mail kept raw in its own transaction (what one durable commit per mail costs). Beside
 *             it, parseBounceMail alone over the same mails, and splitting them into lines (baseline).
 *
 * Setup (messages, contacts, campaigns) is bulk-inserted and not measured. CPU timers around each step
 * of the webhook path (the provider's two calls, the ingestion, the store's calls: see `timed`) and the
 * token resolution and the store's INSERTs compiled alone (`tokenCost`, `compileCost` in support/ingest-probes.ts) say where the time
 * goes.
 *
 * Options: --messages N (20000), --batch N (1000), --mails N (2000 Postfix DSNs), --corpus DIR
 * (../shared/corpus/sisimai-dev/eml), --http (also through POST /webhooks/sendgrid with inject()).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { digestOf, IngestionService, signedReferences, type IngestBatch, type IngestionStore, type ReferenceResolver, type IngestResult } from '../src/app/ingestion.js';
import { MailIngestion } from '../src/app/mail-ingestion.js';
import { systemClock } from '../src/app/ports.js';
import { readBounceMail } from '../src/compose.js';
import { eventToRow } from '../src/adapters/storage/event-store.js';
import { createSendGridWebhook } from '../src/adapters/webhooks/sendgrid.js';
import type { WebhookProvider } from '../src/adapters/webhooks/provider.js';
import { parseBounceMail } from '../src/core/bounces/parse-bounce-mail.js';
import type { NewEvent } from '../src/core/events.js';
import { DEFAULT_SUPPRESSION_SETTINGS } from '../src/core/suppression-rules.js';
import { corpusBounces, createBenchDatabase, postfixBounces, sendGridEvents, signedBatches, type BenchDatabase, type BounceMail, type SignedBatch } from './support/ingest-fixtures.js';
import { measureHttp } from './support/ingest-http.js';
import { compileCost, cpuMicros, rememberingReferences, tokenCost } from './support/ingest-probes.js';
import { median } from './support/stats.js';
import { positiveInteger } from './support/options.js';

const { values: flags } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '1000' },
    mails: { type: 'string', default: '2000' },
    corpus: { type: 'string', default: path.resolve(process.cwd(), '..', 'shared', 'corpus', 'sisimai-dev', 'eml') },
    http: { type: 'boolean', default: false },
  },
});
const MESSAGES = positiveInteger('--messages', flags.messages);
const BATCH = positiveInteger('--batch', flags.batch);
const MAILS = positiveInteger('--mails', flags.mails);
const FIXTURES = path.resolve(process.cwd(), 'test', 'fixtures', 'postfix');

/** Goals of the issue: events a second through the webhook path, mails a second parsed and classified. */
const WEBHOOK_GOAL_EVENTS_PER_S = 20_000;
const MAIL_GOAL_PER_S = 1_500;
/** Messages of the warm-up database: a few batches through the webhook path before the measured passes. */
const WARM_UP_MESSAGES = 2_000;
/** Passes of parseBounceMail and of the line split over the mails; the median pass is printed. */
const PARSE_ROUNDS = 5;

/**
 * CPU microseconds (this process) spent in each named step, summed over a run. CPU rather than wall
 * time: on a shared machine the wall time of a step counts the time others took the cores. Each
 * reading is a system call, so only steps taken once per batch are timed.
 */
type Timers = Map<string, number>;

async function timedAsync<T>(timers: Timers, name: string, work: () => Promise<T>): Promise<T> {
  const start = cpuMicros();
  try {
    return await work();
  } finally {
    timers.set(name, (timers.get(name) ?? 0) + cpuMicros() - start);
  }
}

function timedSync<T>(timers: Timers, name: string, work: () => T): T {
  const start = cpuMicros();
  try {
    return work();
  } finally {
    timers.set(name, (timers.get(name) ?? 0) + cpuMicros() - start);
  }
}

/** The store with a timer around each call; `captured` gets the batches record() is given. */
function timed(store: IngestionStore, timers: Timers, captured: IngestBatch[]): IngestionStore {
  return {
      getMessages: (ids) => timedAsync(timers, 'store.getMessages', () => store.getMessages(ids)),
      findRefs: (provider, refs) => timedAsync(timers, 'store.findRefs', () => store.findRefs(provider, refs)),
      record: (batch, now, suppression) => {
        captured.push(batch);
        return timedAsync(timers, 'store.record', () => store.record(batch, now, suppression));
      },
      listInbound: (filter) => store.listInbound(filter),
      getInboundRaw: (id) => store.getInboundRaw(id),
  };
}

interface Run {
  seconds: number;
  cpuSeconds: number;
  count: number;
  timers: Timers;
  results: IngestResult[];
}

function cpuSecondsSince(before: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1e6;
}

/** Each batch through the provider (authenticate, parse) and the ingestion, one after the other. */
async function ingestBatches(provider: WebhookProvider, ingestion: IngestionService, batches: readonly SignedBatch[], timers: Timers): Promise<Run> {
  const results: IngestResult[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const batch of batches) {
    const request = { rawBody: batch.body, headers: batch.headers, query: {}, clientAddress: null, now: Date.now() };
    await timedAsync(timers, 'authenticate', () => provider.authenticate(request));
    const parsed = timedSync(timers, 'parse', () => provider.parse(request));
    results.push(await timedAsync(timers, 'ingest', () => ingestion.ingest(parsed.outcomes, { origin: 'webhook:sendgrid' })));
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds, cpuSeconds: cpuSecondsSince(cpu), count: batches.reduce((n, b) => n + b.events, 0), timers, results };
}

/**
 * The baselines: the same rows, one prepared INSERT, one transaction per batch, on a fresh database of
 * the same messages; then each mail kept in its own transaction.
 */
async function rawInserts(file: string, batches: readonly NewEvent[][], mails: readonly BounceMail[]): Promise<{ insert: Run; replay: Run; commit: Run }> {
  const setup = await createBenchDatabase(file, MESSAGES);
  await setup.storage.close();
  const sqlite = new Database(file);
  // As openDatabase sets the connection up.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  const columns = Object.keys(eventToRow(batches[0]![0]!, 0));
  const values = `(${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  const run = async (sql: string): Promise<Run> => {
    const statement = sqlite.prepare(sql);
    const write = sqlite.transaction((events: readonly NewEvent[], now: number) => {
      for (const event of events) statement.run(Object.values(eventToRow(event, now)));
    });
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (const events of batches) write(events, Date.now());
    const seconds = (performance.now() - start) / 1000;
    return { seconds, cpuSeconds: cpuSecondsSince(cpu), count: batches.reduce((n, b) => n + b.length, 0), timers: new Map(), results: [] };
  };
  const insert = await run(`insert into events ${values}`);
  const replay = await run(`insert into events ${values} on conflict (dedupe_key) where dedupe_key is not null do nothing`);
  // What any durable recorder of mail pays: each mail in its own transaction (the raw mail as the
  // ingestion keeps it, base64 under its digest), committed with synchronous=FULL.
  const keep = sqlite.prepare('insert into inbound_reports (digest, received_at, origin, state, reason, outcomes, raw) values (?, ?, ?, ?, ?, ?, ?) on conflict (digest) do nothing');
  const keepOne = sqlite.transaction((m: BounceMail) => keep.run(digestOf(m.raw), Date.now(), 'file', 'unmatched', 'baseline', null, m.raw.toString('base64')));
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const m of mails) keepOne(m);
  const commit: Run = { seconds: (performance.now() - start) / 1000, cpuSeconds: cpuSecondsSince(cpu), count: mails.length, timers: new Map(), results: [] };
  sqlite.close();
  return { insert, replay, commit };
}

async function ingestMails(mail: MailIngestion, mails: readonly BounceMail[]): Promise<Run> {
  const results: IngestResult[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (const m of mails) results.push(await mail.ingest(m.raw, 'file', m.rcptTo));
  const seconds = (performance.now() - start) / 1000;
  return { seconds, cpuSeconds: cpuSecondsSince(cpu), count: mails.length, timers: new Map(), results };
}

/** The same through MailIngestion.ingestMany, `perTransaction` mails a transaction, as `ingest-mail` records files. */
async function ingestMailsBatched(mail: MailIngestion, mails: readonly BounceMail[], perTransaction: number): Promise<Run> {
  const results: IngestResult[] = [];
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < mails.length; i += perTransaction) {
    results.push(...(await mail.ingestMany(mails.slice(i, i + perTransaction).map((m) => ({ raw: m.raw, origin: 'file', envelopeRecipients: m.rcptTo })))));
  }
  const seconds = (performance.now() - start) / 1000;
  return { seconds, cpuSeconds: cpuSecondsSince(cpu), count: mails.length, timers: new Map(), results };
}

/** Mails a transaction in the batched mail pass: ingest-mail's MAILS_PER_TRANSACTION. */
const MAILS_PER_TRANSACTION = 100;

/** Median messages a second of `work` over every mail, one pass per round, after a warm-up pass. */
function mailsPerSecond(mails: readonly BounceMail[], work: (m: BounceMail) => number): { rate: number; cpuUsPerMail: number } {
  let sink = 0;
  for (const m of mails) sink += work(m);
  const rates: number[] = [];
  const cpu = process.cpuUsage();
  for (let round = 0; round < PARSE_ROUNDS; round++) {
    const start = performance.now();
    for (const m of mails) sink += work(m);
    rates.push(mails.length / ((performance.now() - start) / 1000));
  }
  const cpuUsPerMail = (cpuSecondsSince(cpu) * 1e6) / (mails.length * PARSE_ROUNDS);
  if (sink === -1) console.log('');
  return { rate: median(rates), cpuUsPerMail };
}

function sum(results: readonly IngestResult[], key: keyof IngestResult): number {
  return results.reduce((n, r) => n + r[key], 0);
}

const rate = (run: Run) => run.count / run.seconds;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const us = (seconds: number, count: number) => ((seconds * 1e6) / count).toFixed(1);

function row(cells: readonly string[]): string {
  const widths = [44, 14, 16, 7, 18];
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
}

function breakdown(run: Run): string {
  const perEvent = (name: string) => (run.timers.get(name) ?? 0) / run.count;
  const store = ['store.getMessages', 'store.findRefs', 'store.record'].reduce((n, k) => n + perEvent(k), 0);
  const parts: [string, number][] = [
    ['authenticate', perEvent('authenticate')],
    ['parse', perEvent('parse')],
    ['getMessages', perEvent('store.getMessages')],
    ['findRefs', perEvent('store.findRefs')],
    ['record', perEvent('store.record')],
    ['ingest without the store (tokens, matching, events)', perEvent('ingest') - store],
  ];
  return parts.map(([name, value]) => `${name} ${value.toFixed(1)}`).join(', ');
}

/** The batches through a database twice: new events, then every one a duplicate; `recorded`: what the first pass handed the store. */
async function webhookPasses(db: BenchDatabase, provider: WebhookProvider, batches: readonly SignedBatch[], references: ReferenceResolver): Promise<{ first: Run; replay: Run; recorded: IngestBatch[] }> {
  const passes: Run[] = [];
  const recorded: IngestBatch[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const timers: Timers = new Map();
    const store = timed(db.storage.ingestion, timers, pass === 0 ? recorded : []);
    passes.push(await ingestBatches(provider, new IngestionService(store, references, systemClock, DEFAULT_SUPPRESSION_SETTINGS), batches, timers));
  }
  return { first: passes[0]!, replay: passes[1]!, recorded };
}

async function countRows(db: BenchDatabase, table: 'events' | 'suppressions' | 'message_refs'): Promise<number> {
  return Number((await db.storage.database.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-bench-ingest-'));
try {
  const setupStart = performance.now();
  const db = await createBenchDatabase(path.join(dir, 'ingest.sqlite'), MESSAGES);
  const fixed = await createBenchDatabase(path.join(dir, 'ingest-fixed.sqlite'), MESSAGES, db.keyring);
  const sendgridKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const provider = createSendGridWebhook({ verificationKey: sendgridKey.publicKey.export({ format: 'der', type: 'spki' }).toString('base64') });
  const events = sendGridEvents(db);
  const batches = signedBatches(events, BATCH, sendgridKey.privateKey);
  const postfix = postfixBounces(db, MAILS, FIXTURES);
  const corpus = corpusBounces(flags.corpus);
  const allMails = [...postfix, ...corpus];
  const kinds = new Map<string, number>();
  for (const e of events) kinds.set(e['event'] as string, (kinds.get(e['event'] as string) ?? 0) + 1);
  console.log(`ingest benchmark: ${fmt(MESSAGES)} messages (one recipient each), ${fmt(events.length)} SendGrid events in ${batches.length} signed batches of ${BATCH}; SQLite WAL synchronous=FULL; node ${process.version}`);
  console.log(`events: ${[...kinds].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')}; setup ${((performance.now() - setupStart) / 1000).toFixed(1)} s (bulk inserts, not measured)`);

  // A warm-up on a small database of its own, so that the first measured pass does not carry the JIT's work.
  const warm = await createBenchDatabase(path.join(dir, 'warm-up.sqlite'), WARM_UP_MESSAGES);
  await webhookPasses(warm, provider, signedBatches(sendGridEvents(warm), BATCH, sendgridKey.privateKey), signedReferences(() => warm.keyring));
  await warm.storage.close();

  const { first, replay, recorded } = await webhookPasses(db, provider, batches, signedReferences(() => db.keyring));
  const counted = { events: await countRows(db, 'events'), suppressions: await countRows(db, 'suppressions'), refs: await countRows(db, 'message_refs') };
  console.log(
    `first pass: ${fmt(sum(first.results, 'recorded'))} recorded, ${fmt(sum(first.results, 'duplicates'))} duplicates, ${fmt(sum(first.results, 'unmatched'))} unmatched; ` +
      `replay: ${fmt(sum(replay.results, 'recorded'))} recorded, ${fmt(sum(replay.results, 'duplicates'))} duplicates; ` +
      `in the database: ${fmt(counted.events)} events, ${fmt(counted.suppressions)} suppressions, ${fmt(counted.refs)} provider ids`,
  );
  const withCache = await webhookPasses(fixed, provider, batches, rememberingReferences(() => fixed.keyring));
  if (sum(withCache.first.results, 'recorded') !== sum(first.results, 'recorded') || (await countRows(fixed, 'suppressions')) !== counted.suppressions) {
    throw new Error('the remembering resolver recorded something else than the code as it is');
  }
  await fixed.storage.close();

  const baseline = await rawInserts(path.join(dir, 'baseline.sqlite'), recorded.map((b) => b.events), allMails);
  const compiling = compileCost(db.storage.database.db, recorded, first.count);
  const http = flags.http ? await measureHttp(dir, MESSAGES, BATCH) : null;

  const mail = new MailIngestion(new IngestionService(db.storage.ingestion, signedReferences(() => db.keyring), systemClock, DEFAULT_SUPPRESSION_SETTINGS), readBounceMail);
  // Half the DSNs one transaction each (the SMTP receiver's way), the other half by the batch (ingest-mail's).
  const half = Math.floor(postfix.length / 2);
  const postfixRun = await ingestMails(mail, postfix.slice(0, half));
  const batchedRun = await ingestMailsBatched(mail, postfix.slice(half), MAILS_PER_TRANSACTION);
  const corpusRun = corpus.length > 0 ? await ingestMails(mail, corpus) : null;
  const split = mailsPerSecond(allMails, (m) => m.raw.toString('latin1').split('\n').length);
  const parse = mailsPerSecond(allMails, (m) => {
    const result = parseBounceMail(m.raw, { envelopeRecipients: m.rcptTo });
    return result.kind === 'report' || result.kind === 'auto-reply' ? result.outcomes.length : 0;
  });
  const corpusParse = corpus.length > 0 ? mailsPerSecond(corpus, (m) => (parseBounceMail(m.raw).kind === 'report' ? 1 : 0)) : null;

  console.log('');
  console.log(row(['path', 'figure', 'baseline', 'ratio', 'goal']));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const goalMark = (value: number, goal: number) => `>= ${fmt(goal)} ${value >= goal ? 'met' : 'MISSED'}`;
  const webhookRow = (name: string, run: Run, base: Run) => row([name, fmt(rate(run)), `${fmt(rate(base))} raw`, ratio(rate(run), rate(base)), goalMark(rate(run), WEBHOOK_GOAL_EVENTS_PER_S)]);
  console.log(webhookRow('webhook, new events (events/s)', first, baseline.insert));
  console.log(webhookRow('webhook, replayed: all duplicates (events/s)', replay, baseline.replay));
  console.log(webhookRow('  with tokens remembered (fix), new', withCache.first, baseline.insert));
  console.log(webhookRow('  with tokens remembered (fix), replayed', withCache.replay, baseline.replay));
  if (http) {
    console.log(row(['webhook over HTTP inject(), new (events/s)', fmt(http.first.count / http.first.seconds), '', '', goalMark(http.first.count / http.first.seconds, WEBHOOK_GOAL_EVENTS_PER_S)]));
    console.log(row(['webhook over HTTP inject(), replayed', fmt(http.replay.count / http.replay.seconds), '', '', goalMark(http.replay.count / http.replay.seconds, WEBHOOK_GOAL_EVENTS_PER_S)]));
  }
  const mailRow = (name: string, run: Run) => row([name, fmt(rate(run)), `${fmt(rate(baseline.commit))} commit`, ratio(rate(run), rate(baseline.commit)), goalMark(rate(run), MAIL_GOAL_PER_S)]);
  console.log(mailRow('mail ingest, Postfix DSNs, one tx each (mails/s)', postfixRun));
  console.log(mailRow(`mail ingest, Postfix DSNs, ${MAILS_PER_TRANSACTION} per tx`, batchedRun));
  if (corpusRun) console.log(mailRow('mail ingest, corpus (mails/s)', corpusRun));
  console.log(row(['parseBounceMail alone, all mails (mails/s)', fmt(parse.rate), `${fmt(split.rate)} split`, ratio(parse.rate, split.rate), goalMark(parse.rate, MAIL_GOAL_PER_S)]));
  if (corpusParse) console.log(row(['parseBounceMail alone, corpus (mails/s)', fmt(corpusParse.rate), '', '', goalMark(corpusParse.rate, MAIL_GOAL_PER_S)]));

  console.log('');
  const cpuLine = (run: Run) => `${us(run.cpuSeconds, run.count)} us (wall ${us(run.seconds, run.count)})`;
  console.log(`CPU per event (this process, all threads): webhook new ${cpuLine(first)}, replayed ${cpuLine(replay)}; with tokens remembered ${cpuLine(withCache.first)}, replayed ${cpuLine(withCache.replay)}`);
  console.log(`                                           raw insert ${cpuLine(baseline.insert)}, raw replay ${cpuLine(baseline.replay)}`);
  console.log(`CPU per event by step (us), new:       ${breakdown(first)}`);
  console.log(`CPU per event by step (us), replayed:  ${breakdown(replay)}`);
  console.log(`with tokens remembered, new:           ${breakdown(withCache.first)}`);
  const [asIs] = tokenCost(events, signedReferences(() => db.keyring), 1);
  const [rememberedFirst, rememberedAgain] = tokenCost(events, rememberingReferences(() => db.keyring), 2);
  console.log(`building and compiling record()'s INSERTs alone, CPU per event (us): events ${compiling.events.toFixed(1)} (eventToRow included), message_refs ${compiling.refs.toFixed(1)}`);
  console.log(`resolving the tokens alone, CPU per event (us): as is ${asIs!.toFixed(1)}; remembered: first pass ${rememberedFirst!.toFixed(1)}, replayed ${rememberedAgain!.toFixed(1)}`);
  if (http) {
    const waits = (run: typeof http.first) => `${fmt(run.deliveries)} deliveries, awaited during ${run.deliverySeconds.toFixed(2)} s of ${run.seconds.toFixed(2)} (${((run.deliverySeconds * 1e6) / Math.max(1, run.deliveries)).toFixed(0)} us per delivery)`;
    console.log(`over HTTP, onDelivery (tracking.noteDelivery): new ${waits(http.first)}; replayed ${waits(http.replay)}`);
  }
  const mailLine = (name: string, run: Run) =>
    `${name}: ${fmt(run.count)} mails, ${fmt(sum(run.results, 'recorded'))} events recorded, ${fmt(sum(run.results, 'duplicates'))} duplicates, ${fmt(sum(run.results, 'unmatched'))} outcomes unmatched, ` +
    `${run.results.filter((r) => 'kept' in r && r.kept !== null).length} kept as not a report/unparseable; CPU ${cpuLine(run)} per mail`;
  console.log(mailLine('mail ingest, Postfix DSNs, one tx each', postfixRun));
  console.log(mailLine(`mail ingest, Postfix DSNs, ${MAILS_PER_TRANSACTION} per tx`, batchedRun));
  if (corpusRun) console.log(mailLine(`mail ingest, corpus (${flags.corpus})`, corpusRun));
  console.log(`one commit per mail (baseline): CPU ${cpuLine(baseline.commit)} per mail`);
  console.log(`parseBounceMail alone: CPU ${parse.cpuUsPerMail.toFixed(1)} us per mail over ${fmt(allMails.length)} mails (${postfix.length} Postfix, ${corpus.length} corpus); line split ${split.cpuUsPerMail.toFixed(1)} us`);
  await db.storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
