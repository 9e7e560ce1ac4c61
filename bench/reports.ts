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
 * QUERIES is a table of named reads. Some are the real reads; the others (marked STAND-IN) are the
 * closest thing storage has until the drill-down, contacts and hot-clicks queries land: each is
 * replaced by the real one with one entry. The last line per dialect, for the largest size:
 *   reports(sqlite): report_ms=12 hotclicks_ms=3 drilldown_ms=8 deep_drilldown_ms=9 contact_ms=2 contacts_ms=20
 * With several sizes (--sizes 10000,100000,1000000) a table shows how each query grows.
 *
 * Options: --messages N (default 1000000), --sizes N,N,... (default: --messages), --pg-sizes N,...
 * (PostgreSQL's, default the same), --dialects sqlite,postgres, --runs 7, --warmups 2, --seed N.
 * A query whose median is over GOAL_MS has its plan printed.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { openStorage, type DatabaseTarget, type Storage } from '../src/adapters/storage/index.js';
import { readCounters } from '../src/adapters/storage/report-counter-store.js';
import { recount } from '../src/adapters/storage/recount.js';
import type { Database } from '../src/adapters/storage/schema.js';
import { CampaignService } from '../src/app/campaigns.js';
import { ReportService } from '../src/app/reports.js';
import { flagBit, type FlagName } from '../src/core/report-counters.js';
import { bulkLoad, DEFAULT_SEED, type LoadedData } from './report-data.js';
import { median } from './support/stats.js';

/** The issue's goal for each read at a million messages, in ms. */
const GOAL_MS = 100;
/** Rows per drill-down and contacts page. */
const PAGE_SIZE = 50;
/** The deep drill-down page: the issue's "page 500", reached by its keyset cursor. */
const DEEP_PAGE = 500;
/** Where the PostgreSQL server is asked to create and drop the bench's database. */
const PG_ADMIN_URL = process.env['MAILSIGHT_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** The figures of the last line, in its order. */
const LINE_FIGURES = ['report_ms', 'hotclicks_ms', 'drilldown_ms', 'deep_drilldown_ms', 'contact_ms', 'contacts_ms'] as const;

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

function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) fail(`${name} must be a positive integer, got '${text}'`);
  return n;
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
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

/** A named read: `prepare` does the untimed work (finding a cursor) and returns what is timed. */
interface TimedQuery {
  name: string;
  /** Set while the query is a stand-in for the real one: what it stands in for. */
  standIn?: string;
  /** Slow reads kept for comparison run once, without warm-up. */
  once?: true;
  prepare(bench: Bench): Promise<{ run: () => Promise<unknown>; plan?: RawBuilder<unknown>; note?: string }>;
}

/** A keyset page of the main campaign's messages with a flag, after `after` (message id). */
function flaggedPage(bench: Bench, flag: FlagName, after: number): RawBuilder<{ message_id: number; email: string | null; status: string; reason: string | null }> {
  return sql`
    select f.message_id, c.email, f.status, f.reason
    from message_facts f
    join messages m on m.id = f.message_id
    left join contacts c on c.id = m.contact_id
    where f.campaign_id = ${bench.main.campaignId} and (f.flags & ${flagBit(flag)}) <> 0 and f.message_id > ${after}
    order by f.message_id
    limit ${PAGE_SIZE}`;
}

const QUERIES: TimedQuery[] = [
  {
    name: 'report_ms',
    prepare: async (b) => ({ run: () => readCounters(b.db, { campaignId: b.main.campaignId }) }),
  },
  {
    name: 'report_service_ms',
    once: true,
    standIn: 'ReportService.campaignReport as on main: totals recounted from the events in SQL, until it reads the counters',
    prepare: async (b) => {
      const service = new ReportService(b.storage.reports, b.storage.catalog, new CampaignService(b.storage.catalog, { now: () => Date.now() }, { excludedDestinations: [], placeholderPatterns: [] }));
      return { run: () => service.campaignReport(b.main.campaignId) };
    },
  },
  {
    name: 'hotclicks_ms',
    standIn: "the execution's link counters and its link occurrences",
    prepare: async (b) => ({ run: () => Promise.all([readCounters(b.db, { executionId: b.main.executionId }, 'link:'), b.storage.catalog.getLinks(b.main.executionId)]) }),
  },
  {
    name: 'drilldown_ms',
    standIn: 'first page of the messages opened by a person, keyset over message_facts',
    prepare: async (b) => ({ run: () => flaggedPage(b, 'opened:human', 0).execute(b.db), plan: flaggedPage(b, 'opened:human', 0) }),
  },
  {
    name: 'deep_drilldown_ms',
    standIn: `page ${DEEP_PAGE} of the same list, by its keyset cursor`,
    prepare: (b) => timedPage(b, 'opened:human', DEEP_PAGE),
  },
  {
    name: 'rare_drilldown_ms',
    standIn: 'first page of the complained list (0.05%): the same keyset, a rare flag',
    prepare: async (b) => ({ run: () => flaggedPage(b, 'complained', 0).execute(b.db), plan: flaggedPage(b, 'complained', 0) }),
  },
  {
    name: 'rare_last_drilldown_ms',
    standIn: 'the last page of the complained list: the flag keyset reads on to the end of the campaign',
    prepare: (b) => timedPage(b, 'complained', Number.MAX_SAFE_INTEGER),
  },
  {
    name: 'contact_ms',
    standIn: "a contact's messages with their status and every event of them, in time order",
    prepare: async (b) => {
      const query = sql`
        select m.id, m.campaign_id, f.status, e.type, e.at, e.source, e.verdict, e.reasons, e.link_ordinal, e.reason
        from messages m
        left join message_facts f on f.message_id = m.id
        left join events e on e.message_id = m.id
        where m.contact_id = ${b.contactId}
        order by e.at, e.id`;
      return { run: () => query.execute(b.db), plan: query };
    },
  },
  {
    name: 'contacts_ms',
    standIn: "first page of contacts by address, with each of the three campaigns' status",
    prepare: async (b) => {
      const query = contactsPage(b, sql``);
      return { run: () => query.execute(b.db), plan: query };
    },
  },
  {
    name: 'contacts_filtered_ms',
    standIn: 'the same page, only the contacts whose status in the second campaign is opened',
    prepare: async (b) => {
      const query = contactsPage(b, sql`where f2.status = 'opened'`);
      return { run: () => query.execute(b.db), plan: query };
    },
  },
];

/** The page `target` of a flag's list (or its last page), the cursor found by walking the pages before it untimed. */
async function timedPage(b: Bench, flag: FlagName, target: number): Promise<{ run: () => Promise<unknown>; plan: RawBuilder<unknown>; note?: string }> {
  let after = 0;
  let page = 1;
  for (; page < target; page++) {
    const rows = (await flaggedPage(b, flag, after).execute(b.db)).rows;
    if (rows.length < PAGE_SIZE) break;
    after = rows[rows.length - 1]!.message_id;
  }
  const note = page < target && target !== Number.MAX_SAFE_INTEGER ? `page ${page}, the last` : target === Number.MAX_SAFE_INTEGER ? `page ${page}` : undefined;
  return { run: () => flaggedPage(b, flag, after).execute(b.db), plan: flaggedPage(b, flag, after), note };
}

function contactsPage(b: Bench, where: RawBuilder<unknown>): RawBuilder<unknown> {
  const [c1, c2, c3] = b.data.campaigns.map((c) => c.campaignId);
  return sql`
    select c.id, c.email, f1.status as status1, f2.status as status2, f3.status as status3
    from contacts c
    left join messages m1 on m1.contact_id = c.id and m1.campaign_id = ${c1}
    left join message_facts f1 on f1.message_id = m1.id
    left join messages m2 on m2.contact_id = c.id and m2.campaign_id = ${c2}
    left join message_facts f2 on f2.message_id = m2.id
    left join messages m3 on m3.contact_id = c.id and m3.campaign_id = ${c3}
    left join message_facts f3 on f3.message_id = m3.id
    ${where}
    order by c.email
    limit ${PAGE_SIZE}`;
}

async function time(run: () => Promise<unknown>, once: boolean): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < (once ? 0 : WARMUPS); i++) await run();
  for (let i = 0; i < (once ? 1 : RUNS); i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return median(samples);
}

async function explain(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', query: RawBuilder<unknown>): Promise<string> {
  const rows = (await (dialect === 'sqlite' ? sql`explain query plan ${query}` : sql`explain (analyze, buffers) ${query}`).execute(db)).rows as Record<string, unknown>[];
  return rows.map((r) => `      ${String(r['detail'] ?? r['QUERY PLAN'])}`).join('\n');
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
      const { run, plan, note } = await query.prepare(bench);
      const median = await time(run, query.once === true);
      results.set(query.name, median);
      const how = query.once ? 'one run' : `median of ${RUNS}`;
      console.log(`  ${query.name.padEnd(23)} ${ms(median).padStart(8)} ms  (${how}${note ? `; ${note}` : ''})${query.standIn ? `  STAND-IN: ${query.standIn}` : ''}`);
      if (median > GOAL_MS && plan) console.log(`    over ${GOAL_MS} ms; its plan:\n${await explain(db, target.dialect, plan)}`);
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
