/** The mailbox providers of domains, as their MX hosts named them (mail_domains, migration 0012). */
import type { Kysely } from 'kysely';
import type { MailboxProvider } from '../../core/mailbox-provider.js';
import type { MailDomainStore } from '../../app/mail-domains.js';
import type { Database } from './schema.js';

export class KyselyMailDomainStore implements MailDomainStore {
  constructor(private readonly db: Kysely<Database>) {}

  async checkedAt(domain: string): Promise<number | null> {
    const row = await this.db.selectFrom('mail_domains').select('checked_at').where('domain', '=', domain).executeTakeFirst();
    return row ? Number(row.checked_at) : null;
  }

  async save(domain: string, provider: MailboxProvider, mxHosts: readonly string[], now: number): Promise<void> {
    await this.db
      .insertInto('mail_domains')
      .values({ domain, provider, mx: mxHosts.join(' '), checked_at: now })
      .onConflict((oc) => oc.column('domain').doUpdateSet({ provider, mx: mxHosts.join(' '), checked_at: now }))
      .execute();
  }
}
