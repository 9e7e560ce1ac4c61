/**
 * `npm run bench:track`: throughput and latency of the open and click endpoints of the real server
 * (durable group commit on SQLite) against a bare Fastify server answering the same bytes, in the
 * same run, then a check through the database that every acknowledged hit was recorded.
 *
 * A third target, the floor server, shows what any server that records each hit durably before
 * answering can reach on this machine: the bare server plus a writer thread that appends each hit's
 * time and token to an unindexed SQLite table, synced per commit (bench/floor-server.ts).
 *
 * The servers are child processes; autocannon runs in this process. After a warm-up, the measured
 * time is cut into rounds; each round runs bare, floor and real open, then bare, floor and real
 * click, so that noise from other processes on the machine falls on every target alike.
 *
 * Options:
 *   --duration S     measured seconds per target and endpoint, over all rounds (default 10)
 *   --rounds N       rounds the measured time is cut into (default 5)
 *   --warmup S       warm-up seconds per target and endpoint, before the first round (default 3)
 *   --connections N  concurrent connections (default 50)
 *   --messages N     messages seeded; each has one open and two click tokens (default 1000)
 *   --one-ip         send every hit from 127.0.0.1 itself, instead of one client address per message
 *   --cpu-prof       write a CPU profile of the real server to a new temp directory (printed)
 * As in production, the real server sits behind a proxy it trusts (127.0.0.1) and each message's
 * hits come from the address of its reader, in X-Forwarded-For: 198.18.0.0/15, the range set
 * aside for benchmarks (RFC 2544). With --one-ip, one client hits every message of the campaign:
 * the pattern of a link scanner, which the hit classifier looks for.
 * The server's environment variables (GROUP_COMMIT_DELAY_MS, SQLITE_SYNCHRONOUS, ...) pass through.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { createApiKeyWithCli, killAllServers, LOCALHOST, mailsightEnv, startServer } from './support/server-process.js';
import { readerIp, seedMessages } from './support/seed.js';
import { LoadTally, responsesPerSecond, runSlice, sumOrNull, type LoadRequest } from './support/load.js';

/** The target: the real endpoints keep at least this share of the bare server's throughput... */
const GOAL_RATIO = 0.75;
/** ...with a 99th percentile latency under this, in ms... */
const GOAL_P99_MS = 15;
/** ...at this many connections. */
const GOAL_CONNECTIONS = 50;

/** CPU used by other processes during the runs, in shares of one core, above which the figures are noisy. */
const NOISY_OTHER_CPU_SHARE = 0.1;

/** Headers of a typical mail client fetching a pixel; the real server keeps some of them per hit. */
const CLIENT_HEADERS = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  accept: 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8',
  'accept-language': 'en-US,en;q=0.9',
};

const ENDPOINTS = ['open', 'click'] as const;
const TARGETS = ['bare', 'floor', 'real'] as const;
type Endpoint = (typeof ENDPOINTS)[number];
type Target = (typeof TARGETS)[number];
type Tallies = Record<Endpoint, Record<Target, LoadTally>>;

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    messages: { type: 'string', default: '1000' },
    'one-ip': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const options = {
  duration: positiveInteger('--duration', flags.duration),
  rounds: positiveInteger('--rounds', flags.rounds),
  warmup: positiveInteger('--warmup', flags.warmup),
  connections: positiveInteger('--connections', flags.connections),
  messages: positiveInteger('--messages', flags.messages),
};

