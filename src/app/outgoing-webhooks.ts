/**
 * Outgoing webhooks: every event, in id order, POSTed in batches to each endpoint an admin configured,
 * signed with the endpoint's secret (core/webhook-signature.ts). An endpoint's cursor (the last event
 * id it acknowledged with a 2xx) moves only on success, so an event is delivered at least once and
 * never skipped; a failure is logged and the endpoint is tried again after a backoff kept in the
 * database, which survives restarts. One node at a time delivers an endpoint (a lease in its row), so
 * its batches arrive one after the other, in order. The cursor never passes the settled event id
 * (storage/settled-events.ts): on PostgreSQL a lower id may commit after a higher one, and an event
 * behind the cursor would never be sent.
 */
import { randomBytes } from 'node:crypto';
import { MailsightError, errorMessage, notFound } from '../core/errors.js';
import { SEAL_NONCE_BYTES, SecretKeyError, type SealedSecret } from '../core/secret-key.js';
import { SIGNATURE_HEADER, signatureOf } from '../core/webhook-signature.js';
import type { SecretKeys } from './keys.js';
import { PollingWorker } from './polling-worker.js';
import type { Clock, OutgoingEvent, OutgoingWebhookStore, StoredWebhookEndpoint, WebhookDelivery, WebhookEndpoint, WebhookHttpClient, WebhookLease, WebhookResponse } from './ports.js';

/** Events per POST at most. */
export const WEBHOOK_BATCH = 100;
/** How long a receiver has to answer, in ms; past it the attempt failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** The first retry's wait after a failure, in ms; it doubles with each failure in a row... */
export const FIRST_RETRY_MS = 30_000;
/** ...up to this. */
export const MAX_RETRY_MS = 3_600_000;
/** How long a node holds an endpoint for one attempt: the receiver's timeout and the writes around it, with margin. */
const LEASE_MS = 6 * WEBHOOK_TIMEOUT_MS;
/** Endpoints leased per round of runDue. */
const DUE_BATCH = 20;
/** Rounds of runDue at most: an endpoint far behind gets a batch per round. */
const MAX_ROUNDS = 50;
/** The signing secret's bytes (before base64url) and its prefix, which says what it is when found in a config file. */
const SECRET_BYTES = 32;
const SECRET_PREFIX = 'whsec_';

/** The wait before the next attempt after `failures` failures in a row. */
export function retryDelay(failures: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS);
}

/** Why a URL cannot be an endpoint, or null: http(s) only, no credentials in it (they would be logged and listed). */
export function endpointUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `not a URL: ${JSON.stringify(text)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http:// or https:// URL, not ${url.protocol}`;
  if (url.username || url.password) return 'must not hold a user name or password: the receiver authenticates deliveries by their signature';
  return null;
}

export interface OutgoingWebhookDeps {
  store: OutgoingWebhookStore;
  http: WebhookHttpClient;
  clock: Clock;
  secrets: SecretKeys;
  /** This node's name, in lease tokens. */
  nodeId: string;
  onError(error: unknown, message: string): void;
}

const sealOwner = (endpointId: number) => `webhook-endpoint/${endpointId}`;

/** An endpoint's secret, opened with whichever secret key at hand sealed it; null when none does. */
function openEndpointSecret(secrets: SecretKeys, id: number, sealed: SealedSecret): Buffer | null {
  const opener = [secrets.current, secrets.previous].find((key) => key?.fingerprint === sealed.by);
  return opener?.openFor(sealOwner(id), sealed) ?? null;
}

/**
 * Seals every endpoint's secret again under the current secret key (part of rotating it, with the
 * signing keys): after it, the previous secret key opens nothing here. An endpoint whose secret no key
 * at hand opens stops it before anything is written, naming the endpoint.
 */
export async function resealEndpointSecrets(store: OutgoingWebhookStore, secrets: SecretKeys): Promise<{ resealed: number; total: number }> {
  const all = await store.sealedSecrets();
  const stale = all.filter(({ sealed }) => sealed.by !== secrets.current.fingerprint);
  const resealed = stale.map(({ id, sealed }) => {
    const secret = openEndpointSecret(secrets, id, sealed);
    if (!secret) throw new SecretKeyError(`the signing secret of webhook endpoint ${id} is sealed with secret key ${sealed.by}, which this process does not have: set SECRET_KEY_PREVIOUS to it`);
    return { id, sealed: secrets.current.sealFor(sealOwner(id), secret, randomBytes(SEAL_NONCE_BYTES)) };
  });
  await store.resealSecrets(resealed);
  return { resealed: resealed.length, total: all.length };
}

export class OutgoingWebhooks {
  readonly #worker: PollingWorker<number>;

  constructor(private readonly deps: OutgoingWebhookDeps) {
    this.#worker = new PollingWorker(() => this.#runDue(), (error) => deps.onError(error, 'delivering outgoing webhooks failed'));
  }

