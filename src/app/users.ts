/**
 * Accounts, sessions and sign-in: the use cases behind the dashboard's access and `mailsight users`.
 * A session is a random secret in the browser's cookie; the database keeps only its SHA-256, so a
 * copy of the database signs no one in. Failed sign-ins are counted in the database (every node sees
 * the same count) per address and client, and per client alone.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { MailsightError, notFound } from '../core/errors.js';
import { decoyHash, hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, needsRehash, verifyPassword } from './passwords.js';
import type { Clock, Role, SessionRecord, User, UserStore } from './ports.js';

const MINUTE_MS = 60_000;
/** A session unused this long is over: a forgotten browser does not stay signed in. */
export const SESSION_IDLE_MS = 24 * 60 * MINUTE_MS;
/** A session is over this long after sign-in, however much it is used. */
export const SESSION_ABSOLUTE_MS = 14 * 24 * 60 * MINUTE_MS;
/** A session's last use is written at most this often: not one write per request. */
export const SESSION_TOUCH_MS = MINUTE_MS;
/** Failed sign-ins are counted over this window. */
export const SIGN_IN_WINDOW_MS = 15 * MINUTE_MS;
/** Failures for one address from one client within the window past which sign-in waits (guessing one account). */
export const ACCOUNT_FAILURE_LIMIT = 5;
/** Failures from one client within the window, whatever the address, past which it waits (trying many accounts). */
export const CLIENT_FAILURE_LIMIT = 50;

const SECRET_BYTES = 32;

export interface NewUser {
  email: string;
  name?: string | undefined;
  role: Role;
  password: string;
}

export interface UserChanges {
  name?: string | undefined;
  role?: Role | undefined;
  password?: string | undefined;
}

/** A session as the browser gets it: the cookie's secret, once. */
export interface OpenedSession {
  secret: string;
  csrfToken: string;
  expiresAt: number;
}

export type SignIn = { ok: true; user: User; session: OpenedSession } | { ok: false; reason: 'wrong-credentials' } | { ok: false; reason: 'too-many-attempts'; retryAfterMs: number };

/** A session found by its cookie: its record and its user. */
export interface ActiveSession {
  session: SessionRecord;
  user: User;
}

