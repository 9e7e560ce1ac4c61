/** Migration 0014 on every dialect: API keys made before scopes keep working, with scope admin. */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { migrateTo, migrateToLatest, openDatabase } from '../src/adapters/storage/database.js';
import { KyselyKeyStore } from '../src/adapters/storage/key-store.js';
import { verifyApiKey } from '../src/app/keys.js';
import { createHash } from 'node:crypto';
import { createTestDatabase, testDialects } from './support/databases.js';

for (const dialect of await testDialects()) {
  describe(`API keys of before migration 0014 (${dialect})`, () => {
    it('become keys of scope admin, never used, and still authenticate', async () => {
      const target = await createTestDatabase(dialect);
      const database = openDatabase(target.config);
      try {
        await migrateTo(database, '0013-drill-down');
        const secret = 'A'.repeat(32);
        const hash = createHash('sha256').update(secret).digest('hex');
        await sql`insert into api_keys (id, name, secret_hash, created_at, revoked_at) values ('0123456789ab', 'old', ${hash}, 5, null)`.execute(database.db);
        expect(await migrateTo(database, '0014-users-and-access')).toEqual(['0014-users-and-access']);
        const keys = new KyselyKeyStore(database.db);
        expect(await keys.listApiKeys()).toEqual([{ id: '0123456789ab', name: 'old', secretHash: hash, createdAt: 5, revokedAt: null, scope: 'admin', lastUsedAt: null }]);
        const clock = { now: () => 1_000_000 };
        expect((await verifyApiKey(keys, `msk_0123456789ab_${secret}`, clock))?.scope).toBe('admin');
        expect((await keys.findApiKey('0123456789ab'))?.lastUsedAt).toBe(1_000_000);
      } finally {
        await database.db.destroy();
        await target.drop();
      }
    });
  });
}
