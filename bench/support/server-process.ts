/**
 * A server run the way production runs it: a child process, ready once GET /health answers,
 * stopped with SIGTERM (graceful: every accepted hit is flushed first) or SIGKILL (a crash).
 * Shared by the tracking benchmark and the crash-durability test.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

/** How long a server may take to answer /health after spawn, in ms: startup migrates the schema. */
const STARTUP_TIMEOUT_MS = 15_000;
const HEALTH_POLL_INTERVAL_MS = 50;
/** How long a graceful stop may take, in ms (it flushes the hit queue), before it counts as hung. */
const STOP_TIMEOUT_MS = 10_000;
/** Output kept from a child, in characters, to explain a failure. */
const OUTPUT_TAIL_LENGTH = 4_000;

export const LOCALHOST = '127.0.0.1';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  /** Base URL, without a trailing slash. */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then waits for the exit; throws unless the server exited 0 within the timeout. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit: a crash, as far as the server can tell. */
  kill(): Promise<void>;
}

export interface StartOptions {
  /** The script to run with node, then its arguments. */
  args: string[];
  env?: Record<string, string>;
  /** Flags for node itself, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

const running = new Set<ChildProcess>();

/** Kills every server started by this process that is still running; safe in an 'exit' handler. */
export function killAllServers(): void {
  for (const child of running) child.kill('SIGKILL');
}

async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, LOCALHOST);
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** Spawns the server on a free port, with PORT, HOST (and PUBLIC_URL unless given) set; resolves once /health answers. */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const url = `http://${LOCALHOST}:${port}`;
  const env = { ...process.env, PUBLIC_URL: url, ...options.env, PORT: String(port), HOST: LOCALHOST };
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...options.args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);

  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-OUTPUT_TAIL_LENGTH);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const describe = () => `${options.args.join(' ')} on port ${port}`;

  const server: ServerProcess = {
    url,
    pid: child.pid!,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timeout = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      const exit = await exited;
      clearTimeout(timeout);
      if (exit.code !== 0) {
        throw new Error(`${describe()} did not stop cleanly (exit ${exit.code ?? exit.signal}):\n${tail}`);
      }
    },
  };

  try {
    await waitForHealth(url, exited);
  } catch (error) {
    await server.kill();
    throw new Error(`${describe()} did not start: ${(error as Error).message}\n${tail}`);
  }
  return server;
}

async function waitForHealth(url: string, exited: Promise<Exit>): Promise<void> {
  const early: { exit: Exit | null } = { exit: null };
  void exited.then((exit) => (early.exit = exit));
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (early.exit) throw new Error(`it exited (${early.exit.code ?? early.exit.signal})`);
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok && ((await response.json()) as { ok?: unknown }).ok === true) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, HEALTH_POLL_INTERVAL_MS));
  }
  throw new Error(`/health did not answer within ${STARTUP_TIMEOUT_MS} ms`);
}

/**
 * Where tracking URLs point, as in production: https on a name of its own, TLS ending at a proxy in
 * front of the server. Load goes to the server's own address, with the path of these URLs.
 */
export const LOAD_TEST_PUBLIC_URL = 'https://track.load-test.example';

/** The environment of a real mailsight server over a SQLite file in `dataDir`. */
export function mailsightEnv(dataDir: string, overrides: Record<string, string> = {}): Record<string, string> {
  // An empty DATABASE_URL counts as unset: SQLite, whatever the caller's shell has. No MX lookups:
  // the benchmarks' recipients are at reserved domains, and what is measured is not the network.
  return { DATA_DIR: dataDir, DATABASE_URL: '', PUBLIC_URL: LOAD_TEST_PUBLIC_URL, LOG_LEVEL: 'warn', MX_LOOKUP: 'false', ...overrides };
}

/** Creates an API key with `mailsight keys create`, as an operator would, and returns it. */
export async function createApiKeyWithCli(cliPath: string, dataDir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [cliPath, 'keys', 'create', '--name', 'load-test'], {
    env: { ...process.env, ...mailsightEnv(dataDir) },
  });
  const key = stdout.trim();
  if (!/^msk_\S+$/.test(key)) throw new Error(`mailsight keys create printed no key: ${JSON.stringify(stdout)}`);
  return key;
}
