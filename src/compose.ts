/**
 * The composition root: the only place that turns configuration into objects and wires them.
 * `build()` returns a ready Fastify server (not listening), so tests drive it with inject().
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type RouteOptions } from 'fastify';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import type { Config, DatabaseConfig } from './config.js';
import { CampaignService } from './app/campaigns.js';
import { loadKeyring, LiveKeyring, type SecretKeys } from './app/keys.js';
import { SECRET_KEY_BYTES, SecretKey, SecretKeyError } from './core/secret-key.js';
import { readSecretKeyFile } from './adapters/secret-key-file.js';
import { MessageService } from './app/messages.js';
import { systemClock, type Clock, type Mailer } from './app/ports.js';
import { selfNetworkList, shippedNetworksDir, startNetworkIndex } from './adapters/network-lists/network-lists.js';
import { ReportService } from './app/reports.js';
import { HotClicksService } from './app/hot-clicks.js';
import { SendingService } from './app/sending.js';
import { SuppressionService } from './app/suppressions.js';
import { ContactService } from './app/contacts.js';
import { SendQueue } from './app/send-queue.js';
import { TrackingService } from './app/tracking.js';
import { IngestionService, signedReferences, type ReferenceResolver } from './app/ingestion.js';
import { MailIngestion, type MailReader } from './app/mail-ingestion.js';
import { parseBounceMail } from './core/bounces/parse-bounce-mail.js';
import { startBounceReceiver, type BounceReceiver } from './adapters/smtp/bounce-receiver.js';
import { MAX_TOKEN_LENGTH } from './core/tokens.js';
import { ClassifyingHitWriter, type HitWriter } from './app/hit-writer.js';
import { RETAIN_MS } from './core/nhi/hit-classifier.js';
import { selfAddressMatcher } from './core/nhi/self-addresses.js';
import { ThreadHitWriter } from './adapters/writer-thread/thread-hit-writer.js';
import { openStorage, type Storage } from './adapters/storage/index.js';
import { startCheckpointer, type Checkpointer } from './adapters/storage/checkpointer.js';
import { apiRoutes, API_BODY_LIMIT } from './adapters/http/api-routes.js';
import { webRoutes } from './adapters/http/web-routes.js';
import { requirePageSession } from './adapters/http/access.js';
import { answerRefusedRequest, answerUnrouted, trackingRoutes } from './adapters/http/tracking-routes.js';
import { errorHandler, type ErrorBody } from './adapters/http/errors.js';
import { smtpMailer } from './adapters/smtp/smtp-mailer.js';
import { webhookRoutes } from './adapters/http/webhook-routes.js';
import { webhookProviders } from './adapters/webhooks/index.js';
import { httpsFetcher } from './adapters/webhooks/http-fetcher.js';
import type { HttpFetcher, ProviderName, WebhookProvider } from './adapters/webhooks/provider.js';
import { KyselyNonceStore } from './adapters/storage/nonce-store.js';
import { KyselyMailDomainStore } from './adapters/storage/mail-domain-store.js';
import { systemMxResolver } from './adapters/dns/mx-resolver.js';
import { MailDomainService, type MxResolver } from './app/mail-domains.js';
import { LiveFeed, LIVE_POLL_MS } from './app/live-feed.js';
import { OutgoingWebhooks } from './app/outgoing-webhooks.js';
import { KyselyLiveFeedStore } from './adapters/storage/live-feed-store.js';
import { KyselyOutgoingWebhookStore } from './adapters/storage/outgoing-webhook-store.js';
import { fetchWebhookClient } from './adapters/webhooks/outgoing-webhook-client.js';
import type { WebhookHttpClient } from './app/ports.js';
import { UserService } from './app/users.js';

export interface BuildOptions {
  config: Readonly<Config>;
  clock?: Clock;
  logger?: Logger;
  /** Replaces the SMTP relay of the config (tests, the demo). */
  mailer?: Mailer;
  /** Replaces the https fetcher of SNS certificates and subscription confirmations (tests). */
  fetcher?: HttpFetcher;
  /** Replaces the system's DNS for MX lookups (tests); MX_LOOKUP=false turns the system's off. */
  mxResolver?: MxResolver;
  /** Replaces the HTTP client that posts outgoing webhooks. */
  webhookClient?: WebhookHttpClient;
  /** Sees every route as it is registered, with its config (tests enumerate the API's routes and their access). */
  onRoute?: (route: RouteOptions) => void;
}

