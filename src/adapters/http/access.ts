/**
 * Who may call what under /api. Every route declares what it needs in its config
 * (`{ config: { access: 'read' } }`); a route that declares nothing stops the server from starting
 * (fail closed). A request is authenticated by an API key (`Authorization: Bearer msk_...`) or by the
 * session cookie, then allowed by the role (a person) or the scope (a key) table below. A change made
 * with the session cookie must carry the session's CSRF token and, when the browser sends one, the
 * server's own Origin.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MailsightError } from '../../core/errors.js';
import { verifyApiKey } from '../../app/keys.js';
import type { ApiKeyRecord, Clock, KeyScope, KeyStore, Role, SessionRecord, User } from '../../app/ports.js';
import type { UserService } from '../../app/users.js';

/**
 * What a route needs:
 * - `public`: nothing (the OpenAPI document, signing in);
 * - `session`: any person signed in or any API key (who am I, sign out);
 * - `read`: reports, campaigns, contacts, suppressions listed, live feeds;
 * - `write`: creating and sending, changing suppressions;
 * - `ingest`: recording delivery events;
 * - `admin`: accounts, API keys, outgoing webhooks, settings.
 */
export const ACCESS_LEVELS = ['public', 'session', 'read', 'write', 'ingest', 'admin'] as const;
export type Access = (typeof ACCESS_LEVELS)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs (src/adapters/http/access.ts); required under /api. */
    access?: Access;
  }
}

/** What each role of a person may do. */
export const ROLE_ACCESS: Readonly<Record<Role, readonly Access[]>> = {
  admin: ['session', 'read', 'write', 'ingest', 'admin'],
  editor: ['session', 'read', 'write', 'ingest'],
  viewer: ['session', 'read'],
};

/** What each scope of an API key may do. */
export const SCOPE_ACCESS: Readonly<Record<KeyScope, readonly Access[]>> = {
  admin: ['session', 'read', 'write', 'ingest', 'admin'],
  reports: ['session', 'read'],
  ingest: ['session', 'ingest'],
};

/** Who a request is: a person by their session, or an API key. */
export type Principal = { kind: 'user'; user: User; session: SessionRecord } | { kind: 'key'; key: ApiKeyRecord };

export function allows(principal: Principal | null, access: Access): boolean {
  if (access === 'public') return true;
  if (!principal) return false;
  return (principal.kind === 'user' ? ROLE_ACCESS[principal.user.role] : SCOPE_ACCESS[principal.key.scope]).includes(access);
}

const principals = new WeakMap<FastifyRequest, Principal>();

/** Who made the request; null on a public route called without a credential. */
export function principalOf(request: FastifyRequest): Principal | null {
  return principals.get(request) ?? null;
}

function requirePrincipal(request: FastifyRequest): Principal {
  const principal = principals.get(request);
  if (!principal) throw new MailsightError('UNAUTHORIZED', 'this route needs a credential');
  return principal;
}

/** Who made a change, for audit trails: `user:<id>` or `api-key:<id>`. */
export function actorOf(request: FastifyRequest): string {
  const principal = requirePrincipal(request);
  return principal.kind === 'user' ? `user:${principal.user.id}` : `api-key:${principal.key.id}`;
}

/**
 * Whose Idempotency-Keys a request's is among: an API key's own id (as before accounts existed, so keys
 * recorded then still match), `user:<id>` for a person.
 */
export function idempotencyScope(request: FastifyRequest): string {
  const principal = requirePrincipal(request);
  return principal.kind === 'user' ? `user:${principal.user.id}` : principal.key.id;
}

/**
 * The session cookie's name. `__Host-` makes browsers accept it only Secure, for Path=/ and with no
 * Domain: a neighbouring host (another subdomain) cannot plant a session of its own here.
 */
export const SESSION_COOKIE = '__Host-mailsight_session';

/**
 * The session cookie: never readable by scripts (HttpOnly), sent over TLS only (Secure; browsers make
 * an exception for localhost), never on a request from another site (SameSite=Strict).
 */
export function sessionCookie(secret: string, maxAgeMs: number): string {
  return `${SESSION_COOKIE}=${secret}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${Math.max(0, Math.floor(maxAgeMs / 1000))}`;
}

/** The cookie that tells the browser to forget the session. */
export const CLEARED_SESSION_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;

/** The value of a cookie in a Cookie header; null when absent. */
export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * The person signed in by the request's session cookie, or null: for the pages of the web app, which
 * answer 303 to /sign-in without one (see `requirePageSession`).
 */
export async function sessionUser(users: UserService, request: FastifyRequest): Promise<User | null> {
  const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
  return secret ? ((await users.session(secret))?.user ?? null) : null;
}

/** Where a page without a session sends the browser: the sign-in page, to come back after. */
export function signInLocation(url: string): string {
  return `/sign-in?next=${encodeURIComponent(url)}`;
}

