/**
 * One-time values of signed webhooks (Mailgun's signature tokens), in the database so that a token
 * claimed on one node is refused on every other. A value may be claimed again only once its row has
 * expired; expired rows are swept now and then by the claims themselves (no job).
 */
import type { Kysely } from 'kysely';
import type { NonceRegistry } from '../webhooks/provider.js';
import type { Database } from './schema.js';

/** One claim in this many also deletes the expired rows: the table stays about one window of tokens. */
const SWEEP_EVERY = 256;

export class KyselyNonceStore implements NonceRegistry {
  #claims = 0;

  constructor(private readonly db: Kysely<Database>) {}

  async claim(scope: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    if (++this.#claims % SWEEP_EVERY === 0) await this.db.deleteFrom('webhook_nonces').where('expires_at', '<=', now).execute();
    const result = await this.db
      .insertInto('webhook_nonces')
      .values({ scope, value, expires_at: expiresAt })
      // Taken already: claimed again only when that claim has expired.
      .onConflict((oc) => oc.columns(['scope', 'value']).doUpdateSet({ expires_at: expiresAt }).where('webhook_nonces.expires_at', '<=', now))
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }
}