export interface Services {
  campaigns: CampaignService;
  messages: MessageService;
  reports: ReportService;
  hotClicks: HotClicksService;
  sending: SendingService;
  suppressions: SuppressionService;
  contacts: ContactService;
  /** The send queue's worker; null without a relay. Tests call its runDue() after moving the clock. */
  sendQueue: SendQueue | null;
  tracking: TrackingService;
  ingestion: IngestionService;
  mail: MailIngestion;
  keyring: LiveKeyring;
  /** Human opens and clicks as they are recorded, for the SSE routes. */
  live: LiveFeed;
  /** Outgoing webhook endpoints and their worker. Tests call its runDue() after moving the clock. */
  webhooks: OutgoingWebhooks;
  /** Accounts, sessions and sign-in (the dashboard's access; adapters/http/access.ts). */
  users: UserService;
}

export interface Mailsight {
  app: FastifyInstance;
  storage: Storage;
  services: Services;
}

/** Bounce and complaint mail read by the core's parser (DSN, ARF, non-standard texts, auto-replies). */
export const readBounceMail: MailReader = (raw, envelopeRecipients) => parseBounceMail(raw, { envelopeRecipients });

/**
 * The built-in receiver of bounce and complaint mail (INBOUND_SMTP_*), feeding the same pipeline as
 * `ingest-mail`; null when not configured. Closed with the server.
 */
export async function startInboundSmtp(built: Mailsight, config: Readonly<Config>): Promise<BounceReceiver | null> {
  if (!config.inboundSmtp) return null;
  const { port, host, domains } = config.inboundSmtp;
  const receiver = await startBounceReceiver({
    host,
    port,
    domains,
    handle: async (raw, envelope) => {
      await built.services.mail.ingest(raw, 'smtp', envelope.rcptTo);
    },
    onError: (error) => built.app.log.error({ err: error }, 'bounce mail could not be recorded; the sender was told to retry'),
  });
  built.app.addHook('onClose', () => receiver.close());
  return receiver;
}

/**
 * The ingestion alone, for `mailsight ingest-mail`: the database and the signing keys (the VERP
 * tokens are read with them), no server.
 */
