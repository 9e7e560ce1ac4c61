/** Builds a real server (no socket) over a real test database, with a settable clock and an API key. */
import pino, { type Logger } from 'pino';
import { build, type BuildOptions, type Mailsight } from '../../src/compose.js';
import { loadConfig, type Config } from '../../src/config.js';
import { createApiKey } from '../../src/app/keys.js';
import type { Clock, Mailer } from '../../src/app/ports.js';
import { createTestDatabase, type TestDialect } from './databases.js';

export interface TestServer extends Mailsight {
  apiKey: string;
  clock: Clock & { set(ms: number): void; advance(ms: number): void };
  config: Readonly<Config>;
  /** JSON API call through inject(); returns status and parsed body. */
  api(method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

/**
 * The secret key of test servers (32 bytes, base64). PostgreSQL needs one set (nodes share it); on
 * SQLite tests leave it unset, so the key file beside the test database is used.
 */
export const TEST_SECRET_KEY = Buffer.alloc(32, 0x5e).toString('base64');

/** The settings a test server on this dialect needs besides its own: the secret key on PostgreSQL. */
export function dialectEnv(dialect: TestDialect): Record<string, string> {
  return dialect === 'postgres' ? { SECRET_KEY: TEST_SECRET_KEY } : {};
}

export function settableClock(start = Date.UTC(2026, 10, 1)): TestServer['clock'] {
  let now = start;
  return { now: () => now, set: (ms) => (now = ms), advance: (ms) => (now += ms) };
}

export async function startTestServer(
  dialect: TestDialect,
  env: Record<string, string> = {},
  mailer?: Mailer,
  logger: Logger = pino({ level: 'silent' }),
  extra: Pick<BuildOptions, 'fetcher' | 'mxResolver'> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(dialect);
  // No MX lookups over the network: a test that wants them passes its own resolver.
  const base = loadConfig({ PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', TRUSTED_PROXIES: '127.0.0.1', GROUP_COMMIT_DELAY_MS: '1', SEND_POLL: '0', OUTGOING_WEBHOOKS_POLL: '0', MX_LOOKUP: 'false', ...dialectEnv(dialect), ...env });
  const config = Object.freeze({ ...base, database: database.config });
  const clock = settableClock();
  const built = await build({ config, clock, logger, ...extra, ...(mailer ? { mailer } : {}) });
  const { key } = await createApiKey(built.storage.keys, clock, 'test');
  return {
    ...built,
    apiKey: key,
    clock,
    config,
    async api(method, url, body) {
      const response = await built.app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : null };
    },
    async close() {
      await built.app.close();
      await database.drop();
    },
  };
}
