/**
 * Signing in and out, accounts, API keys and the settings a user may see, under /api. Each route
 * declares its access (access.ts); these only parse and delegate to app/users.ts and app/keys.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MailsightError } from '../../core/errors.js';
import type { Config } from '../../config.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../../app/keys.js';
import type { Clock, KeyStore, User } from '../../app/ports.js';
import type { UserService } from '../../app/users.js';
import { parseIp, truncateIp } from '../../core/nhi/ip-address.js';
import { CLEARED_SESSION_COOKIE, principalOf, sessionCookie } from './access.js';
import { CreateKeyBody, CreateUserBody, IdParam, KeyIdParam, parseInput, SignInBody, SignOutQuery, UpdateUserBody } from './api-schemas.js';
import { ClientAddress } from './client-address.js';

export interface SessionRouteDeps {
  users: UserService;
  keys: KeyStore;
  clock: Clock;
  config: Readonly<Config>;
}

const DAY_MS = 86_400_000;

const sessionUserView = (user: User) => ({ id: user.id, email: user.email, role: user.role, name: user.name });

export async function sessionRoutes(app: FastifyInstance, deps: SessionRouteDeps): Promise<void> {
  const { users, keys, clock, config } = deps;
  // The client address counted by the sign-in limits: behind TRUSTED_PROXIES, the one they forwarded.
  const clients = new ClientAddress(config.trustedProxies);

  app.post('/session', { config: { access: 'public' } }, async (request, reply) => {
    const { email, password } = parseInput(SignInBody, request.body);
    const client = limitedClient(clients.of(request.socket.remoteAddress, request.headers['x-forwarded-for']));
    const result = await users.signIn(email, password, client);
    if (!result.ok && result.reason === 'too-many-attempts') {
      const seconds = Math.ceil(result.retryAfterMs / 1000);
      return reply
        .status(429)
        .header('retry-after', String(seconds))
        .send({ error: 'TOO_MANY_REQUESTS', message: `too many failed sign-ins from this address: try again in ${seconds} s` });
    }
    if (!result.ok) throw new MailsightError('UNAUTHORIZED', 'wrong email or password');
    return reply
      .header('set-cookie', sessionCookie(result.session.secret, result.session.expiresAt - clock.now()))
      .header('cache-control', 'no-store')
      .send({ user: sessionUserView(result.user), csrfToken: result.session.csrfToken });
  });

  app.get('/session', { config: { access: 'session' } }, async (_request, reply) => {
    const principal = principalOf(_request)!;
    void reply.header('cache-control', 'no-store');
    if (principal.kind === 'key') return { key: { id: principal.key.id, name: principal.key.name, scope: principal.key.scope }, csrfToken: null };
    return { user: sessionUserView(principal.user), csrfToken: principal.session.csrfToken };
  });

  app.delete('/session', { config: { access: 'session' } }, async (request, reply: FastifyReply) => {
    const { everywhere } = parseInput(SignOutQuery, request.query, 'query');
    const principal = principalOf(request)!;
    if (principal.kind === 'key') throw new MailsightError('VALIDATION', 'an API key has no session to end: revoke it with DELETE /api/keys/:id');
    let signedOut = 1;
    if (everywhere) signedOut = await users.signOutEverywhere(principal.user.id);
    else await users.signOut(principal.session);
    return reply.header('set-cookie', CLEARED_SESSION_COOKIE).send({ signedOut });
  });

  app.get('/users', { config: { access: 'admin' } }, async () => ({ users: await users.listUsers() }));

  app.post('/users', { config: { access: 'admin' } }, async (request, reply) => {
    const input = parseInput(CreateUserBody, request.body);
    return reply.status(201).send(await users.createUser(input));
  });

  app.patch('/users/:id', { config: { access: 'admin' } }, async (request) => {
    const { id } = parseInput(IdParam, request.params, 'id');
    const changes = parseInput(UpdateUserBody, request.body ?? {});
    const principal = principalOf(request)!;
    // Changing one's own password keeps the session that changed it; every other one ends.
    const keep = principal.kind === 'user' && principal.user.id === id ? principal.session.id : undefined;
    return users.updateUser(id, changes, keep);
  });

  app.delete('/users/:id', { config: { access: 'admin' } }, async (request, reply) => {
    await users.deleteUser(parseInput(IdParam, request.params, 'id').id);
    return reply.status(204).send();
  });

  app.get('/keys', { config: { access: 'admin' } }, async () => ({ keys: (await listApiKeys(keys)).map(keyView) }));

  app.post('/keys', { config: { access: 'admin' } }, async (request, reply) => {
    const { name, scope } = parseInput(CreateKeyBody, request.body);
    return reply.status(201).header('cache-control', 'no-store').send(await createApiKey(keys, clock, name, scope));
  });

  app.delete('/keys/:id', { config: { access: 'admin' } }, async (request: FastifyRequest, reply) => {
    await revokeApiKey(keys, clock, parseInput(KeyIdParam, request.params, 'id').id);
    return reply.status(204).send();
  });

  const settings = visibleSettings(config);
  app.get('/settings', { config: { access: 'admin' } }, async () => settings);
}

const keyView = (key: Awaited<ReturnType<typeof listApiKeys>>[number]) => ({
  id: key.id,
  name: key.name,
  scope: key.scope,
  createdAt: key.createdAt,
  lastUsedAt: key.lastUsedAt,
  revokedAt: key.revokedAt,
});

/**
 * The running configuration as a user may see it: never a secret (no relay credentials, no secret
 * key, no webhook secrets, no database URL).
 */
export function visibleSettings(config: Readonly<Config>) {
  return {
    version: packageVersion(),
    publicUrl: config.publicUrl,
    database: config.database.dialect,
    sending: {
      relay: config.smtpUrl ? relayAddress(config.smtpUrl) : null,
      requireTls: config.smtpRequireTls,
      from: config.mailFrom,
      bounceDomain: config.bounceDomain,
      concurrency: config.sending.concurrency,
      ratePerMinute: config.sending.ratePerMinute,
      maxAttempts: config.sending.maxAttempts,
      retryBackoffMs: config.sending.backoffMs,
      giveUpAfterMs: config.sending.giveUpAfterMs,
    },
    webhookProviders: Object.keys(config.webhooks).sort(),
    inboundSmtp: config.inboundSmtp ? { port: config.inboundSmtp.port, domains: config.inboundSmtp.domains } : null,
    suppression: {
      hardBounceDays: config.suppression.hardBounceMs / DAY_MS,
      softBounces: { limit: config.suppression.softBounceLimit, window: config.suppression.softBounceWindow },
      softBounceDays: config.suppression.softBounceMs / DAY_MS,
    },
    ipStorage: config.ipStorage,
  };
}

/** The relay's scheme, host and port, without the credentials SMTP_URL may hold. */
function relayAddress(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  return `${url.protocol}//${url.host}`;
}

let version: string | null = null;

/** This package's version, from the package.json above this file (in src/ under tests, dist/src/ built). */
function packageVersion(): string {
  if (version !== null) return version;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      version = String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown');
      return version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (version = 'unknown');
    dir = parent;
  }
}

/**
 * The client the sign-in limits count: an IPv4 address as it is, an IPv6 one by its /64 (one
 * subscriber's network: an address within it is had for free).
 */
function limitedClient(address: string | null): string {
  if (address === null || parseIp(address) === null) return 'unknown';
  return address.includes(':') && !address.includes('.') ? `${truncateIp(address, 32, 64)}/64` : address;
}
