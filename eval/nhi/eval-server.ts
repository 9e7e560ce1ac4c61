/**
 * The real mailsight server, built in process over a throw-away SQLite file, with a clock the
 * harness sets and an API key; driven through inject() only (no socket).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createApiKey } from '../../src/app/keys.js';
import { build } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';

export const EVAL_PUBLIC_URL = 'https://track.eval';

export interface EvalServer {
  app: Awaited<ReturnType<typeof build>>['app'];
  /** Sets the server's clock (epoch ms). */
  setTime(ms: number): void;
  now(): number;
  /** Counts every request sent, API and tracking. */
  requests: number;
  /** A JSON API call; throws when the status is not one of `expect`. */
  api(method: 'GET' | 'POST', url: string, body: unknown, expect: readonly number[]): Promise<unknown>;
  close(): Promise<void>;
}

export class BrokenServerError extends Error {
  override name = 'BrokenServerError';
}

export async function startEvalServer(selfNetworks: readonly string[], startTime: number, hitWriter: 'thread' | 'inline' = 'thread'): Promise<EvalServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-nhi-'));
  let current = startTime;
  const clock = { now: () => current };
  try {
    const config = Object.freeze({
      ...loadConfig({ MX_LOOKUP: 'false',
        PUBLIC_URL: EVAL_PUBLIC_URL,
        LOG_LEVEL: 'silent',
        TRUSTED_PROXIES: '127.0.0.1',
        GROUP_COMMIT_DELAY_MS: '0',
        SELF_NETWORKS: selfNetworks.join(','),
        HIT_WRITER: hitWriter,
      }),
      database: { dialect: 'sqlite' as const, file: path.join(dir, 'eval.sqlite'), synchronous: 'NORMAL' as const },
    });
    const { app, storage } = await build({ config, clock, logger: pino({ level: 'silent' }) });
    const { key } = await createApiKey(storage.keys, clock, 'eval');
    const server: EvalServer = {
      app,
      setTime: (ms) => void (current = ms),
      now: () => current,
      requests: 0,
      async api(method, url, body, expect) {
        server.requests++;
        const response = await app.inject({
          method,
          url,
          headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
        if (!expect.includes(response.statusCode)) {
          throw new BrokenServerError(`${method} ${url} answered ${response.statusCode} (expected ${expect.join(' or ')}): ${response.body.slice(0, 500)}`);
        }
        return response.body ? JSON.parse(response.body) : null;
      },
      async close() {
        try {
          await app.close();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
    return server;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
