import { describe, expect, it } from 'vitest';
import type { MailboxProvider } from '../core/mailbox-provider.js';
import { MailDomainService, RECHECK_AFTER_MS, type MailDomainStore, type MxResolver } from './mail-domains.js';

function memoryStore() {
  const rows = new Map<string, { provider: MailboxProvider; mx: readonly string[]; at: number }>();
  const store: MailDomainStore = {
    checkedAt: async (domain) => rows.get(domain)?.at ?? null,
    save: async (domain, provider, mx, at) => void rows.set(domain, { provider, mx, at }),
  };
  return { store, rows };
}

describe('the mailbox providers of company domains', () => {
  it('looks a domain up once, keeps what its MX names, and leaves consumer domains alone', async () => {
    const asked: string[] = [];
    const resolver: MxResolver = { mxHosts: async (domain) => (asked.push(domain), domain === 'corp.example' ? ['corp-example.mail.protection.outlook.com'] : ['mx.other.example']) };
    const { store, rows } = memoryStore();
    const now = 1_000;
    const service = new MailDomainService(store, resolver, { now: () => now });
    await service.learn('ann@corp.example');
    await service.learn('bob@CORP.example');
    await service.learn('cy@gmail.com');
    await service.learn('dee@other.example');
    expect(asked).toEqual(['corp.example', 'other.example']);
    expect(rows.get('corp.example')).toEqual({ provider: 'microsoft', mx: ['corp-example.mail.protection.outlook.com'], at: 1_000 });
    expect(rows.get('other.example')?.provider).toBe('other');
  });

  it('keeps a failed lookup as other, and looks again once it is old', async () => {
    let fail = true;
    const asked: string[] = [];
    const resolver: MxResolver = {
      mxHosts: async (domain) => {
        asked.push(domain);
        if (fail) throw new Error('ETIMEOUT');
        return ['aspmx.l.google.com'];
      },
    };
    const { store, rows } = memoryStore();
    let now = 0;
    const errors: string[] = [];
    const service = new MailDomainService(store, resolver, { now: () => now }, (domain) => errors.push(domain));
    await service.learn('a@corp.example');
    expect(rows.get('corp.example')?.provider).toBe('other');
    expect(errors).toEqual(['corp.example']);
    fail = false;
    await service.learn('b@corp.example');
    expect(asked).toHaveLength(1);
    now += RECHECK_AFTER_MS;
    await service.learn('c@corp.example');
    expect(rows.get('corp.example')?.provider).toBe('gmail');
  });

  it('waits for a slow lookup only so long, and keeps its answer for the messages after', async () => {
    let answer!: (hosts: string[]) => void;
    const resolver: MxResolver = { mxHosts: () => new Promise((resolve) => (answer = resolve)) };
    const { store, rows } = memoryStore();
    const service = new MailDomainService(store, resolver, { now: () => 5 }, () => {}, 20);
    const started = performance.now();
    await service.learn('a@slow.example');
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(rows.has('slow.example')).toBe(false);
    answer(['mx01.mail.icloud.com']);
    await service.close();
    expect(rows.get('slow.example')?.provider).toBe('apple');
  });
});