function positiveInteger(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got '${text}'`);
  return n;
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-bench-'));

/** Synchronous, so that it also runs on the way out of a signal or an 'exit' handler. */
function cleanUp(): void {
  killAllServers();
  rmSync(dataDir, { recursive: true, force: true });
}

async function benchmark(): Promise<number> {
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const oneIp = flags['one-ip'];
  const env = mailsightEnv(dataDir, oneIp ? {} : { TRUSTED_PROXIES: LOCALHOST });
  const config = loadConfig({ ...process.env, ...env });
  if (config.database.dialect !== 'sqlite') throw new Error('the benchmark runs on SQLite');

  const apiKey = await createApiKeyWithCli(cli, dataDir);
  const profileDir = flags['cpu-prof'] ? mkdtempSync(path.join(os.tmpdir(), 'mailsight-bench-profile-')) : null;
  const real = await startServer({ args: [cli, 'serve'], env, nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [] });
  const bare = await startServer({ args: [fileURLToPath(new URL('./bare-server.js', import.meta.url))] });
  const floor = await startServer({ args: [fileURLToPath(new URL('./floor-server.js', import.meta.url))], env: { FLOOR_DB: path.join(dataDir, 'floor.sqlite') } });
  const messages = await seedMessages(real.url, apiKey, options.messages);
  const from = (i: number) => (oneIp ? {} : { headers: { 'x-forwarded-for': readerIp(i) } });
  const requests: Record<Endpoint, LoadRequest[]> = {
    open: messages.map((m, i) => ({ path: m.pixelPath, ...from(i) })),
    click: messages.flatMap((m, i) => m.clickPaths.map((path) => ({ path, ...from(i) }))),
  };

  const { groupCommit, database } = config;
  console.log(`track benchmark: node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'})`);
  console.log(`  autocannon runs in this process, so it shares the cores with the server under test`);
  console.log(`  ${options.connections} connections; per target and endpoint ${options.warmup} s warm-up, then ${options.duration} s measured in ${options.rounds} rounds`);
  console.log(`  each round: bare, floor and real open, then bare, floor and real click`);
  console.log(`  floor: the bare server plus a writer thread appending each hit's time and token to an unindexed SQLite table, synced per commit`);
  console.log(`  ${requests.open.length} open and ${requests.click.length} click tokens (${messages.length} messages), rotated through`);
  console.log(`  clients: ${oneIp ? 'all hits from 127.0.0.1 (--one-ip)' : 'one address per message, in X-Forwarded-For from a trusted proxy'}`);
  console.log(`  real: SQLite synchronous=${database.synchronous}, group commit delay ${groupCommit.maxDelayMs} ms, batch ${groupCommit.maxBatch}, queue ${groupCommit.maxPending}`);
  console.log('');

  const servers = { bare, floor, real };
  const slice = (endpoint: Endpoint, target: Target, seconds: number) =>
    runSlice({
      baseUrl: servers[target].url,
      serverPid: servers[target].pid,
      requests: requests[endpoint],
      connections: options.connections,
      seconds,
      headers: CLIENT_HEADERS,
    });

  const warmups = newTallies();
  for (const endpoint of ENDPOINTS) for (const target of TARGETS) warmups[endpoint][target].add(await slice(endpoint, target, options.warmup));
  const measured = newTallies();
  for (const [round, seconds] of roundSeconds(options.duration, options.rounds).entries()) {
    const line: string[] = [];
    for (const endpoint of ENDPOINTS) {
      for (const target of TARGETS) {
        const result = await slice(endpoint, target, seconds);
        measured[endpoint][target].add(result);
        line.push(`${endpoint} ${target} ${Math.round(responsesPerSecond(result))}`);
      }
    }
    console.log(`round ${round + 1}/${options.rounds} (${seconds} s each), req/s: ${line.join(', ')}`);
  }

  await real.stop();
  await bare.stop();
  await floor.stop();
  const recorded = countRecordedHits(config.database.file);
  if (profileDir) console.log(`\nCPU profile of the real server written to ${profileDir}`);
  return report(measured, warmups, recorded);
}

function newTallies(): Tallies {
  const tallies = () => ({ bare: new LoadTally(), floor: new LoadTally(), real: new LoadTally() });
  return { open: tallies(), click: tallies() };
}

/** Whole seconds per round (autocannon ends runs on whole seconds), as even as they can be. */
function roundSeconds(total: number, rounds: number): number[] {
  const n = Math.min(rounds, total);
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

type Recorded = Record<Endpoint, number> & { revisions: number; verdicts: Record<string, number> };

function countRecordedHits(file: string): Recorded {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const count = (type: string) => (db.prepare('select count(*) as n from events where type = ?').get(type) as { n: number }).n;
    const verdicts = db.prepare("select verdict, count(*) as n from events where type in ('opened', 'clicked') group by verdict").all() as { verdict: string; n: number }[];
    return {
      open: count('opened'),
      click: count('clicked'),
      revisions: (db.prepare('select count(*) as n from verdict_revisions').get() as { n: number }).n,
      verdicts: Object.fromEntries(verdicts.map((v) => [v.verdict, v.n])),
    };
  } finally {
    db.close();
  }
}

