/**
 * Who may call what: every route under /api against every kind of credential (a table that must name
 * every route: a new route without an entry fails here), signing in and out, CSRF, the sign-in limit,
 * the cookie's attributes, password hashes and API keys; on every dialect.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type RouteOptions } from 'fastify';
import pino from 'pino';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey, revokeApiKey } from '../src/app/keys.js';
import type { KeyScope, Role } from '../src/app/ports.js';
import { hashPassword, verifyPassword } from '../src/app/passwords.js';
import { ACCOUNT_FAILURE_LIMIT, SESSION_ABSOLUTE_MS, SESSION_IDLE_MS, SIGN_IN_WINDOW_MS } from '../src/app/users.js';
import { ACCESS_LEVELS, allows, enforceAccess, type Access, type Principal } from '../src/adapters/http/access.js';
import * as R from '../src/adapters/http/api-responses.js';
import { createTestDatabase, testDialects, type TestDatabase } from './support/databases.js';
import { dialectEnv, settableClock } from './support/server.js';

/**
 * What every route under /api needs. A route missing here, or here but not registered, fails the
 * test. `stream: true` marks a route that answers with an endless stream (server-sent events): only its
 * refusals are checked, since an allowed request would never end.
 */
const ROUTES: Record<string, { access: Access; stream?: boolean }> = {
  'GET /api/openapi.json': { access: 'public' },
  'POST /api/session': { access: 'public' },
  'GET /api/session': { access: 'session' },
  'DELETE /api/session': { access: 'session' },
  'POST /api/campaigns': { access: 'write' },
  'GET /api/campaigns': { access: 'read' },
  'GET /api/campaigns/:id': { access: 'read' },
  'POST /api/campaigns/:id/executions': { access: 'write' },
  'GET /api/executions/:id': { access: 'read' },
  'GET /api/campaigns/:id/report': { access: 'read' },
  'GET /api/executions/:id/report': { access: 'read' },
  'POST /api/messages': { access: 'write' },
  'GET /api/messages/:id': { access: 'read' },
  'GET /api/events/:id/verdicts': { access: 'read' },
  'POST /api/messages/:id/send': { access: 'write' },
  'POST /api/messages/:id/events': { access: 'ingest' },
  'GET /api/inbound-reports': { access: 'read' },
  'GET /api/inbound-reports/:id/raw': { access: 'read' },
  'GET /api/executions/:id/hot-clicks': { access: 'read' },
  'GET /api/campaigns/:id/hot-clicks': { access: 'read' },
  'GET /api/suppressions': { access: 'read' },
  'GET /api/suppressions/export.csv': { access: 'read' },
  'GET /api/suppressions/:email': { access: 'read' },
  'POST /api/suppressions': { access: 'write' },
  'DELETE /api/suppressions/:email': { access: 'write' },
  'POST /api/suppressions/import': { access: 'write' },
  'GET /api/campaigns/:id/contacts': { access: 'read' },
  'GET /api/campaigns/:id/contacts.csv': { access: 'read' },
  'GET /api/executions/:id/contacts': { access: 'read' },
  'GET /api/executions/:id/contacts.csv': { access: 'read' },
  'GET /api/contacts': { access: 'read' },
  'GET /api/contacts/by-address/:address': { access: 'read' },
  'GET /api/contacts/:id': { access: 'read' },
  'GET /api/contacts/:id/messages': { access: 'read' },
  'GET /api/contacts/:id/timeline': { access: 'read' },
  'GET /api/users': { access: 'admin' },
  'POST /api/users': { access: 'admin' },
  'PATCH /api/users/:id': { access: 'admin' },
  'DELETE /api/users/:id': { access: 'admin' },
  'GET /api/keys': { access: 'admin' },
  'POST /api/keys': { access: 'admin' },
  'DELETE /api/keys/:id': { access: 'admin' },
  'GET /api/settings': { access: 'admin' },
  'GET /api/campaigns/overview': { access: 'read' },
  'GET /api/campaigns/:id/live': { access: 'read', stream: true },
  'GET /api/contacts/:id/live': { access: 'read', stream: true },
  'GET /api/webhook-endpoints': { access: 'admin' },
  'POST /api/webhook-endpoints': { access: 'admin' },
  'DELETE /api/webhook-endpoints/:id': { access: 'admin' },
  'GET /api/webhook-endpoints/:id/deliveries': { access: 'admin' },
};

