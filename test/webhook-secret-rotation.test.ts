/** Rotating the secret key seals outgoing webhook secrets again too: the previous key then opens nothing. */
import { describe, expect, it } from 'vitest';
import { OutgoingWebhooks, resealEndpointSecrets } from '../src/app/outgoing-webhooks.js';
import { KyselyOutgoingWebhookStore } from '../src/adapters/storage/outgoing-webhook-store.js';
import { openDatabase, migrateToLatest } from '../src/adapters/storage/database.js';
import { SecretKey, SecretKeyError } from '../src/core/secret-key.js';
import { createTestDatabase, testDialects } from './support/databases.js';

const oldKey = new SecretKey(Buffer.alloc(32, 1), 'old');
const newKey = new SecretKey(Buffer.alloc(32, 2), 'new');

for (const dialect of await testDialects()) {
  describe(`outgoing webhook secrets across a secret key rotation (${dialect})`, () => {
    it('are sealed again under the new key, still the same secret, and refused without the key that sealed them', async () => {
      const target = await createTestDatabase(dialect);
      const database = openDatabase(target.config);
      try {
        await migrateToLatest(database);
        const store = new KyselyOutgoingWebhookStore(database.db);
        const webhooks = new OutgoingWebhooks({
          store,
          http: { post: async () => ({ status: 200 }) },
          clock: { now: () => 1_000 },
          secrets: { current: oldKey, previous: null },
          nodeId: 'test',
          onError: () => {},
        });
        const { endpoint, secret } = await webhooks.createEndpoint({ url: 'https://crm.example/hook', description: '' });

        await expect(resealEndpointSecrets(store, { current: newKey, previous: null })).rejects.toThrow(SecretKeyError);
        expect((await store.sealedSecrets())[0]!.sealed.by).toBe(oldKey.fingerprint);

        expect(await resealEndpointSecrets(store, { current: newKey, previous: oldKey })).toEqual({ resealed: 1, total: 1 });
        const [stored] = await store.sealedSecrets();
        expect(stored!.sealed.by).toBe(newKey.fingerprint);
        expect(newKey.openFor(`webhook-endpoint/${endpoint.id}`, stored!.sealed)?.toString()).toBe(secret);
        expect(await resealEndpointSecrets(store, { current: newKey, previous: null })).toEqual({ resealed: 0, total: 1 });
      } finally {
        await database.db.destroy();
        await target.drop();
      }
    });
  });
}