/** Prints the figures, the durability check, the goal and the ratio line (last); returns the exit code. */
function report(measured: Tallies, warmups: Tallies, recorded: Recorded): number {
  const failures = [...printFigures(measured, warmups), ...checkRecorded(measured, warmups, recorded)];
  const rps = (target: Target) => ENDPOINTS.reduce((sum, e) => sum + measured[e][target].rps, 0);
  const worstP99 = (target: Target) => Math.max(...ENDPOINTS.map((e) => measured[e][target].latency(99)));
  const ratio = rps('real') / rps('bare');
  console.log(
    `floor (a durable append of each hit, nothing else): floor/bare ratio ${(rps('floor') / rps('bare')).toFixed(2)}, worst floor p99 ${worstP99('floor').toFixed(1)} ms; ` +
      `real/floor ratio ${(rps('real') / rps('floor')).toFixed(2)}`,
  );
  const budget = cpuBudget(measured);
  if (budget) {
    console.log(
      `CPU budget: kept as busy as the floor kept the cores, the real server could spend at most ${budget.allowedUs.toFixed(0)} us of CPU per request ` +
        `and reach the goal's ${Math.round(budget.goalRps)} req/s; the floor spends ${budget.floorUs.toFixed(0)}, the real server ${budget.realUs.toFixed(0)}`,
    );
  }
  const met = ratio >= GOAL_RATIO && worstP99('real') < GOAL_P99_MS;
  const connectionsNote = options.connections === GOAL_CONNECTIONS ? '' : `; this run used ${options.connections} connections`;
  console.log(
    `goal: ratio >= ${GOAL_RATIO} with real p99 < ${GOAL_P99_MS} ms at ${GOAL_CONNECTIONS} connections: ` +
      `${met ? 'met' : 'MISSED'} (ratio ${ratio.toFixed(2)}, worst real p99 ${worstP99('real').toFixed(1)} ms${connectionsNote})`,
  );
  for (const failure of failures) console.error(`FAILED: ${failure}`);
  console.log(`track/bare ratio: ${ratio.toFixed(2)}`);
  return failures.length > 0 ? 1 : 0;
}

/**
 * The server CPU per request the real server could afford at the goal. Server and autocannon share
 * the cores: the floor's run shows how many of them the two kept busy (autocannon's CPU per request
 * and the floor's, times its rate). At the goal's rate, the same cores less autocannon's share per
 * request leave this much per request. A bound in the real server's favour: it assumes the real
 * server keeps the cores as busy as the floor does, and autocannon costs per request what it did
 * against the floor.
 */
function cpuBudget(measured: Tallies): { goalRps: number; allowedUs: number; floorUs: number; realUs: number } | null {
  const sum = (target: Target, of: (t: LoadTally) => number | null) => ENDPOINTS.reduce<number | null>((total, e) => sumOrNull(total, of(measured[e][target])), 0);
  const responses = (target: Target) => sum(target, (t) => t.acknowledged + t.failed)!;
  const seconds = (target: Target) => sum(target, (t) => t.seconds)!;
  const floorServer = sum('floor', (t) => t.serverCpuSeconds);
  const realServer = sum('real', (t) => t.serverCpuSeconds);
  if (floorServer === null || realServer === null || responses('floor') === 0 || responses('real') === 0 || seconds('bare') === 0) return null;
  const floorLoad = sum('floor', (t) => t.loadCpuSeconds)!;
  const busyCores = (floorLoad + floorServer) / seconds('floor');
  const goalRps = GOAL_RATIO * (responses('bare') / seconds('bare'));
  const loadPerRequest = floorLoad / responses('floor');
  return {
    goalRps,
    allowedUs: (busyCores / goalRps - loadPerRequest) * 1e6,
    floorUs: (floorServer / responses('floor')) * 1e6,
    realUs: (realServer / responses('real')) * 1e6,
  };
}