/** A value for each path parameter: nothing that exists, so an allowed request changes nothing. */
const PARAMS: Record<string, string> = { id: '999999', email: 'nobody@access.example', address: 'nobody@access.example' };
const KEY_ID_PARAM = '0123456789ab';

type Credential = 'none' | 'viewer' | 'editor' | 'admin' | 'key:reports' | 'key:ingest' | 'key:admin' | 'revoked key' | 'expired session';
const CREDENTIALS: Credential[] = ['none', 'viewer', 'editor', 'admin', 'key:reports', 'key:ingest', 'key:admin', 'revoked key', 'expired session'];

interface Server extends Mailsight {
  clock: ReturnType<typeof settableClock>;
  routes: { method: string; url: string; access: unknown }[];
  close(): Promise<void>;
}

async function startServer(dialect: 'sqlite' | 'postgres'): Promise<Server> {
  const database: TestDatabase = await createTestDatabase(dialect);
  const base = loadConfig({ PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', TRUSTED_PROXIES: '127.0.0.1', SEND_POLL: '0', MX_LOOKUP: 'false', HIT_WRITER: 'inline', ...dialectEnv(dialect) });
  const config = Object.freeze({ ...base, database: database.config });
  const clock = settableClock();
  const routes: Server['routes'] = [];
  const onRoute = (route: RouteOptions) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, access: route.config?.access });
  };
  const built = await build({ config, clock, logger: pino({ level: 'silent' }), onRoute });
  return {
    ...built,
    clock,
    routes,
    async close() {
      await built.app.close();
      await database.drop();
    },
  };
}

const cookieOf = (setCookie: string | string[] | undefined) => [setCookie].flat()[0]?.split(';')[0] ?? '';