export async function openMailIngestion(config: Readonly<Config>, clock: Clock = systemClock): Promise<{ mail: MailIngestion; close(): Promise<void> }> {
  const secrets = secretKeys(config);
  const storage = await openStorage(config.database, clock);
  try {
    const keyring = await loadKeyring(storage.keys, secrets, clock);
    const ingestion = new IngestionService(storage.ingestion, signedReferences(() => keyring), clock, config.suppression);
    return { mail: new MailIngestion(ingestion, readBounceMail), close: () => storage.close() };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/**
 * Longest path parameter a route takes, in characters: a token is at most MAX_TOKEN_LENGTH (64). A
 * longer one matches no route, and the not-found handler answers it (the image under /o/, the
 * link-not-found page under /c/ and /u/) without verifying anything.
 */
const MAX_PARAM_LENGTH = 2 * MAX_TOKEN_LENGTH;

/** The shipped network lists, then the operator's, which override lists of the same name. */
export function networkListDirs(config: Pick<Config, 'networkListsDir'>): string[] {
  return [shippedNetworksDir(), ...(config.networkListsDir ? [config.networkListsDir] : [])];
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({ level: config.logLevel });
}

/** The secret key file's name beside a SQLite database when SECRET_KEY_FILE is not set. */
const SECRET_KEY_FILE_NAME = 'secret.key';

/**
 * The secret keys the configuration names. On SQLite the key file (by default beside the database)
 * is created when absent; on PostgreSQL never, since every node must hold the same key.
 */
export function secretKeys(config: Pick<Config, 'secretKey' | 'database'>): SecretKeys {
  const { previous } = config.secretKey;
  return { current: currentSecretKey(config), previous: previous ? new SecretKey(previous, 'SECRET_KEY_PREVIOUS') : null };
}

function currentSecretKey({ secretKey, database }: Pick<Config, 'secretKey' | 'database'>): SecretKey {
  if (secretKey.value) return new SecretKey(secretKey.value, 'SECRET_KEY');
  // An in-memory database ends with the process: so may the key that seals its signing keys.
  if (!secretKey.file && inMemorySqlite(database)) return new SecretKey(randomBytes(SECRET_KEY_BYTES), 'the in-memory database\'s own key');
  const file = secretKey.file ?? (database.dialect === 'sqlite' ? path.join(path.dirname(database.file), SECRET_KEY_FILE_NAME) : null);
  if (!file) {
    throw new SecretKeyError(
      'SECRET_KEY is not set: on PostgreSQL every node must open the same signing keys, so no secret key is generated; ' +
        'set SECRET_KEY to 32 random bytes in base64 (`openssl rand -base64 32`), the same on every node, or SECRET_KEY_FILE to a file holding them',
    );
  }
  const { key, created } = readSecretKeyFile(file, { create: database.dialect === 'sqlite' });
  return new SecretKey(key, `${secretKey.file ? 'SECRET_KEY_FILE' : 'the secret key file'} ${file}${created ? ' (created now: it was missing)' : ''}`);
}

/** A SQLite database that lives in its one connection, which no other thread can open. */
function inMemorySqlite(database: DatabaseConfig): boolean {
  return database.dialect === 'sqlite' && database.file === ':memory:';
}

/**
 * The writer that classifies and stores hits: on its own thread by default, inline on request (or
 * for an in-memory database, which one connection holds).
 */
async function hitWriter(config: Readonly<Config>, storage: Storage, logger: Logger, clock: Clock): Promise<HitWriter> {
  // The classifier remembers hits for RETAIN_MS: a new writer takes those back from the database.
  const warmSince = () => clock.now() - RETAIN_MS;
  // Nodes sharing a PostgreSQL database take in each other's hits; each names the hits it writes.
  const writerOptions = { ipStorage: config.ipStorage, writerId: config.nodeId, shared: config.database.dialect === 'postgres', selfAddresses: config.selfAddresses };
  // An in-memory SQLite database lives in one connection: a thread could not share it.
  if (config.hitWriter === 'thread' && !inMemorySqlite(config.database)) {
    return ThreadHitWriter.start({
      setup: {
        database: config.database,
        networkDirs: networkListDirs(config),
        selfNetworks: config.selfNetworks,
        networkListsReloadMs: config.networkListsReloadMs,
        writer: writerOptions,
        groupCommit: { maxDelayMs: config.groupCommit.maxDelayMs },
      },
      warmSince,
      onLog: (level, message) => logger[level](message),
    });
  }
  const networks = await startNetworkIndex({
    dirs: networkListDirs(config),
    selfNetworks: config.selfNetworks,
    intervalMs: config.networkListsReloadMs,
    onError: (message) => logger.warn(message),
  });
  const writer = new ClassifyingHitWriter(storage.events, () => networks.current, writerOptions);
  await writer.warm(warmSince());
  return { write: (batch, now) => writer.write(batch, now), close: async () => networks.stop() };
}

export async function build(options: BuildOptions): Promise<Mailsight> {
  const { config } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createLogger(config);
  // Settings that can still be refused are checked before anything is opened.
  if (config.selfNetworks.length > 0) selfNetworkList(config.selfNetworks);
  const secrets = secretKeys(config);
  const storage = await openStorage(config.database, clock);
  if (storage.countersBuilt && storage.countersBuilt.messages > 0) {
    const built = storage.countersBuilt;
    logger.info({ messages: built.messages, executions: built.executions }, `report counters built from the ${built.messages} messages stored before them (once, after the upgrade)`);
  }
  let checkpointer: Checkpointer | null = null;

  let keyring: LiveKeyring;
  try {
    keyring = new LiveKeyring(await loadKeyring(storage.keys, secrets, clock), storage.keys, secrets, clock);
  } catch (error) {
    // A secret key that opens nothing stops the start here, with nothing left open.
    await storage.close();
    throw error;
  }
  keyring.start(undefined, (error) => logger.error({ err: error }, 'reloading signing keys failed'));
  const currentKeyring = () => keyring.current;

  const ownMailer = options.mailer
    ? null
    : config.smtpUrl
      ? smtpMailer({ url: config.smtpUrl, requireTls: config.smtpRequireTls, timeoutMs: config.smtpTimeoutMs, maxConnections: config.sending.concurrency })
      : null;
  const mailer = options.mailer ?? ownMailer;

  let writer: HitWriter;
  let providers: Map<ProviderName, WebhookProvider>;
  try {
    providers = webhookProviders(config.webhooks, { fetcher: options.fetcher ?? httpsFetcher, nonces: new KyselyNonceStore(storage.database.db) });
    // An in-memory database lives in one connection: nothing to checkpoint from elsewhere.
    if (config.database.dialect === 'sqlite' && !inMemorySqlite(config.database)) {
      checkpointer = await startCheckpointer({ file: config.database.file, synchronous: config.database.synchronous, onLog: (level, message) => logger[level](message) });
    }
    writer = await hitWriter(config, storage, logger, clock);
  } catch (error) {
    keyring.stop();
    ownMailer?.close();
    await checkpointer?.stop();
    await storage.close();
    throw error;
  }
  const tracking = new TrackingService(currentKeyring, storage.catalog, storage.events, writer, clock, {
    groupCommit: config.groupCommit,
    ipStorage: config.ipStorage,
    isSelfAddress: selfAddressMatcher(config.selfAddresses),
    suppression: config.suppression,
    onError: (error, message) => logger.error({ err: error }, message),
  });
  const campaigns = new CampaignService(storage.catalog, clock, { excludedDestinations: config.excludedDestinations, placeholderPatterns: [] });
  const systemResolver = options.mxResolver || !config.mxLookup ? null : systemMxResolver();
  const mxResolver = options.mxResolver ?? systemResolver;
  const mailDomains = mxResolver
    ? new MailDomainService(new KyselyMailDomainStore(storage.database.db), mxResolver, clock, (domain, error) => logger.debug({ err: error, domain }, 'MX lookup failed'))
    : null;
  const messages = new MessageService(storage.catalog, storage.events, campaigns, currentKeyring, clock, {
    publicUrl: config.publicUrl,
    unsubscribeMailto: config.unsubscribeMailto,
    suppression: config.suppression,
    messageIdDomain: config.bounceDomain ?? new URL(config.publicUrl).hostname,
    onDelivery: (messageId, type, at) => tracking.noteDelivery(messageId, type, at),
    ...(mailDomains ? { learnDomain: (address: string) => mailDomains.learn(address) } : {}),
  });
  const sendQueue = mailer
    ? new SendQueue(
        {
          store: storage.sendQueue,
          messages,
          catalog: storage.catalog,
          events: storage.events,
          mailer,
          keyring: currentKeyring,
          clock,
          from: config.mailFrom,
          bounceDomain: config.bounceDomain,
          suppression: config.suppression,
          onError: (error, message) => logger.error({ err: error }, message),
        },
        config.sending,
      )
    : null;
  const references: ReferenceResolver = signedReferences(currentKeyring);
  const ingestion = new IngestionService(
    storage.ingestion,
    references,
    clock,
    config.suppression,
    (messageId, type, at) => tracking.noteDelivery(messageId, type, at),
    (error, message) => logger.error({ err: error }, message),
  );
  const services: Services = {
    campaigns,
    messages,
    reports: new ReportService(storage.reports, storage.catalog, campaigns),
    hotClicks: new HotClicksService(storage.reports, storage.catalog, campaigns),
    sending: new SendingService(messages, storage.events, storage.sendQueue, sendQueue),
    sendQueue,
    suppressions: new SuppressionService(storage.suppressions, clock),
    contacts: new ContactService(storage.drillDown, storage.contacts, campaigns),
    tracking,
    ingestion,
    mail: new MailIngestion(ingestion, readBounceMail),
    keyring,
    live: new LiveFeed(new KyselyLiveFeedStore(storage.database.db), { pollMs: LIVE_POLL_MS, onError: (error, message) => logger.error({ err: error }, message) }),
    webhooks: new OutgoingWebhooks({
      store: new KyselyOutgoingWebhookStore(storage.database.db),
      http: options.webhookClient ?? fetchWebhookClient,
      clock,
      secrets,
      nodeId: config.nodeId,
      onError: (error, message) => logger.error({ err: error }, message),
    }),
    users: new UserService(storage.users, clock),
  };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request log lines cost more than the tracking work itself; they are opt-in.
    logController: new LogController({ disableRequestLogging: !config.logRequests }),
    // The client address of a hit comes from ClientAddress (tracking-routes.ts) alone: it remembers each
    // hop and never takes `unknown` for a client (bench/client-address.ts). request.ip stays the socket's.
    trustProxy: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors(error, request, reply) {
      // A tracking URL mangled into an undecodable path still gets its image or its page.
      if (answerUnrouted(request.url, reply as FastifyReply)) return;
      void (reply as FastifyReply).status(400).send({ error: error.code, message: error.message } satisfies ErrorBody);
    },
    // Refused by Node's HTTP parser before routing: a pixel URL over the size limit still gets its image.
    clientErrorHandler: answerRefusedRequest,
  });
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.setErrorHandler(errorHandler);
  // Unknown paths get a small JSON answer; tracking paths their image or page. Neither repeats the path.
  app.setNotFoundHandler((request, reply) => {
    if (answerUnrouted(request.url, reply)) return;
    void reply.status(404).send({ error: 'NOT_FOUND', message: 'no such route' } satisfies ErrorBody);
  });
  app.addHook('onClose', async () => {
    // Attempts in progress record the relay's answer before the database closes.
    await sendQueue?.stop();
    await mailDomains?.close();
    systemResolver?.close();
    keyring.stop();
    await tracking.close();
    ownMailer?.close();
    await checkpointer?.stop();
    await storage.close();
  });

  app.get('/health', async () => ({ ok: true }));
  await app.register(trackingRoutes, { tracking: services.tracking, trustedProxies: config.trustedProxies });
  await app.register(webhookRoutes, { providers, ingestion: services.ingestion, fetcher: options.fetcher ?? httpsFetcher, trustedProxies: config.trustedProxies, clock });
  await app.register(
    async (api) => {
      api.addHook('onRoute', (route) => {
        route.bodyLimit ??= API_BODY_LIMIT;
      });
      await apiRoutes(api, { keys: storage.keys, ...services, clock, config });
    },
    { prefix: '/api' },
  );
  await app.register(webRoutes, { guard: requirePageSession(services.users) });
  // The worker takes due sends (retries, and sends the rate limit left for later) every SEND_POLL.
  sendQueue?.start(config.sending.pollMs);
  // Runs before the hook above that closes the database (onClose hooks run last added first).
  app.addHook('onClose', async () => {
    await services.webhooks.stop();
    await services.live.close();
  });
  services.webhooks.start(config.outgoingWebhooksPollMs);
  return { app, storage, services };
}