/** One line per endpoint and target, then the CPU other processes took; returns what went wrong. */
function printFigures(measured: Tallies, warmups: Tallies): string[] {
  const failures: string[] = [];
  console.log('');
  for (const endpoint of ENDPOINTS) {
    for (const target of TARGETS) {
      const t = measured[endpoint][target];
      const failed = t.failed + warmups[endpoint][target].failed;
      const errors = t.errors + warmups[endpoint][target].errors;
      const main = t.serverMainCpuPerResponseUs === null ? '' : `, main thread ${t.serverMainCpuPerResponseUs.toFixed(0)}`;
      const cpu = t.serverCpuShare === null ? 'n/a' : `${(t.serverCpuShare * 100).toFixed(0)}% (${t.serverCpuPerResponseUs!.toFixed(0)} us/req${main})`;
      const load = t.seconds === 0 ? 0 : t.loadCpuSeconds / t.seconds;
      console.log(
        `${endpoint.padEnd(5)} ${target.padEnd(5)}  ${Math.round(t.rps).toString().padStart(6)} req/s   p50 ${t.latency(50).toFixed(1).padStart(5)} ms   ` +
          `p99 ${t.latency(99).toFixed(1).padStart(5)} ms   non-2xx/3xx ${failed}   errors ${errors}   server CPU ${cpu}   autocannon CPU ${(load * 100).toFixed(0)}%`,
      );
      if (failed > 0 || errors > 0) failures.push(`${target} ${endpoint}: ${failed} non-2xx/3xx responses, ${errors} errors`);
    }
  }
  const tallies = ENDPOINTS.flatMap((e) => TARGETS.map((t) => measured[e][t]));
  const otherCpu = tallies.reduce<number | null>((sum, t) => (sum === null || t.otherCpuSeconds === null ? null : sum + t.otherCpuSeconds), 0);
  if (otherCpu !== null) {
    const share = otherCpu / tallies.reduce((sum, t) => sum + t.seconds, 0);
    const noisy = share > NOISY_OTHER_CPU_SHARE ? ': WARNING, other processes competed for the cores, the figures are noisy' : '';
    console.log(`other processes used ${(share * 100).toFixed(0)}% of a core during the measured runs${noisy}`);
  }
  return failures;
}

/** Compares the hits in the database with those acknowledged to autocannon; returns what went wrong. */
function checkRecorded(measured: Tallies, warmups: Tallies, recorded: Recorded): string[] {
  const failures: string[] = [];
  const acknowledged = (e: Endpoint) => measured[e].real.acknowledged + warmups[e].real.acknowledged;
  const totalAcknowledged = acknowledged('open') + acknowledged('click');
  const extra = recorded.open + recorded.click - totalAcknowledged;
  // autocannon ends a slice by closing its sockets: the request each connection still had in flight
  // reached the server and may be recorded without ever being acknowledged.
  const realSlices = ENDPOINTS.reduce((n, e) => n + measured[e].real.slices + warmups[e].real.slices, 0);
  const inFlightLimit = realSlices * options.connections;
  console.log(
    `\nrecorded ${recorded.open + recorded.click} of ${totalAcknowledged} acknowledged hits ` +
      `(opens ${recorded.open} of ${acknowledged('open')}, clicks ${recorded.click} of ${acknowledged('click')})`,
  );
  if (extra > 0) console.log(`  the ${extra} extra were in flight when autocannon closed its connections (at most ${inFlightLimit})`);
  console.log(`  over the run: ${(recorded.open / options.messages).toFixed(0)} opens and ${(recorded.click / options.messages).toFixed(0)} clicks per message`);
  const verdicts = Object.entries(recorded.verdicts).map(([v, n]) => `${v} ${n}`).join(', ');
  console.log(`  verdicts: ${verdicts}; verdict revisions written: ${recorded.revisions}`);
  for (const e of ENDPOINTS) {
    if (recorded[e] < acknowledged(e)) failures.push(`${acknowledged(e) - recorded[e]} acknowledged ${e} hits are missing from the database`);
  }
  if (extra > inFlightLimit) failures.push(`${extra} more hits recorded than acknowledged: more than could be in flight`);
  return failures;
}

process.once('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUp();
    process.exit(130);
  });
}

benchmark()
  .then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  )
  // Children still running (after a failure) would keep this process alive.
  .finally(cleanUp);
