import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyRecord, KeyScope, KeyStore, StoredSigningKey } from '../../app/ports.js';
import type { SealedSecret } from '../../core/secret-key.js';
import type { Database } from './schema.js';

type ApiKeyRow = Selectable<Database['api_keys']>;

const apiKeyRecord = (row: ApiKeyRow): ApiKeyRecord => ({
  id: row.id,
  name: row.name,
  secretHash: row.secret_hash,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
  scope: row.scope as KeyScope,
  lastUsedAt: row.last_used_at,
});

export class KyselyKeyStore implements KeyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async signingKeys(): Promise<StoredSigningKey[]> {
    const rows = await this.db.selectFrom('signing_keys').select(['id', 'secret', 'sealed', 'sealed_by']).orderBy('id').execute();
    return rows.map((row) =>
      row.sealed !== null && row.sealed_by !== null ? { id: row.id, sealed: { by: row.sealed_by, box: row.sealed } } : { id: row.id, plain: Buffer.from(row.secret, 'base64') },
    );
  }

  async addSigningKey(id: number, sealed: SealedSecret, now: number): Promise<void> {
    await this.db
      .insertInto('signing_keys')
      .values({ id, secret: '', sealed: sealed.box, sealed_by: sealed.by, created_at: now })
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async resealSigningKeys(keys: readonly { id: number; sealed: SealedSecret }[], options: { onlyPlain: boolean }): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      for (const key of keys) {
        let update = tx.updateTable('signing_keys').set({ secret: '', sealed: key.sealed.box, sealed_by: key.sealed.by }).where('id', '=', key.id);
        if (options.onlyPlain) update = update.where('sealed', 'is', null);
        await update.execute();
      }
    });
  }

  async addApiKey(record: ApiKeyRecord): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: record.id,
        name: record.name,
        secret_hash: record.secretHash,
        created_at: record.createdAt,
        revoked_at: record.revokedAt,
        scope: record.scope,
        last_used_at: record.lastUsedAt,
      })
      .execute();
  }

  async findApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? apiKeyRecord(row) : null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const rows = await this.db.selectFrom('api_keys').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(apiKeyRecord);
  }

  async revokeApiKey(id: string, now: number): Promise<boolean> {
    const result = await this.db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async noteApiKeyUse(id: string, now: number, staleAt: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', staleAt)]))
      .execute();
  }
}