  /**
   * A new endpoint, receiving the events recorded from now on (after the newest id visible: one still
   * committing below it was recorded before); its secret is returned here only.
   */
  async createEndpoint(input: { url: string; description: string }): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    const problem = endpointUrlProblem(input.url);
    if (problem) throw new MailsightError('VALIDATION', `url: ${problem}`);
    const { store, clock, secrets } = this.deps;
    const secret = SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
    const cursor = await store.newestEventId();
    const endpoint = await store.createEndpoint({ url: input.url, description: input.description, cursor, createdAt: clock.now() }, (id) =>
      secrets.current.sealFor(sealOwner(id), Buffer.from(secret), randomBytes(SEAL_NONCE_BYTES)),
    );
    return { endpoint, secret };
  }

  listEndpoints(): Promise<WebhookEndpoint[]> {
    return this.deps.store.listEndpoints();
  }

  /** Stops deliveries to it; its log stays. */
  async deleteEndpoint(id: number): Promise<WebhookEndpoint> {
    if (!(await this.deps.store.disableEndpoint(id, this.deps.clock.now()))) throw notFound('webhook endpoint', id);
    const { sealed: _sealed, ...endpoint } = (await this.deps.store.getEndpoint(id))!;
    return endpoint;
  }

  async deliveries(id: number, limit: number, before?: number): Promise<WebhookDelivery[]> {
    if (!(await this.deps.store.getEndpoint(id))) throw notFound('webhook endpoint', id);
    return this.deps.store.deliveries(id, limit, before);
  }

  /**
   * Delivers a batch to every due endpoint, round after round while some had a full batch, and waits
   * for them; returns how many attempts were made. The worker loop calls it; tests call it after
   * moving the clock.
   */
  runDue(): Promise<number> {
    return this.#worker.run();
  }

  async #runDue(): Promise<number> {
    const { store, clock, nodeId } = this.deps;
    let attempts = 0;
    for (let round = 0; round < MAX_ROUNDS && !this.#worker.stopped; round++) {
      const leases: WebhookLease[] = [];
      for (const id of await store.dueEndpoints(clock.now(), DUE_BATCH)) {
        const lease = await store.lease(id, nodeId, clock.now(), LEASE_MS);
        if (lease) leases.push(lease);
      }
      if (leases.length === 0) break;
      // Read once the leases are held: a cursor another node moved meanwhile is read after it.
      const settled = await store.settledEventId();
      const outcomes = await Promise.all(leases.map((lease) => this.#attempt(lease, settled)));
      attempts += outcomes.filter((o) => o !== 'idle').length;
      if (!outcomes.includes('more')) break;
    }
    return attempts;
  }

  /** One attempt: the next batch POSTed, the endpoint left as the answer says. 'more' when a full batch went through. */
  async #attempt(lease: WebhookLease, settled: number): Promise<'idle' | 'failed' | 'delivered' | 'more'> {
    const { store, clock } = this.deps;
    const endpoint = await store.getEndpoint(lease.endpointId);
    if (!endpoint) return 'idle';
    const now = clock.now();
    const events = await store.eventsAfter(endpoint.cursor, settled, WEBHOOK_BATCH);
    if (events.length === 0) {
      await store.finish(lease, { cursor: endpoint.cursor, failures: endpoint.failures, nextAttemptAt: Math.max(now, endpoint.nextAttemptAt), delivery: null });
      return 'idle';
    }
    const started = clock.now();
    const answer = await this.#post(endpoint, events, started).catch((error: unknown) => ({ error: errorMessage(error) }));
    const ended = clock.now();
    const ok = 'status' in answer && answer.status >= 200 && answer.status < 300;
    const failures = ok ? 0 : endpoint.failures + 1;
    const delivery = {
      at: started,
      firstEventId: events[0]!.id,
      lastEventId: events.at(-1)!.id,
      eventCount: events.length,
      attempt: endpoint.failures + 1,
      statusCode: 'status' in answer ? answer.status : null,
      error: ok ? null : 'error' in answer ? answer.error : `the receiver answered ${answer.status}`,
      durationMs: Math.max(0, ended - started),
    };
    const kept = await store.finish(lease, {
      cursor: ok ? events.at(-1)!.id : endpoint.cursor,
      failures,
      nextAttemptAt: ok ? ended : ended + retryDelay(failures),
      delivery,
    });
    if (!kept) this.deps.onError(new Error(`lease on webhook endpoint ${endpoint.id} ran out during the attempt`), 'an outgoing webhook attempt outlived its lease; another node may repeat it');
    return !ok ? 'failed' : events.length === WEBHOOK_BATCH ? 'more' : 'delivered';
  }

  async #post(endpoint: StoredWebhookEndpoint, events: readonly OutgoingEvent[], now: number): Promise<WebhookResponse> {
    // Checked again here: a row edited in the database must not make the server post elsewhere.
    const problem = endpointUrlProblem(endpoint.url);
    if (problem) return { error: `not delivered: the url ${problem}` };
    const secret = this.#secret(endpoint);
    const body = JSON.stringify({ endpointId: endpoint.id, events });
    const headers = { 'content-type': 'application/json', [SIGNATURE_HEADER]: signatureOf(secret, body, Math.floor(now / 1000)) };
    return this.deps.http.post(endpoint.url, body, headers, WEBHOOK_TIMEOUT_MS);
  }

  /** The endpoint's secret, opened with whichever secret key sealed it (the current one, or the previous during a rotation). */
  #secret(endpoint: StoredWebhookEndpoint): string {
    const secret = openEndpointSecret(this.deps.secrets, endpoint.id, endpoint.sealed);
    if (!secret) throw new Error(`the signing secret of webhook endpoint ${endpoint.id} does not open with the secret keys of this process (it was sealed by ${endpoint.sealed.by})`);
    return secret.toString();
  }

  /** Starts the worker loop: runDue every `intervalMs` (0: never), one run at a time. */
  start(intervalMs: number): void {
    this.#worker.start(intervalMs);
  }

  /** Stops the loop and waits for the attempts in progress, so that they are logged before the database closes. */
  stop(): Promise<void> {
    return this.#worker.stop();
  }
}
