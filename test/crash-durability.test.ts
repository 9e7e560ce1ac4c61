/**
 * Crash durability, end to end: the real server process, under load on its open and click
 * endpoints, is killed with SIGKILL. Restarted on the same data directory, it must start (WAL
 * recovery) and the database must hold every hit that was acknowledged with a 200 or a 302.
 * Runs the built server (`dist/`), as production does; `npm test` builds first. As in production it
 * sits behind a proxy it trusts, and each message's hits come from its own reader's address.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACKING_PATHS } from '../src/app/tracking-urls.js';
import { createApiKeyWithCli, LOCALHOST, mailsightEnv, startServer, type ServerProcess } from '../bench/support/server-process.js';
import { readerIp, seedMessages } from '../bench/support/seed.js';

const CLI = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
/** Concurrent request loops, one keep-alive connection each. */
const LOOPS = 32;
/** The kill comes once the load has run this long, in ms... */
const MIN_LOAD_MS = 1_500;
/** ...and this many hits were acknowledged, so the kill lands on a server in full flow. */
const MIN_ACKNOWLEDGED_BEFORE_KILL = 300;
/** Past this, in ms, the kill comes anyway and the test judges what it got. */
const MAX_LOAD_MS = 8_000;
const MARKER_PREFIX = 'crash-test/';
/** Enough messages that no message gathers an unreal number of hits within the load. */
const MESSAGES = 40;

interface Hit {
  path: string;
  readerIp: string;
}

interface LoadOutcome {
  sent: Set<string>;
  acknowledged: Set<string>;
  /** Sent and not yet acknowledged when SIGKILL went out. */
  inFlightAtKill: Set<string>;
  /** Answers other than the endpoint's success status, and errors before the kill. */
  problems: string[];
}

describe('crash durability of acknowledged hits', () => {
  let dataDir: string;
  let server: ServerProcess | null = null;
  let hits: Hit[];
  const env = () => mailsightEnv(dataDir, { TRUSTED_PROXIES: LOCALHOST });

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} does not exist: run \`npm run build\` first (\`npm test\` builds before running vitest)`);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-crash-'));
    const apiKey = await createApiKeyWithCli(CLI, dataDir);
    server = await startServer({ args: [CLI, 'serve'], env: env() });
    const messages = await seedMessages(server.url, apiKey, MESSAGES);
    hits = messages.flatMap((m, i) => [m.pixelPath, ...m.clickPaths].map((path) => ({ path, readerIp: readerIp(i) })));
  });

  afterAll(async () => {
    await server?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged hit through a SIGKILL mid-load, and restarts', async () => {
    const crashed = server!;
    const load = await loadUntilKilled(crashed, hits);
    server = await startServer({ args: [CLI, 'serve'], env: env() });

    const recorded = recordedMarkers(path.join(dataDir, 'mailsight.sqlite'));
    const recordedSet = new Set(recorded);
    const lost = [...load.acknowledged].filter((m) => !recordedSet.has(m));
    const unanswered = [...load.inFlightAtKill].filter((m) => !load.acknowledged.has(m));
    console.log(
      `crash test: ${load.sent.size} hits sent, ${load.acknowledged.size} acknowledged, ${recordedSet.size} recorded, ${lost.length} acknowledged lost; ` +
        `${load.inFlightAtKill.size} in flight at the SIGKILL: ${load.inFlightAtKill.size - unanswered.length} answered before the process died, ` +
        `${unanswered.length} never answered, of which ${unanswered.filter((m) => recordedSet.has(m)).length} recorded anyway`,
    );

    expect(load.problems).toEqual([]);
    expect(load.acknowledged.size).toBeGreaterThan(100);
    expect(load.inFlightAtKill.size).toBeGreaterThan(0);
    expect(lost).toEqual([]);
    // Nothing recorded twice, nothing recorded that was never sent.
    expect(recorded.length).toBe(recordedSet.size);
    expect([...recordedSet].filter((m) => !load.sent.has(m))).toEqual([]);
  });
});

/** Loads the server from LOOPS connections, kills it with SIGKILL mid-load, and reports what was acknowledged. */
async function loadUntilKilled(server: ServerProcess, hits: Hit[]): Promise<LoadOutcome> {
  const outcome: LoadOutcome = { sent: new Set(), acknowledged: new Set(), inFlightAtKill: new Set(), problems: [] };
  const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS });
  let killed = false;
  let next = 0;

  const loop = async () => {
    while (!killed) {
      const n = next++;
      const marker = `${MARKER_PREFIX}${n}`;
      const hit = hits[n % hits.length]!;
      outcome.sent.add(marker);
      let status: number;
      try {
        status = await statusOf(agent, server.url + hit.path, { 'user-agent': marker, 'x-forwarded-for': hit.readerIp });
      } catch (error) {
        if (!killed) outcome.problems.push(`${marker}: ${(error as Error).message}`);
        return;
      }
      const expected = hit.path.startsWith(TRACKING_PATHS.open) ? 200 : 302;
      if (status === expected) outcome.acknowledged.add(marker);
      else outcome.problems.push(`${marker}: ${hit.path} answered ${status}, expected ${expected}`);
    }
  };
  const loops = Array.from({ length: LOOPS }, loop);

  const started = Date.now();
  while (Date.now() - started < MAX_LOAD_MS && (Date.now() - started < MIN_LOAD_MS || outcome.acknowledged.size < MIN_ACKNOWLEDGED_BEFORE_KILL)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const marker of outcome.sent) if (!outcome.acknowledged.has(marker)) outcome.inFlightAtKill.add(marker);
  killed = true;
  await server.kill();
  await Promise.all(loops);
  agent.destroy();
  return outcome;
}

/** Resolves with the status as soon as the head of the answer arrives: that is the acknowledgement. */
function statusOf(agent: http.Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { agent, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}

function recordedMarkers(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`select user_agent from events where user_agent like ?`).all(`${MARKER_PREFIX}%`) as { user_agent: string }[];
    return rows.map((r) => r.user_agent);
  } finally {
    db.close();
  }
}