for (const dialect of await testDialects()) {
  describe(`access to the API (${dialect})`, () => {
    let s: Server;
    const users: Partial<Record<Role, number>> = {};
    beforeAll(async () => {
      s = await startServer(dialect);
      for (const role of ['admin', 'editor', 'viewer'] as const) {
        users[role] = (await s.services.users.createUser({ email: `${role}@access.example`, name: role, role, password: `${role}-password-1` })).id;
      }
    });
    afterAll(async () => s?.close());

    /** Headers that present the credential; a session's carries its CSRF token, so that only its role is tested. */
    async function headersFor(credential: Credential): Promise<Record<string, string>> {
      if (credential === 'none') return {};
      if (credential === 'viewer' || credential === 'editor' || credential === 'admin') {
        const session = await s.services.users.openSession(users[credential]!);
        return { cookie: `__Host-mailsight_session=${session.secret}`, 'x-csrf-token': session.csrfToken };
      }
      if (credential === 'expired session') {
        const session = await s.services.users.openSession(users.admin!);
        s.clock.advance(SESSION_IDLE_MS);
        return { cookie: `__Host-mailsight_session=${session.secret}`, 'x-csrf-token': session.csrfToken };
      }
      const scope: KeyScope = credential === 'revoked key' ? 'admin' : (credential.slice('key:'.length) as KeyScope);
      const created = await createApiKey(s.storage.keys, s.clock, credential, scope);
      if (credential === 'revoked key') await revokeApiKey(s.storage.keys, s.clock, created.id);
      return { authorization: `Bearer ${created.key}` };
    }

    const principal = (credential: Credential): Principal | null => {
      const now = s.clock.now();
      const session = { id: '', userId: 0, csrfToken: '', createdAt: now, lastSeenAt: now, expiresAt: now };
      if (credential === 'viewer' || credential === 'editor' || credential === 'admin') return { kind: 'user', user: { id: 0, email: '', name: '', role: credential, createdAt: now }, session };
      if (credential.startsWith('key:')) {
        return { kind: 'key', key: { id: '', name: '', secretHash: '', createdAt: now, revokedAt: null, scope: credential.slice(4) as KeyScope, lastUsedAt: null } };
      }
      return null;
    };

    it('the table names every route under /api, with the access each declares', () => {
      const registered = Object.fromEntries(
        s.routes.filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD').map((r) => [`${r.method} ${r.url}`, r.access]),
      );
      expect(registered).toEqual(Object.fromEntries(Object.entries(ROUTES).map(([route, { access }]) => [route, access])));
      // HEAD routes made for GET ones declare the GET's access.
      for (const head of s.routes.filter((r) => r.url.startsWith('/api/') && r.method === 'HEAD')) expect(head.access, head.url).toBe(ROUTES[`GET ${head.url}`]?.access);
    });

    it('no route answers a credential that lacks its access; every route answers one that has it', async () => {
      const failures: string[] = [];
      for (const [route, { access, stream }] of Object.entries(ROUTES)) {
        const [method, path] = route.split(' ') as [string, string];
        const url = path.replace(/:(\w+)/g, (_, name: string) => (path.startsWith('/api/keys/') ? KEY_ID_PARAM : PARAMS[name]!));
        for (const credential of CREDENTIALS) {
          const allowed = allows(principal(credential), access);
          if (allowed && stream) continue;
          const csv = route === 'POST /api/suppressions/import';
          const headers = { ...(await headersFor(credential)), ...(method === 'GET' ? {} : { 'content-type': csv ? 'text/csv' : 'application/json' }) };
          const response = await s.app.inject({ method: method as 'GET', url, headers, ...(method === 'GET' ? {} : { payload: csv ? 'email,reason,expires_at,note\r\n' : '{}' }) });
          const status = response.statusCode;
          const expected = allowed ? 'answered' : ['none', 'revoked key', 'expired session'].includes(credential) ? 401 : 403;
          const ok = expected === 'answered' ? status !== 401 && status !== 403 && status < 500 : status === expected;
          if (!ok) failures.push(`${route} with ${credential}: ${status} ${response.body.slice(0, 120)} (expected ${expected})`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('refuses to start when a route under /api declares no access', async () => {
      const app = Fastify();
      const registered = app.register(
        async (api) => {
          enforceAccess(api, { keys: s.storage.keys, users: s.services.users, clock: s.clock, publicUrl: 'https://track.test' });
          api.get('/declared', { config: { access: 'read' } }, async () => ({}));
          api.get('/undeclared', async () => ({}));
        },
        { prefix: '/api' },
      );
      await expect(registered).rejects.toThrow(/GET \/api\/undeclared declares no access/);
      await app.close();
      expect(ACCESS_LEVELS).toContain('public');
    });

    it('signs in with a cookie that is HttpOnly, Secure and SameSite=Strict; says who; signs out', async () => {
      const wrong = await s.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'editor@access.example', password: 'not-the-password' }, headers: { 'x-forwarded-for': '192.0.2.10' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['set-cookie']).toBeUndefined();

      const signIn = await s.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'Editor@Access.example', password: 'editor-password-1' }, headers: { 'x-forwarded-for': '192.0.2.10' } });
      expect(signIn.statusCode).toBe(200);
      const body = R.SessionInfo.parse(signIn.json());
      expect(body.user).toEqual({ id: users.editor, email: 'editor@access.example', role: 'editor', name: 'editor' });
      const setCookie = String(signIn.headers['set-cookie']);
      expect(setCookie).toMatch(/^__Host-mailsight_session=[A-Za-z0-9_-]{43}; /);
      expect(setCookie.split('; ')).toEqual(expect.arrayContaining(['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/', `Max-Age=${SESSION_ABSOLUTE_MS / 1000}`]));
      const cookie = cookieOf(signIn.headers['set-cookie']);

      const me = await s.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } });
      expect(me.json()).toEqual({ user: body.user, csrfToken: body.csrfToken });
      // The database holds a hash of the cookie's secret, never the secret itself.
      const stored = await s.storage.database.db.selectFrom('sessions').select('id').execute();
      expect(stored.map((r) => r.id)).not.toContain(cookie.split('=')[1]);

      const out = await s.app.inject({ method: 'DELETE', url: '/api/session', headers: { cookie, 'x-csrf-token': body.csrfToken! } });
      expect(out.statusCode).toBe(200);
      expect(R.SignedOut.parse(out.json())).toEqual({ signedOut: 1 });
      expect(String(out.headers['set-cookie'])).toMatch(/^__Host-mailsight_session=; .*Max-Age=0/);
      expect((await s.app.inject({ method: 'GET', url: '/api/session', headers: { cookie } })).statusCode).toBe(401);
    });

    it('signs out everywhere: every session of the user ends, others stay', async () => {
      const user = await s.services.users.createUser({ email: 'everywhere@access.example', role: 'viewer', password: 'everywhere-password' });
      const a = await s.services.users.openSession(user.id);
      const b = await s.services.users.openSession(user.id);
      const other = await s.services.users.openSession(users.viewer!);
      const out = await s.app.inject({ method: 'DELETE', url: '/api/session?everywhere=true', headers: { cookie: `__Host-mailsight_session=${a.secret}`, 'x-csrf-token': a.csrfToken } });
      expect(out.json()).toEqual({ signedOut: 2 });
      for (const gone of [a, b]) expect((await s.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: `__Host-mailsight_session=${gone.secret}` } })).statusCode).toBe(401);
      expect((await s.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: `__Host-mailsight_session=${other.secret}` } })).statusCode).toBe(200);
    });

    it('ends a session idle too long and one past its absolute expiry, used or not', async () => {
      const idle = await s.services.users.openSession(users.viewer!);
      const busy = await s.services.users.openSession(users.viewer!);
      const get = (secret: string) => s.app.inject({ method: 'GET', url: '/api/campaigns', headers: { cookie: `__Host-mailsight_session=${secret}` } });
      for (let elapsed = 0; elapsed < SESSION_ABSOLUTE_MS; elapsed += SESSION_IDLE_MS / 2) {
        expect((await get(busy.secret)).statusCode, `after ${elapsed} ms`).toBe(200);
        s.clock.advance(SESSION_IDLE_MS / 2);
      }
      expect((await get(busy.secret)).statusCode).toBe(401);
      expect((await get(idle.secret)).statusCode).toBe(401);
    });

    it('refuses a change by the session cookie without its CSRF token, with another session\'s, or from another origin', async () => {
      const session = await s.services.users.openSession(users.editor!);
      const other = await s.services.users.openSession(users.editor!);
      const post = (headers: Record<string, string>) =>
        s.app.inject({ method: 'POST', url: '/api/campaigns', payload: { name: 'csrf' }, headers: { cookie: `__Host-mailsight_session=${session.secret}`, ...headers } });
      const refusals: Record<string, string>[] = [{}, { 'x-csrf-token': other.csrfToken }, { 'x-csrf-token': session.csrfToken, origin: 'https://evil.example' }, { 'x-csrf-token': session.csrfToken, origin: 'null' }];
      for (const headers of refusals) {
        const refused = await post(headers);
        expect(refused.statusCode, JSON.stringify(headers)).toBe(403);
        expect(refused.json().error).toBe('CSRF');
      }
      expect((await s.services.campaigns.listCampaigns()).map((c) => c.name)).not.toContain('csrf');
      // Its own origin (the Host it was asked at, or PUBLIC_URL's) and no Origin at all are taken.
      expect((await post({ 'x-csrf-token': session.csrfToken, origin: 'http://localhost' })).statusCode).toBe(201);
      expect((await post({ 'x-csrf-token': session.csrfToken, origin: 'http://localhost:80' })).statusCode).toBe(201);
      expect((await post({ 'x-csrf-token': session.csrfToken, origin: 'http://localhost:8080' })).statusCode).toBe(403);
      expect((await post({ 'x-csrf-token': session.csrfToken, origin: 'https://track.test' })).statusCode).toBe(201);
      expect((await post({ 'x-csrf-token': session.csrfToken })).statusCode).toBe(201);
      // Reading needs no token; an API key needs none either.
      expect((await s.app.inject({ method: 'GET', url: '/api/campaigns', headers: { cookie: `__Host-mailsight_session=${session.secret}` } })).statusCode).toBe(200);
      // Signing in from another site's page is refused too.
      const foreign = await s.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'editor@access.example', password: 'editor-password-1' }, headers: { origin: 'https://evil.example' } });
      expect(foreign.statusCode).toBe(403);
    });

    it('rate-limits failed sign-ins per address and client with 429 and Retry-After, even for the right password; other clients are not held', async () => {
      const attempt = (password: string, client: string, email = 'admin@access.example') =>
        s.app.inject({ method: 'POST', url: '/api/session', payload: { email, password }, headers: { 'x-forwarded-for': client } });
      for (let i = 0; i < ACCOUNT_FAILURE_LIMIT; i++) {
        expect((await attempt(`guess-${i}-wrong`, '198.51.100.7')).statusCode).toBe(401);
        s.clock.advance(1000);
      }
      const limited = await attempt('admin-password-1', '198.51.100.7');
      expect(limited.statusCode).toBe(429);
      expect(limited.json().error).toBe('TOO_MANY_REQUESTS');
      expect(Number(limited.headers['retry-after'])).toBe((SIGN_IN_WINDOW_MS - ACCOUNT_FAILURE_LIMIT * 1000) / 1000);
      // Unknown addresses count as known ones do.
      for (let i = 0; i < ACCOUNT_FAILURE_LIMIT; i++) expect((await attempt('whatever-it-is', '198.51.100.8', 'ghost@access.example')).statusCode).toBe(401);
      expect((await attempt('whatever-it-is', '198.51.100.8', 'ghost@access.example')).statusCode).toBe(429);
      // An IPv6 client is counted by its /64: another address of the same network is held too.
      for (let i = 0; i < ACCOUNT_FAILURE_LIMIT; i++) expect((await attempt(`v6-${i}-wrong`, `2001:db8:5:6::${i + 1}`)).statusCode).toBe(401);
      expect((await attempt('admin-password-1', '2001:db8:5:6:ffff::9')).statusCode).toBe(429);
      // Another client signs in to the same account; after the window the first does too.
      expect((await attempt('admin-password-1', '198.51.100.9')).statusCode).toBe(200);
      s.clock.advance(SIGN_IN_WINDOW_MS);
      expect((await attempt('admin-password-1', '198.51.100.7')).statusCode).toBe(200);
    });

    it('counts sign-in attempts sent at once against each other: a burst gets no more tries than one after another', async () => {
      const attempt = (i: number) =>
        s.app.inject({ method: 'POST', url: '/api/session', payload: { email: 'editor@access.example', password: `burst-${i}-wrong` }, headers: { 'x-forwarded-for': '198.51.100.77' } });
      const answers = await Promise.all(Array.from({ length: 4 * ACCOUNT_FAILURE_LIMIT }, (_, i) => attempt(i)));
      // How many got their password checked depends on how the attempts interleave (on PostgreSQL all
      // may count each other and be refused); never more than one after another would.
      const checked = answers.filter((a) => a.statusCode === 401).length;
      expect(checked).toBeLessThanOrEqual(ACCOUNT_FAILURE_LIMIT);
      expect(answers.filter((a) => a.statusCode === 429).length).toBe(4 * ACCOUNT_FAILURE_LIMIT - checked);
      // The refused ones left nothing behind: the client is held for the checked failures only.
      expect((await attempt(999)).statusCode).toBe(checked < ACCOUNT_FAILURE_LIMIT ? 401 : 429);
    });

    it('an unknown address costs the same password check as a known one', async () => {
      const time = async (email: string) => {
        const started = performance.now();
        expect((await s.app.inject({ method: 'POST', url: '/api/session', payload: { email, password: 'wrong-password' }, headers: { 'x-forwarded-for': '203.0.113.50' } })).statusCode).toBe(401);
        return performance.now() - started;
      };
      await time('nobody-yet@access.example'); // the decoy hash is made once, at the first unknown address
      const known = Math.min(await time('viewer@access.example'), await time('viewer@access.example'));
      const unknown = Math.min(await time('nobody@access.example'), await time('nobody2@access.example'));
      // Both run one scrypt (tens of milliseconds); without the decoy the unknown one would take ~1 ms.
      expect(unknown).toBeGreaterThan(known / 3);
    });

    it('stores a password as a salted scrypt hash that verifies it and nothing else', async () => {
      const row = await s.storage.database.db.selectFrom('users').select('password_hash').where('email', '=', 'viewer@access.example').executeTakeFirstOrThrow();
      expect(row.password_hash).not.toContain('viewer-password-1');
      expect(row.password_hash).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
      expect(await verifyPassword('viewer-password-1', row.password_hash)).toBe(true);
      expect(await verifyPassword('viewer-password-2', row.password_hash)).toBe(false);
      // Hashes of one password differ (salt), and one made with other parameters still verifies.
      const cheap = await hashPassword('same', { logN: 10, r: 8, p: 1 });
      expect(cheap).not.toBe(await hashPassword('same', { logN: 10, r: 8, p: 1 }));
      expect(await verifyPassword('same', cheap)).toBe(true);
      expect(await verifyPassword('same', 'scrypt$40$8$1$AAAA$AAAA')).toBe(false);
    });

    it('API keys: shown once, stored hashed, scoped, last use recorded at most once a minute, revocable', async () => {
      const admin = await headersFor('key:admin');
      const created = await s.app.inject({ method: 'POST', url: '/api/keys', headers: admin, payload: { name: 'reports robot', scope: 'reports' } });
      expect(created.statusCode).toBe(201);
      const key = R.CreatedApiKey.parse(created.json());
      expect(key).toMatchObject({ name: 'reports robot', scope: 'reports' });
      const row = await s.storage.database.db.selectFrom('api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
      expect(row.secret_hash).not.toContain(key.key.split('_')[2]!);
      expect(JSON.stringify(row)).not.toContain(key.key.split('_')[2]!);

      const listed = () => s.app.inject({ method: 'GET', url: '/api/keys', headers: admin }).then((r) => R.ApiKeyList.parse(r.json()).keys.find((k) => k.id === key.id)!);
      expect(await listed()).toEqual({ id: key.id, name: 'reports robot', scope: 'reports', createdAt: s.clock.now(), lastUsedAt: null, revokedAt: null });
      expect(JSON.stringify((await s.app.inject({ method: 'GET', url: '/api/keys', headers: admin })).json())).not.toContain(key.key.split('_')[2]!);

      const use = () => s.app.inject({ method: 'GET', url: '/api/campaigns', headers: { authorization: `Bearer ${key.key}` } });
      const firstUse = s.clock.now();
      expect((await use()).statusCode).toBe(200);
      s.clock.advance(30_000);
      await use();
      expect((await listed()).lastUsedAt).toBe(firstUse);
      s.clock.advance(30_000);
      await use();
      expect((await listed()).lastUsedAt).toBe(firstUse + 60_000);
      expect((await s.app.inject({ method: 'GET', url: '/api/session', headers: { authorization: `Bearer ${key.key}` } })).json()).toEqual({ key: { id: key.id, name: 'reports robot', scope: 'reports' }, csrfToken: null });

      expect((await s.app.inject({ method: 'DELETE', url: `/api/keys/${key.id}`, headers: admin })).statusCode).toBe(204);
      expect((await use()).statusCode).toBe(401);
      expect((await listed()).revokedAt).toBe(s.clock.now());
      expect((await s.app.inject({ method: 'DELETE', url: `/api/keys/${key.id}`, headers: admin })).statusCode).toBe(404);
      const bad = await s.app.inject({ method: 'POST', url: '/api/keys', headers: admin, payload: { name: 'x', scope: 'everything' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/^scope: /);
    });

    it('users through the API: create, list, change role and password, delete; the last admin stays; changes are audited as user:<id>', async () => {
      const admin = await headersFor('admin');
      const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
        s.app.inject({ method, url, headers: { ...admin, ...(payload ? { 'content-type': 'application/json' } : {}) }, ...(payload ? { payload } : {}) });
      const created = await call('POST', '/api/users', { email: 'New@Access.example', name: 'New', role: 'viewer', password: 'a-long-password' });
      expect(created.statusCode).toBe(201);
      const user = R.UserRecord.parse(created.json());
      expect(user).toMatchObject({ email: 'new@access.example', role: 'viewer' });
      expect((await call('POST', '/api/users', { email: 'new@access.example', name: 'Again', role: 'viewer', password: 'a-long-password' })).statusCode).toBe(409);
      expect((await call('POST', '/api/users', { email: 'short@access.example', role: 'viewer', password: 'short' })).json().message).toMatch(/^password: /);
      expect(R.UserList.parse((await call('GET', '/api/users')).json()).users.map((u) => u.email)).toContain('new@access.example');

      const session = await s.services.users.openSession(user.id);
      expect(R.UserRecord.parse((await call('PATCH', `/api/users/${user.id}`, { role: 'editor', password: 'another-password' })).json()).role).toBe('editor');
      // A new password ends the user's sessions.
      expect((await s.app.inject({ method: 'GET', url: '/api/session', headers: { cookie: `__Host-mailsight_session=${session.secret}` } })).statusCode).toBe(401);

      const removed = await s.app.inject({ method: 'POST', url: '/api/suppressions', headers: { ...admin, 'content-type': 'application/json' }, payload: { email: 'audited@access.example' } });
      expect(removed.json().change.actor).toBe(`user:${users.admin}`);

      expect((await call('PATCH', `/api/users/${users.admin}`, { role: 'viewer' })).statusCode).toBe(409);
      expect((await call('DELETE', `/api/users/${users.admin}`)).statusCode).toBe(409);
      expect((await call('DELETE', `/api/users/${user.id}`)).statusCode).toBe(204);
      expect((await call('DELETE', `/api/users/${user.id}`)).statusCode).toBe(404);
    });

    it('settings: what runs, and never a secret', async () => {
      const response = await s.app.inject({ method: 'GET', url: '/api/settings', headers: await headersFor('key:admin') });
      const settings = R.Settings.parse(response.json());
      expect(settings).toMatchObject({ publicUrl: 'https://track.test', database: dialect, sending: { relay: null }, webhookProviders: [] });
      expect(JSON.stringify(settings)).not.toMatch(/secret|password|postgres:\/\//i);
    });

    it('pages: without a session, 303 to /sign-in with the page to come back to; with one, the page', async () => {
      const page = (url: string, headers: Record<string, string> = {}) => s.app.inject({ method: 'GET', url, headers });
      // Every page the dashboard has (web-routes.ts PAGE_PATHS), none without a session.
      for (const url of ['/', '/campaigns/7?tab=links', '/campaigns/7/hot-clicks', '/contacts', '/contacts/3', '/suppressions', '/review', '/settings']) {
        const anonymous = await page(url);
        expect([url, anonymous.statusCode, anonymous.headers.location]).toEqual([url, 303, `/sign-in?next=${encodeURIComponent(url)}`]);
      }
      // With a session, the page: the dashboard's shell (or, where it was not built, the 503 that says how).
      const session = await s.services.users.openSession(users.viewer!);
      const served = await page('/campaigns/7?tab=links', { cookie: `theme=dark; __Host-mailsight_session=${session.secret}` });
      expect([200, 503]).toContain(served.statusCode);
      expect((await page('/campaigns/7', { cookie: '__Host-mailsight_session=not-a-session-at-all-0000000' })).statusCode).toBe(303);
      // A cookie without the prefix (one a neighbouring host could have set) is no session.
      expect((await page('/campaigns/7', { cookie: `mailsight_session=${session.secret}` })).statusCode).toBe(303);
      await s.services.users.signOut((await s.services.users.session(session.secret))!.session);
      expect((await page('/campaigns/7', { cookie: `__Host-mailsight_session=${session.secret}` })).statusCode).toBe(303);
      // The sign-in page and the assets need none.
      expect([200, 503]).toContain((await page('/sign-in')).statusCode);
    });

    it('publishes the session, users, keys and settings schemas in the OpenAPI document', async () => {
      const doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
      for (const name of ['SessionInfo', 'SignedOut', 'UserRecord', 'UserList', 'ApiKeyList', 'CreatedApiKey', 'Settings']) expect(doc.components.schemas[name], name).toMatchObject({ type: 'object' });
      expect(doc.paths['/api/session'].post.security).toEqual([]);
      expect(doc.paths['/api/keys'].post.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/CreatedApiKey' });
    });
  });
}
