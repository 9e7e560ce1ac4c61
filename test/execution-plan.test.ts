/**
 * A click goes where the link at its position in the original content pointed, whatever changed since
 * the execution was created: the plan that renders messages is the one stored with the execution, not
 * one rebuilt from today's settings (EXCLUDED_DESTINATIONS here; a planner change in an upgrade alike).
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';
import { dialectEnv, settableClock } from './support/server.js';

/** Four links on four hosts; the third is the one a later EXCLUDED_DESTINATIONS leaves alone. */
const HTML =
  '<html><body><p><a href="https://first.example/a">A</a></p>' +
  '<p><a href="https://second.example/b?x=1&amp;y=2">B</a></p>' +
  '<p><a href="https://excluded.example/c">C</a></p>' +
  '<p><a href="https://fourth.example/d">D</a></p></body></html>';
const TEXT = 'Read https://excluded.example/t and https://fifth.example/u';
const TRACKED_PREFIX = 'https://track.test/c/';

/** The href values of the HTML in document order, entities decoded (only &amp; occurs here). */
const hrefs = (html: string): string[] => [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]!.replaceAll('&amp;', '&'));
const textUrls = (text: string): string[] => [...text.matchAll(/https:\/\/\S+/g)].map((m) => m[0]);

describe.each(await testDialects())('an execution keeps its plan across a restart with other settings (%s)', (dialect) => {
  let database: TestDatabase | undefined;
  let server: Mailsight | undefined;
  afterEach(async () => {
    await server?.app.close();
    await database?.drop();
  });

  /** A server on a new database; `restart(env)` starts it again on the same database with other settings. */
  async function firstStart() {
    database = await createTestDatabase(dialect);
    const clock = settableClock();
    const start = (env: Record<string, string>) => {
      const config = Object.freeze({
        ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', HIT_WRITER: 'inline', ...dialectEnv(dialect), ...env }),
        database: database!.config,
      });
      return build({ config, clock, logger: pino({ level: 'silent' }) });
    };
    server = await start({});
    const { key } = await createApiKey(server.storage.keys, clock, 'plan');
    const api = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
      const response = await server!.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { payload: JSON.stringify(body) } : {}) });
      return { status: response.statusCode, body: response.json() };
    };
    const restart = async (env: Record<string, string>) => {
      await server!.app.close();
      server = await start(env);
    };
    const createExecution = async () => {
      const campaign = (await api('POST', '/api/campaigns', { name: 'plan' })).body;
      const execution = await api('POST', `/api/campaigns/${campaign.id}/executions`, { subject: 's', html: HTML, text: TEXT });
      expect(execution.status).toBe(201);
      expect(execution.body.links.map((l: { url: string }) => l.url)).toEqual([...hrefs(HTML), ...textUrls(TEXT)]);
      return execution.body.id as number;
    };
    /** Where a tracked URL redirects. */
    const destination = async (tracked: string) => {
      const response = await server!.app.inject({ method: 'GET', url: new URL(tracked).pathname });
      expect(response.statusCode).toBe(302);
      return response.headers.location;
    };
    return { api, restart, createExecution, destination };
  }

  it('renders every link as at creation, and each click goes to the link at its position', async () => {
    const { api, restart, createExecution, destination } = await firstStart();
    const executionId = await createExecution();
    await restart({ EXCLUDED_DESTINATIONS: 'excluded.example' });

    const message = await api('POST', '/api/messages', { executionId, to: ['ann@corp.example'] });
    expect(message.status).toBe(201);
    const renderedHtml = hrefs(message.body.html);
    const renderedText = textUrls(message.body.text);
    expect(renderedHtml).toHaveLength(hrefs(HTML).length);
    expect(renderedText).toHaveLength(textUrls(TEXT).length);
    const expected = [...hrefs(HTML), ...textUrls(TEXT)];
    const rendered = [...renderedHtml, ...renderedText];
    for (const [position, tracked] of rendered.entries()) {
      expect(tracked.startsWith(TRACKED_PREFIX)).toBe(true);
      expect(await destination(tracked)).toBe(expected[position]);
    }
  });

  describe('an execution created before plans were stored', () => {
    /** Makes the execution look as it did before migration 0006: links stored, no plan. */
    const forgetPlan = (executionId: number) =>
      server!.storage.database.db.updateTable('executions').set({ plan: null }).where('id', '=', executionId).execute();
    const storedPlan = async (executionId: number) =>
      (await server!.storage.database.db.selectFrom('executions').select('plan').where('id', '=', executionId).executeTakeFirstOrThrow()).plan;

    it('is refused, with nothing written, when planning it again finds other links', async () => {
      const { api, restart, createExecution } = await firstStart();
      const executionId = await createExecution();
      await forgetPlan(executionId);
      await restart({ EXCLUDED_DESTINATIONS: 'excluded.example' });

      const refused = await api('POST', '/api/messages', { executionId, to: ['ann@corp.example'] });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toBe('CONFLICT');
      expect(refused.body.message).toContain(`execution ${executionId}`);
      expect(refused.body.message).toContain('ordinal 3');
      expect(refused.body.message).toContain('https://excluded.example/c');
      const messages = await server!.storage.database.db.selectFrom('messages').select('id').execute();
      expect(messages).toEqual([]);
      expect(await storedPlan(executionId)).toBeNull();
    });

    it('is rendered when planning it again finds the stored links, and its plan is stored from then on', async () => {
      const { api, restart, createExecution, destination } = await firstStart();
      const executionId = await createExecution();
      await forgetPlan(executionId);
      await restart({});

      const message = await api('POST', '/api/messages', { executionId, to: ['ann@corp.example'] });
      expect(message.status).toBe(201);
      expect(await destination(hrefs(message.body.html)[2]!)).toBe('https://excluded.example/c');
      expect(await storedPlan(executionId)).not.toBeNull();

      // Stored now: a later change of settings no longer matters.
      await restart({ EXCLUDED_DESTINATIONS: 'excluded.example' });
      const later = await api('POST', '/api/messages', { executionId, to: ['bob@corp.example'] });
      expect(later.status).toBe(201);
      expect(await destination(hrefs(later.body.html)[3]!)).toBe('https://fourth.example/d');
    });
  });
});
