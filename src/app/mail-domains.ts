/**
 * The mailbox provider behind a company domain, from its MX hosts (Google Workspace, Microsoft 365,
 * Yahoo, iCloud custom domains: core/mailbox-provider.ts), looked up once per domain and kept
 * (mail_domains), so that reports break such addresses down by the provider that filters their mail.
 * A message is counted under the provider known when it is created: the lookup of a new domain is
 * waited for at most LOOKUP_WAIT_MS, then goes on in the background for the messages after it (and
 * `mailsight recount` moves the ones before). A failed lookup is kept as `other` and tried again
 * after RECHECK_AFTER_MS.
 */
import { providerOfDomain, providerOfMx, type MailboxProvider } from '../core/mailbox-provider.js';
import type { Clock } from './ports.js';
import { BoundedCache } from './bounded-cache.js';

export interface MxResolver {
  /** The domain's MX host names, most preferred first; rejects when the lookup fails. */
  mxHosts(domain: string): Promise<string[]>;
}

export interface MailDomainStore {
  /** When the domain was last looked up, or null when never. */
  checkedAt(domain: string): Promise<number | null>;
  save(domain: string, provider: MailboxProvider, mxHosts: readonly string[], now: number): Promise<void>;
}

/** How long creating a message waits for a new domain's lookup, in ms: an answer usually takes tens. */
export const LOOKUP_WAIT_MS = 300;
/** Lookups at once: a list of many new domains is looked up a few at a time. */
const CONCURRENT_LOOKUPS = 4;
/** A domain's MX is looked up again after this long, in ms (30 days): companies move their mail. */
export const RECHECK_AFTER_MS = 30 * 24 * 3_600_000;
/** Domains remembered as checked in memory, so that each message does not ask the database. */
const CHECKED_CACHE_SIZE = 10_000;

export class MailDomainService {
  readonly #checked = new BoundedCache<string, number>(CHECKED_CACHE_SIZE);
  readonly #pending = new Map<string, Promise<void>>();
  readonly #queue: (() => void)[] = [];
  #running = 0;
  #closed = false;

  constructor(
    private readonly store: MailDomainStore,
    private readonly resolver: MxResolver,
    private readonly clock: Clock,
    private readonly onError: (domain: string, error: unknown) => void = () => {},
    private readonly waitMs = LOOKUP_WAIT_MS,
  ) {}

  /** Learns the provider of the address's domain when its name does not say it, waiting at most waitMs. */
  async learn(address: string): Promise<void> {
    const at = address.lastIndexOf('@');
    if (at < 0 || this.#closed) return;
    const domain = address.slice(at + 1).toLowerCase();
    if (providerOfDomain(domain) !== 'other') return;
    const checked = this.#checked.get(domain) ?? (await this.store.checkedAt(domain));
    if (checked !== null && this.clock.now() - checked < RECHECK_AFTER_MS) {
      this.#checked.set(domain, checked);
      return;
    }
    let lookup = this.#pending.get(domain);
    if (!lookup) {
      lookup = this.#limited(() => this.#lookUp(domain)).finally(() => this.#pending.delete(domain));
      this.#pending.set(domain, lookup);
    }
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.waitMs)));
    await Promise.race([lookup, waited]);
    clearTimeout(timer);
  }

  /** Stops taking lookups and waits for the ones under way (each bounded by the resolver's timeout). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#pending.values()]);
  }

  async #lookUp(domain: string): Promise<void> {
    // Queued before close: let go without a lookup.
    if (this.#closed) return;
    let hosts: string[] = [];
    try {
      hosts = await this.resolver.mxHosts(domain);
    } catch (error) {
      // No answer, no such domain: kept as `other`, tried again after RECHECK_AFTER_MS.
      this.onError(domain, error);
    }
    const now = this.clock.now();
    try {
      await this.store.save(domain, providerOfMx(hosts), hosts, now);
      this.#checked.set(domain, now);
    } catch (error) {
      this.onError(domain, error);
    }
  }

  #limited(task: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve) => {
      const start = () => {
        this.#running++;
        void task().finally(() => {
          this.#running--;
          this.#queue.shift()?.();
          resolve();
        });
      };
      if (this.#running < CONCURRENT_LOOKUPS) start();
      else this.#queue.push(start);
    });
  }
}
