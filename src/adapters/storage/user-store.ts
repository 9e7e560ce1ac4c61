/** Accounts, their sessions and failed sign-ins (migration 0014), for app/users.ts. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { FailureCount, Role, SessionRecord, User, UserRecord, UserStore } from '../../app/ports.js';
import type { Database } from './schema.js';

type UserRow = Selectable<Database['users']>;
type SessionRow = Selectable<Database['sessions']>;

const user = (row: UserRow): User => ({ id: row.id, email: row.email, name: row.name, role: row.role as Role, createdAt: row.created_at });
const userRecord = (row: UserRow): UserRecord => ({ ...user(row), passwordHash: row.password_hash });
const session = (row: SessionRow): SessionRecord => ({
  id: row.id,
  userId: row.user_id,
  csrfToken: row.csrf_token,
  createdAt: row.created_at,
  lastSeenAt: row.last_seen_at,
  expiresAt: row.expires_at,
});

export class KyselyUserStore implements UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async createUser(record: Omit<UserRecord, 'id'>): Promise<User | null> {
    const row = await this.db
      .insertInto('users')
      .values({ email: record.email, name: record.name, role: record.role, password_hash: record.passwordHash, created_at: record.createdAt })
      .onConflict((oc) => oc.column('email').doNothing())
      .returningAll()
      .executeTakeFirst();
    return row ? user(row) : null;
  }

  async getUser(id: number): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? userRecord(row) : null;
  }

  async findUserByEmail(email: string): Promise<UserRecord | null> {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
    return row ? userRecord(row) : null;
  }

  async listUsers(): Promise<User[]> {
    return (await this.db.selectFrom('users').selectAll().orderBy('id').execute()).map(user);
  }

  async countAdmins(): Promise<number> {
    const row = await this.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('role', '=', 'admin').executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async updateUser(id: number, changes: Partial<Pick<UserRecord, 'name' | 'role' | 'passwordHash'>>): Promise<User | null> {
    const set = {
      ...(changes.name === undefined ? {} : { name: changes.name }),
      ...(changes.role === undefined ? {} : { role: changes.role }),
      ...(changes.passwordHash === undefined ? {} : { password_hash: changes.passwordHash }),
    };
    if (Object.keys(set).length === 0) {
      const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? user(row) : null;
    }
    const row = await this.db.updateTable('users').set(set).where('id', '=', id).returningAll().executeTakeFirst();
    return row ? user(row) : null;
  }

  async deleteUser(id: number): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('sessions').where('user_id', '=', id).execute();
      const result = await tx.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    });
  }

  async createSession(record: SessionRecord): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({
        id: record.id,
        user_id: record.userId,
        csrf_token: record.csrfToken,
        created_at: record.createdAt,
        last_seen_at: record.lastSeenAt,
        expires_at: record.expiresAt,
      })
      .execute();
  }

  async findSession(id: string): Promise<SessionRecord | null> {
    const row = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? session(row) : null;
  }

  async touchSession(id: string, now: number, staleAt: number): Promise<void> {
    await this.db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', id).where('last_seen_at', '<=', staleAt).execute();
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteExpiredSessions(idleBefore: number, now: number): Promise<void> {
    await this.db
      .deleteFrom('sessions')
      .where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('expires_at', '<=', now)]))
      .execute();
  }

  async deleteUserSessions(userId: number, except?: string): Promise<number> {
    let query = this.db.deleteFrom('sessions').where('user_id', '=', userId);
    if (except !== undefined) query = query.where('id', '!=', except);
    return Number((await query.executeTakeFirst()).numDeletedRows);
  }

  async countFailures(email: string, address: string, since: number): Promise<{ account: FailureCount; client: FailureCount }> {
    const count = (rows: { n: number | string | bigint; oldest: number | string | null }): FailureCount => ({
      count: Number(rows.n),
      oldest: rows.oldest === null ? null : Number(rows.oldest),
    });
    const aggregate = sql<number>`count(*)`.as('n');
    const oldest = sql<number | null>`min(at)`.as('oldest');
    const account = await this.db
      .selectFrom('sign_in_failures')
      .select([aggregate, oldest])
      .where('email', '=', email)
      .where('address', '=', address)
      .where('at', '>', since)
      .executeTakeFirstOrThrow();
    const client = await this.db.selectFrom('sign_in_failures').select([aggregate, oldest]).where('address', '=', address).where('at', '>', since).executeTakeFirstOrThrow();
    return { account: count(account), client: count(client) };
  }

  async recordFailure(email: string, address: string, at: number, forgetBefore: number): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('sign_in_failures').where('at', '<=', forgetBefore).execute();
      const row = await tx.insertInto('sign_in_failures').values({ email, address, at }).returning('id').executeTakeFirstOrThrow();
      return Number(row.id);
    });
  }

  async forgetFailure(id: number): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('id', '=', id).execute();
  }

  async clearFailures(email: string, address: string): Promise<void> {
    await this.db.deleteFrom('sign_in_failures').where('email', '=', email).where('address', '=', address).execute();
  }
}
