import type { Kysely } from 'kysely';
import type { ApiKeyRecord, KeyStore } from '../../app/ports.js';
import type { SigningKey } from '../../core/tokens.js';
import type { Database } from './schema.js';

export class KyselyKeyStore implements KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async signingKeys(): Promise<SigningKey[]> {
    const rows = await this.db.selectFrom('signing_keys').selectAll().orderBy('id').execute();
    return rows.map((row) => ({ id: row.id, secret: Buffer.from(row.secret, 'base64') }));
  }

  async addSigningKey(key: SigningKey, now: number): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({ id: key.id, secret: key.secret.toString('base64'), created_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async addApiKey(record: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ id: record.id, name: record.name, secret_hash: record.secretHash, created_at: record.createdAt, revoked_at: record.revokedAt })
      .execute();
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { id: row.id, name: row.name, secretHash: row.secret_hash, createdAt: row.created_at, revokedAt: row.revoked_at } : null;
  }
}
