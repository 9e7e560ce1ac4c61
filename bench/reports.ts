/**
 * `npm run bench:reports`: how long the reads of issue 11 take at a million messages, on SQLite and
 * on PostgreSQL when 127.0.0.1:5432 answers. Per dialect and size, in a fresh database:
 *
 *   build   bench/report-data.ts: a campaign of N messages (default 1,000,000) with about five events
 *           each, two campaigns of N/10 to the same contacts, written by multi-row INSERTs through the
 *           real schema, then the counters and facts built by `recount(db, { fix: true })`.
 *   check   `recount(db, { campaignId, fix: false })` on the main campaign, timed once: its differences
 *           must be 0 (the issue's recount check on the generated data).
 *   time    each query of QUERIES below, warm: WARMUPS runs, then the median of RUNS.
 *
 * QUERIES is a table of named reads, each through the service the API route calls (ReportService,
 * HotClicksService, ContactService), so what is timed is what a request waits for, less HTTP and
 * JSON. The last line per dialect, for the largest size:
 *   reports(sqlite): report_ms=12 hotclicks_ms=3 drilldown_ms=8 deep_drilldown_ms=9 contact_ms=2 contacts_ms=20
 * With several sizes (--sizes 10000,100000,1000000) a table shows how each query grows.
 *
 * Options: --messages N (default 1000000), --sizes N,N,... (default: --messages), --pg-sizes N,...
 * (PostgreSQL's, default the same), --dialects sqlite,postgres, --runs 7, --warmups 2, --seed N.
 * A query whose median is over GOAL_MS says so.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { openStorage, type DatabaseTarget, type Storage } from '../src/adapters/storage/index.js';
import { recount } from '../src/adapters/storage/recount.js';
import type { Database } from '../src/adapters/storage/schema.js';
import { CampaignService } from '../src/app/campaigns.js';
import { ReportService } from '../src/app/reports.js';
import { HotClicksService } from '../src/app/hot-clicks.js';
import { ContactService, type DrillInput } from '../src/app/contacts.js';
import { bulkLoad, DEFAULT_SEED, type LoadedData } from './report-data.js';
import { median } from './support/stats.js';
import { fail, positiveInteger } from './support/options.js';

/** The issue's goal for each read at a million messages, in ms. */
const GOAL_MS = 100;
/** Rows per drill-down and contacts page. */
const PAGE_SIZE = 50;
/** The deep drill-down page: the issue's "page 500", reached by its keyset cursor. */
const DEEP_PAGE = 500;
/** Where the PostgreSQL server is asked to create and drop the bench's database. */
const PG_ADMIN_URL = process.env['MAILSIGHT_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The figures of the last line, in its order. */
const LINE_FIGURES = ['report_ms', 'overview_ms', 'hotclicks_ms', 'drilldown_ms', 'deep_drilldown_ms', 'contact_ms', 'contacts_ms'] as const;

const { values: flags } = parseArgs({
  options: {
    messages: { type: 'string', default: '1000000' },
    sizes: { type: 'string' },
    'pg-sizes': { type: 'string' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    runs: { type: 'string', default: '7' },
    warmups: { type: 'string', default: '2' },
    seed: { type: 'string', default: String(DEFAULT_SEED) },
  },
});
const sizes = list('--sizes', flags.sizes ?? flags.messages);
const pgSizes = flags['pg-sizes'] === undefined ? sizes : list('--pg-sizes', flags['pg-sizes']);
const RUNS = positiveInteger('--runs', flags.runs);
const WARMUPS = Number(flags.warmups);
const SEED = positiveInteger('--seed', flags.seed);

function list(name: string, text: string): number[] {
  return text.split(',').map((s) => positiveInteger(name, s.trim().replaceAll('_', '')));
}

/** What the queries read from: the loaded data and a few ids and cursors found before timing. */
interface Bench {
  storage: Storage;
  db: Kysely<Database>;
  data: LoadedData;
  main: { campaignId: number; executionId: number };
  /** A contact that received all three campaigns. */
  contactId: number;
}

/** A named read, as the server answers it: `prepare` does the untimed work (finding a cursor) and returns what is timed. */
interface TimedQuery {
  name: string;
  prepare(bench: Bench): Promise<{ run: () => Promise<unknown>; note?: string }>;
}

/** The services the server answers with, over the bench's storage. */
function services(b: Bench) {
  const clock = { now: () => Date.now() };
  const campaigns = new CampaignService(b.storage.catalog, clock, { excludedDestinations: [], placeholderPatterns: [] });
  return {
    reports: new ReportService(b.storage.reports, b.storage.catalog, campaigns),
    hotClicks: new HotClicksService(b.storage.reports, b.storage.catalog, campaigns),
    contacts: new ContactService(b.storage.drillDown, b.storage.contacts, campaigns),
  };
}

const QUERIES: TimedQuery[] = [
  {
    name: 'report_ms',
    prepare: async (b) => {
      const { reports } = services(b);
      return { run: () => reports.campaignReport(b.main.campaignId) };
    },
  },
  {
    // The dashboard's first page: every campaign (here the three) with its key figures.
    name: 'overview_ms',
    prepare: async (b) => {
      const { reports } = services(b);
      return { run: () => reports.overview() };
    },
  },
  {
    name: 'hotclicks_ms',
    prepare: async (b) => {
      const { hotClicks } = services(b);
      return { run: () => hotClicks.execution(b.main.executionId, { kind: 'all' }) };
    },
  },
  {
    name: 'drilldown_ms',
    prepare: async (b) => drillPage(b, { figure: 'opened', scope: 'human' }, 1),
  },
  {
    name: 'deep_drilldown_ms',
    prepare: async (b) => drillPage(b, { figure: 'opened', scope: 'human' }, DEEP_PAGE),
  },
  {
    name: 'rare_drilldown_ms',
    prepare: async (b) => drillPage(b, { figure: 'complained', scope: 'all' }, 1),
  },
  {
    name: 'rare_last_drilldown_ms',
    prepare: async (b) => drillPage(b, { figure: 'complained', scope: 'all' }, Number.MAX_SAFE_INTEGER),
  },
  {
    name: 'contact_ms',
    prepare: async (b) => {
      const { contacts } = services(b);
      return { run: () => contacts.contact(b.contactId, PAGE_SIZE) };
    },
  },
  {
    name: 'contacts_ms',
    prepare: async (b) => {
      const { contacts } = services(b);
      const campaignIds = b.data.campaigns.map((c) => c.campaignId);
      return { run: () => contacts.list({ campaigns: campaignIds, status: {}, limit: PAGE_SIZE }) };
    },
  },
  {
    name: 'contacts_sorted_ms',
    prepare: async (b) => {
      const { contacts } = services(b);
      const campaignIds = b.data.campaigns.map((c) => c.campaignId);
      return { run: () => contacts.list({ campaigns: campaignIds, sort: campaignIds[1], status: {}, limit: PAGE_SIZE }) };
    },
  },
  {
    name: 'contacts_filtered_ms',
    prepare: async (b) => {
      const { contacts } = services(b);
      const campaignIds = b.data.campaigns.map((c) => c.campaignId);
      return { run: () => contacts.list({ campaigns: campaignIds, status: { [String(campaignIds[1])]: ['opened'] }, limit: PAGE_SIZE }) };
    },
  },
];

/** The page `target` of a list of the main campaign (or its last page), its cursor found by reading the pages before it, untimed. */
async function drillPage(b: Bench, list: Pick<DrillInput, 'figure' | 'scope'>, target: number): Promise<{ run: () => Promise<unknown>; note?: string }> {
  const { contacts } = services(b);
  const of = { campaignId: b.main.campaignId };
  let after: number | undefined;
  let page = 1;
  for (; page < target; page++) {
    const { next } = await contacts.drillPage(of, { ...list, after, limit: PAGE_SIZE });
    if (next === null) break;
    after = Number(next);
  }
  const note = target === Number.MAX_SAFE_INTEGER || page < target ? `page ${page}, the last` : undefined;
  return { run: () => contacts.drillPage(of, { ...list, after, limit: PAGE_SIZE }), ...(note ? { note } : {}) };
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < WARMUPS; i++) await run();
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

/** The database file and its WAL: a bulk load leaves much of it in the WAL until a checkpoint. */
function sqliteBytes(file: string): number {
  return [file, `${file}-wal`].reduce((total, f) => total + (existsSync(f) ? statSync(f).size : 0), 0);
}

const ms = (value: number) => (value >= 10 ? String(Math.round(value)) : value.toFixed(value >= 1 ? 1 : 2));
const count = (n: number) => n.toLocaleString('en-US');

/** Builds, checks and times one size; returns each query's median. */
async function runSize(target: DatabaseTarget, messages: number): Promise<Map<string, number>> {
  const storage = await openStorage(target, { now: () => Date.now() });
  const { db } = storage.database;
  try {
    console.log(`\n${target.dialect}, ${count(messages)} messages: building`);
    let lastProgress = 0;
    const data = await bulkLoad(storage, { messages, seed: SEED }, (line) => {
      if (performance.now() - lastProgress > 10_000) (lastProgress = performance.now()), console.log(line);
    });
    const [main] = data.campaigns;
    console.log(
      `  built ${count(data.contacts)} contacts, ${count(data.messages)} messages, ${count(data.events)} events (${(data.events / data.messages).toFixed(2)} per message): ` +
        `inserts ${data.insertSeconds.toFixed(1)} s, recount --fix ${data.recountSeconds.toFixed(1)} s (${count(data.recount.counters)} counters)` +
        (target.dialect === 'sqlite' ? `, files ${(sqliteBytes(target.file) / 2 ** 20).toFixed(0)} MiB` : ''),
    );
    const checkStarted = performance.now();
    const check = await recount(db, { campaignId: main!.campaignId, fix: false });
    const differences = check.differences.length + check.factDifferences;
    console.log(`  recount check of the main campaign: ${((performance.now() - checkStarted) / 1000).toFixed(1)} s, ${count(check.messages)} messages, ${differences} differences${differences === 0 ? '' : '  *** MUST BE 0 ***'}`);
    if (differences !== 0) process.exitCode = 1;
    const contact = await db.selectFrom('messages').select('contact_id').where('campaign_id', '=', data.campaigns[1]!.campaignId).orderBy('id').limit(1).executeTakeFirstOrThrow();
    const bench: Bench = { storage, db, data, main: main!, contactId: contact.contact_id! };
    const results = new Map<string, number>();
    for (const query of QUERIES) {
      const { run, note } = await query.prepare(bench);
      const median = await time(run);
      results.set(query.name, median);
      console.log(`  ${query.name.padEnd(23)} ${ms(median).padStart(8)} ms  (median of ${RUNS}${note ? `; ${note}` : ''})${median > GOAL_MS ? `  OVER THE ${GOAL_MS} ms GOAL` : ''}`);
    }
    return results;
  } finally {
    await storage.close();
  }
}

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch (error) {
    console.warn(`\n*** SKIPPING POSTGRESQL: ${PG_ADMIN_URL} is not reachable (${(error as Error).message}) ***\n`);
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function pgAdmin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Runs every size on one dialect, each in a database of its own, removed after. */
async function runDialect(dialect: 'sqlite' | 'postgres', dialectSizes: readonly number[]): Promise<void> {
  const bySize = new Map<number, Map<string, number>>();
  for (const messages of dialectSizes) {
    if (dialect === 'sqlite') {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-bench-reports-'));
      // NORMAL: the bulk load is not what is measured, and reads do not sync.
      try {
        bySize.set(messages, await runSize({ dialect, file: path.join(dir, 'reports.sqlite'), synchronous: 'NORMAL' }, messages));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      const name = `mailsight_bench_${process.pid}`;
      await pgAdmin(`create database ${name}`);
      const url = new URL(PG_ADMIN_URL);
      url.pathname = `/${name}`;
      try {
        bySize.set(messages, await runSize({ dialect, url: url.toString() }, messages));
      } finally {
        await pgAdmin(`drop database if exists ${name} with (force)`);
      }
    }
  }
  if (bySize.size > 1) {
    console.log(`\n${dialect}: ms by main-campaign size (messages)`);
    console.log(`  ${'query'.padEnd(23)}${dialectSizes.map((s) => count(s).padStart(12)).join('')}`);
    for (const query of QUERIES) console.log(`  ${query.name.padEnd(23)}${dialectSizes.map((s) => ms(bySize.get(s)!.get(query.name)!).padStart(12)).join('')}`);
  }
  const largest = bySize.get(dialectSizes[dialectSizes.length - 1]!)!;
  console.log(`reports(${dialect}): ${LINE_FIGURES.map((f) => `${f}=${ms(largest.get(f)!)}`).join(' ')}`);
}

const dialects = flags.dialects.split(',').map((d) => d.trim());
for (const d of dialects) if (d !== 'sqlite' && d !== 'postgres') fail(`--dialects takes sqlite, postgres; got '${d}'`);
console.log(`reports benchmark: sizes ${sizes.map(count).join(', ')} (PostgreSQL ${pgSizes.map(count).join(', ')}), ${WARMUPS} warm-ups then the median of ${RUNS} runs, seed ${SEED}, node ${process.version}, ${os.cpus().length} cores`);
if (dialects.includes('sqlite')) await runDialect('sqlite', sizes);
if (dialects.includes('postgres') && (await pgReachable())) await runDialect('postgres', pgSizes);