const sessionId = (secret: string) => createHash('sha256').update(secret).digest('hex');

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new MailsightError('VALIDATION', `password: at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new MailsightError('VALIDATION', `password: at most ${MAX_PASSWORD_LENGTH} characters`);
}

export class UserService {
  constructor(
    private readonly store: UserStore,
    private readonly clock: Clock,
  ) {}

  async createUser(input: NewUser): Promise<User> {
    checkPassword(input.password);
    const email = normalizeEmail(input.email);
    const created = await this.store.createUser({ email, name: input.name ?? '', role: input.role, passwordHash: await hashPassword(input.password), createdAt: this.clock.now() });
    if (!created) throw new MailsightError('CONFLICT', `email: a user with address ${email} exists already`);
    return created;
  }

  listUsers(): Promise<User[]> {
    return this.store.listUsers();
  }

  async findByEmail(email: string): Promise<User | null> {
    const found = await this.store.findUserByEmail(normalizeEmail(email));
    return found ? withoutHash(found) : null;
  }

  /**
   * Changes an account. A new password signs out its other sessions (`keepSession`: the one making the
   * change, when it is the user's own). The last admin cannot be demoted: nobody could manage accounts.
   */
  async updateUser(id: number, changes: UserChanges, keepSession?: string): Promise<User> {
    const current = await this.store.getUser(id);
    if (!current) throw notFound('user', id);
    if (changes.password !== undefined) checkPassword(changes.password);
    if (current.role === 'admin' && changes.role !== undefined && changes.role !== 'admin') await this.keepAnAdmin();
    const updated = await this.store.updateUser(id, {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.role === undefined ? {} : { role: changes.role }),
      ...(changes.password === undefined ? {} : { passwordHash: await hashPassword(changes.password) }),
    });
    if (!updated) throw notFound('user', id);
    if (changes.password !== undefined) await this.store.deleteUserSessions(id, keepSession);
    return updated;
  }

  /** Deletes an account and signs it out everywhere; the last admin stays. */
  async deleteUser(id: number): Promise<void> {
    const current = await this.store.getUser(id);
    if (!current) throw notFound('user', id);
    if (current.role === 'admin') await this.keepAnAdmin();
    if (!(await this.store.deleteUser(id))) throw notFound('user', id);
  }

  private async keepAnAdmin(): Promise<void> {
    if ((await this.store.countAdmins()) <= 1) throw new MailsightError('CONFLICT', 'role: this is the last admin; make another user admin first');
  }

  /**
   * Checks the address and password from a client address, within the failure limits. An unknown
   * address costs a password verification too (against a decoy hash), so the answer's time does not
   * tell whether the address has an account. A limit reached refuses even the right password.
   */
  async signIn(emailInput: string, password: string, client: string): Promise<SignIn> {
    const email = normalizeEmail(emailInput);
    const now = this.clock.now();
    const since = now - SIGN_IN_WINDOW_MS;
    // The attempt counts as a failure from before its password is checked (tens of milliseconds):
    // attempts sent at once see each other, so a burst gets no more tries than one after another.
    const attempt = await this.store.recordFailure(email, client, now, since);
    const failures = await this.store.countFailures(email, client, since);
    // This attempt is among those counted: the limits are on the failures before it.
    const limited = [
      failures.account.count > ACCOUNT_FAILURE_LIMIT ? failures.account.oldest : null,
      failures.client.count > CLIENT_FAILURE_LIMIT ? failures.client.oldest : null,
    ].filter((oldest): oldest is number => oldest !== null);
    if (limited.length > 0) {
      // Refused unchecked: it was no try, and a client hammering away adds no rows.
      await this.store.forgetFailure(attempt);
      return { ok: false, reason: 'too-many-attempts', retryAfterMs: Math.max(...limited.map((oldest) => oldest + SIGN_IN_WINDOW_MS - now), 1000) };
    }

    const record = password.length <= MAX_PASSWORD_LENGTH ? await this.store.findUserByEmail(email) : null;
    const verified = await verifyPassword(password.slice(0, MAX_PASSWORD_LENGTH), record?.passwordHash ?? (await decoyHash()));
    if (!record || !verified) return { ok: false, reason: 'wrong-credentials' };
    await this.store.clearFailures(email, client);
    if (needsRehash(record.passwordHash)) await this.store.updateUser(record.id, { passwordHash: await hashPassword(password) });
    await this.store.deleteExpiredSessions(now - SESSION_IDLE_MS, now);
    return { ok: true, user: withoutHash(record), session: await this.openSession(record.id) };
  }

  /** A new session for the user (sign-in, or the CLI making one for a test). */
  async openSession(userId: number): Promise<OpenedSession> {
    const now = this.clock.now();
    const secret = randomBytes(SECRET_BYTES).toString('base64url');
    const csrfToken = randomBytes(SECRET_BYTES).toString('base64url');
    const expiresAt = now + SESSION_ABSOLUTE_MS;
    await this.store.createSession({ id: sessionId(secret), userId, csrfToken, createdAt: now, lastSeenAt: now, expiresAt });
    return { secret, csrfToken, expiresAt };
  }

  /**
   * The session a cookie's secret opens, or null: unknown, idle past SESSION_IDLE_MS, past its absolute
   * expiry, or its user deleted. A session found is marked used (at most once a SESSION_TOUCH_MS).
   */
  async session(secret: string): Promise<ActiveSession | null> {
    if (!/^[A-Za-z0-9_-]{20,100}$/.test(secret)) return null;
    const id = sessionId(secret);
    const session = await this.store.findSession(id);
    if (!session) return null;
    // The id is a hash of the secret; the lookup by it already compared every byte, this keeps it constant-time.
    if (!timingSafeEqual(Buffer.from(session.id), Buffer.from(id))) return null;
    const now = this.clock.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= SESSION_IDLE_MS) {
      await this.store.deleteSession(id);
      return null;
    }
    const user = await this.store.getUser(session.userId);
    if (!user) return null;
    if (now - session.lastSeenAt >= SESSION_TOUCH_MS) await this.store.touchSession(id, now, now - SESSION_TOUCH_MS);
    return { session, user: withoutHash(user) };
  }

  signOut(session: SessionRecord): Promise<void> {
    return this.store.deleteSession(session.id);
  }

  /** Ends every session of the user, on every browser; returns how many. */
  signOutEverywhere(userId: number): Promise<number> {
    return this.store.deleteUserSessions(userId);
  }
}

function withoutHash({ passwordHash: _, ...user }: User & { passwordHash: string }): User {
  return user;
}