/**
 * An onRequest hook for the pages of the web app: without a session, 303 to /sign-in?next=<path>.
 * Register it on the pages only (not /sign-in, not the static assets).
 */
export function requirePageSession(users: UserService): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (await sessionUser(users, request)) return;
    await reply.redirect(signInLocation(request.url), 303);
  };
}

export interface AccessDeps {
  keys: KeyStore;
  users: UserService;
  clock: Clock;
  /** The server's public URL: an Origin equal to its origin is the server's own (besides the Host's). */
  publicUrl: string;
}

/** Methods that change nothing: no CSRF token needed. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Installs access control on the plugin it is called in (the /api prefix), before its routes: the
 * check that every route declares its access, and the hook that authenticates and allows each request.
 */
export function enforceAccess(app: FastifyInstance, deps: AccessDeps): void {
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: unknown } | undefined)?.access;
    if (!(ACCESS_LEVELS as readonly unknown[]).includes(access)) {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      throw new Error(`route ${methods} ${route.url} declares no access: add { config: { access: ${ACCESS_LEVELS.map((a) => `'${a}'`).join(' | ')} } } (src/adapters/http/access.ts)`);
    }
  });

  const publicOrigin = new URL(deps.publicUrl).origin;

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    // A route without one cannot be registered (above); should one slip through, it answers nobody.
    if (access === undefined) throw new MailsightError('FORBIDDEN', `${request.method} ${request.url}: this route declares no access`);
    if (access === 'public') {
      // Signing in from another site's page would sign the browser in as someone else's account.
      if (!SAFE_METHODS.has(request.method)) checkOrigin(request, publicOrigin);
      return;
    }
    const principal = await authenticate(request, deps);
    if (!allows(principal, access)) {
      const who = principal.kind === 'user' ? `role ${principal.user.role}` : `an API key of scope ${principal.key.scope}`;
      throw new MailsightError('FORBIDDEN', `${request.method} ${request.routeOptions.url} needs ${access} access, which ${who} does not have`);
    }
    if (principal.kind === 'user' && !SAFE_METHODS.has(request.method)) {
      checkOrigin(request, publicOrigin);
      checkCsrfToken(request, principal.session);
    }
    principals.set(request, principal);
  });
}

async function authenticate(request: FastifyRequest, deps: AccessDeps): Promise<Principal> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new MailsightError('UNAUTHORIZED', 'Authorization: expected Bearer <API key> (create one with `mailsight keys create`)');
    const key = await verifyApiKey(deps.keys, match[1]!, deps.clock);
    if (!key) throw new MailsightError('UNAUTHORIZED', 'invalid or revoked API key');
    return { kind: 'key', key };
  }
  const secret = cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (secret === null) {
    throw new MailsightError('UNAUTHORIZED', 'no credential: sign in (POST /api/session) or send Authorization: Bearer <API key> (create one with `mailsight keys create`)');
  }
  const active = await deps.users.session(secret);
  if (!active) throw new MailsightError('UNAUTHORIZED', 'the session is over (signed out, expired or unknown): sign in again');
  return { kind: 'user', user: active.user, session: active.session };
}

/** An Origin, when the browser sends one, must be this server's: its Host, or its public URL's origin. */
function checkOrigin(request: FastifyRequest, publicOrigin: string): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  if (origin === publicOrigin || sameHost(origin, request.headers.host)) return;
  throw new MailsightError('CSRF', `Origin ${origin} is not this server's: a change must come from its own pages`);
}

/** Whether an Origin names the Host the request was sent to (a default port written or not). */
function sameHost(origin: string, host: string | undefined): boolean {
  if (origin === 'null' || host === undefined) return false;
  try {
    const url = new URL(origin);
    // The Host read with the Origin's scheme: `localhost:80` and `http://localhost` are one place.
    return url.host === new URL(`${url.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

function checkCsrfToken(request: FastifyRequest, session: SessionRecord): void {
  const sent = request.headers['x-csrf-token'];
  const expected = Buffer.from(session.csrfToken);
  const actual = typeof sent === 'string' ? Buffer.from(sent) : null;
  if (!actual || actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new MailsightError('CSRF', 'X-CSRF-Token: missing or not this session\'s: send the csrfToken that GET /api/session returns');
  }
}

/**
 * Whether the credential a request came with still holds and still allows `access`. A response that
 * lasts (a live feed's stream) asks again now and then, so that signing out, the account's deletion
 * or the key's revocation ends it rather than only the requests after.
 */
export async function stillAllowed(request: FastifyRequest, deps: AccessDeps, access: Access): Promise<boolean> {
  try {
    return allows(await authenticate(request, deps), access);
  } catch (error) {
    if (error instanceof MailsightError && error.code === 'UNAUTHORIZED') return false;
    throw error;
  }
}
