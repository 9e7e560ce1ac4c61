import type { Kysely, Migration } from 'kysely';

/**
 * Signing keys sealed under the secret key (src/core/secret-key.ts): `sealed` holds the sealed secret
 * and `sealed_by` the fingerprint of the secret key that sealed it. Rows written before keep their
 * plain `secret` until the first start that has a secret key seals them and empties it (the column
 * stays, NOT NULL, so that altering it needs no table rebuild on SQLite).
 */
export function sealedSigningKeys(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      // One column per statement: SQLite's ALTER TABLE adds one at a time.
      await db.schema.alterTable('signing_keys').addColumn('sealed', 'text').execute();
      await db.schema.alterTable('signing_keys').addColumn('sealed_by', 'text').execute();
    },
  };
}
