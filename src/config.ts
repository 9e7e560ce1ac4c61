/**
 * Configuration, read once at start from the environment (and CLI flags), validated, frozen.
 * A bad setting stops the process with a message naming it.
 */
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { baseUrlProblem } from './core/base-url.js';
import { isSelfAddressEntry } from './core/nhi/self-addresses.js';
import { parseCidr } from './core/nhi/ip-address.js';
import { parseSecretKey } from './core/secret-key.js';
import { PROVIDERS, type ProviderName } from './adapters/webhooks/provider.js';
import type { WebhookCredentials } from './adapters/webhooks/credentials.js';
import { HARD_BOUNCE_SUPPRESSION_MS, SOFT_BOUNCE_LIMIT, SOFT_BOUNCE_SUPPRESSION_MS, SOFT_BOUNCE_WINDOW, type SuppressionSettings } from './core/suppression-rules.js';

const list = z
  .string()
  .optional()
  .transform((v) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []));

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .optional()
  .transform((v) => (v === undefined ? undefined : ['true', '1', 'yes'].includes(v)));

/**
 * A list of addresses and CIDR ranges, read by the same parser as the network lists and the hot path
 * (core/nhi/ip-address.ts), so what starts is what matches. Each bad entry is named with the reason
 * (e.g. `'10.0.0.1/8' has host bits set; the /8 network is 10.0.0.0/8`).
 */
const ipList = list.superRefine((entries, context) => {
  for (const entry of entries) {
    try {
      parseCidr(entry);
    } catch (error) {
      context.addIssue({ code: 'custom', message: `${(error as Error).message} (expected a comma-separated list of IP addresses or CIDR ranges)` });
    }
  }
});

/** A secret key's value; the message never repeats it. */
const secretKeyValue = z.string().transform((text, ctx) => {
  const key = parseSecretKey(text);
  if (key) return key;
  ctx.addIssue({ code: 'custom', message: 'must be 32 bytes in base64 or hex, e.g. from `openssl rand -base64 32`' });
  return z.NEVER;
});


/**
 * How a provider that signs nothing presents its secret: `basic:USER:PASSWORD`, `bearer:TOKEN`,
 * `header:NAME:SECRET` or `query:PARAMETER:SECRET`. The message never repeats the secret.
 */
const webhookAuth = z.string().transform((text, ctx): WebhookCredentials => {
  const [scheme, first = '', ...rest] = text.split(':');
  const second = rest.join(':');
  if (scheme === 'bearer' && first !== '') return { scheme, token: [first, ...rest].join(':') };
  if (scheme === 'basic' && first !== '' && second !== '') return { scheme, user: first, password: second };
  if (scheme === 'header' && first !== '' && second !== '') return { scheme, header: first.toLowerCase(), secret: second };
  if (scheme === 'query' && first !== '' && second !== '') return { scheme, parameter: first, secret: second };
  ctx.addIssue({ code: 'custom', message: 'must be basic:USER:PASSWORD, bearer:TOKEN, header:NAME:SECRET or query:PARAMETER:SECRET, with nothing empty' });
  return z.NEVER;
});
const DAY_MS = 24 * 60 * 60 * 1000;
/** Longest suppression a setting may ask for, in days: ten years, beyond which permanent is meant. */
const MAX_SUPPRESSION_DAYS = 3650;
/** Most sends the soft-bounce rule may look back over (one query reads them per soft bounce). */
const MAX_SOFT_BOUNCE_WINDOW = 100;

const suppressionDays = (defaultMs: number) => z.coerce.number().int().min(1).max(MAX_SUPPRESSION_DAYS).default(defaultMs / DAY_MS);

/** SUPPRESS_SOFT_BOUNCES: `N/M`, N soft bounces among the last M sends (1 <= N <= M). */
const softBounceRule = z
  .string()
  .default(`${SOFT_BOUNCE_LIMIT}/${SOFT_BOUNCE_WINDOW}`)
  .transform((text, ctx) => {
    const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
    const limit = Number(match?.[1]);
    const window = Number(match?.[2]);
    if (!match || limit < 1 || limit > window || window > MAX_SOFT_BOUNCE_WINDOW) {
      ctx.addIssue({ code: 'custom', message: `must be N/M: N soft bounces among the last M sends, 1 <= N <= M <= ${MAX_SOFT_BOUNCE_WINDOW} (default ${SOFT_BOUNCE_LIMIT}/${SOFT_BOUNCE_WINDOW})` });
      return z.NEVER;
    }
    return { limit, window };
  });

/** PUBLIC_URL: the rule a campaign's tracking base URL follows too (core/base-url.ts). */
const baseUrl = z.string().superRefine((value, context) => {
  const problem = baseUrlProblem(value);
  if (problem) context.addIssue({ code: 'custom', message: problem });
});

/** Units of a duration setting, in milliseconds. */
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration: a number with a unit (`500ms`, `30s`, `5m`, `4h`, `3d`), or plain milliseconds. */
export function parseDuration(text: string): number | null {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(text.trim());
  return match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']! : null;
}

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms !== null) return ms;
  ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 30s, 5m, 4h or 3d' });
  return z.NEVER;
});

/** A comma-separated list of durations, each more than 0 (a retry schedule). */
const durations = z.string().transform((text, ctx) => {
  const values = text.split(',').map((part) => parseDuration(part));
  if (values.length > 0 && values.every((v): v is number => v !== null && v > 0)) return values;
  ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of durations over 0, e.g. 5m,15m,1h,4h,8h' });
  return z.NEVER;
});

/** A domain name (letters, digits, hyphens, dots; at least two labels), as the right side of an address. */
const domainName = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a domain name such as bounces.shop.example');

/** SMTP_URL: host, port, implicit TLS (smtps://) and credentials (user:password@, percent-encoded). */
const smtpUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be an smtp:// or smtps:// URL, e.g. smtp://user:password@relay.example:587' });
    return;
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') ctx.addIssue({ code: 'custom', message: 'must be an smtp:// or smtps:// URL' });
  else if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'names no host' });
});

const EnvSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  // Checked as a campaign's tracking base URL is: one rule for both.
  PUBLIC_URL: baseUrl.optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL; leave it unset for the embedded SQLite database')
    .optional(),
  SQLITE_SYNCHRONOUS: z.enum(['FULL', 'NORMAL']).default('FULL'),
  TRUSTED_PROXIES: ipList,
  EXCLUDED_DESTINATIONS: list,
  SELF_NETWORKS: ipList,
  SELF_ADDRESSES: list.refine((entries) => entries.every(isSelfAddressEntry), 'must be a comma-separated list of addresses (qa@shop.example) or domains (@shop.example)'),
  NETWORK_LISTS_DIR: z.string().min(1).optional(),
  NETWORK_LISTS_RELOAD_MS: z.coerce.number().int().min(10).default(5000),
  IP_STORAGE: z.enum(['full', 'truncated']).default('full'),
  SMTP_URL: smtpUrl.optional(),
  SMTP_REQUIRE_TLS: boolean,
  SMTP_TIMEOUT: duration.default(60_000),
  BOUNCE_DOMAIN: domainName.optional(),
  SEND_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  SEND_RATE_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  SEND_RETRY_BACKOFF: durations.default([5 * 60_000, 15 * 60_000, 3_600_000, 4 * 3_600_000, 8 * 3_600_000]),
  SEND_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(1000).default(15),
  SEND_GIVE_UP_AFTER: duration.default(3 * 86_400_000),
  SEND_LEASE: duration.default(10 * 60_000),
  SEND_POLL: duration.default(5_000),
  MAIL_FROM: z.string().min(3).default('mailsight <no-reply@localhost>'),
  UNSUBSCRIBE_MAILTO: z.email().optional(),
  GROUP_COMMIT_DELAY_MS: z.coerce.number().min(0).max(1000).default(0),
  GROUP_COMMIT_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(500),
  HIT_QUEUE_LIMIT: z.coerce.number().int().min(1).default(20_000),
  HIT_WRITER: z.enum(['thread', 'inline']).default('thread'),
  MX_LOOKUP: boolean,
  NODE_ID: z.string().trim().min(1).max(100).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_REQUESTS: boolean,
  SECRET_KEY: secretKeyValue.optional(),
  SECRET_KEY_FILE: z.string().min(1).optional(),
  SECRET_KEY_PREVIOUS: secretKeyValue.optional(),
  WEBHOOK_PROVIDERS: list.refine((entries) => entries.every((p) => (PROVIDERS as readonly string[]).includes(p)), `must be a comma-separated list of ${PROVIDERS.join(', ')}`),
  WEBHOOK_SES_TOPIC_ARNS: list.refine((entries) => entries.every((a) => /^arn:aws(-[a-z]+)*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(a)), 'must be a comma-separated list of SNS topic ARNs (arn:aws:sns:REGION:ACCOUNT:TOPIC)'),
  WEBHOOK_SENDGRID_VERIFICATION_KEY: z.string().optional(),
  WEBHOOK_MAILGUN_SIGNING_KEY: z.string().optional(),
  WEBHOOK_POSTMARK_AUTH: webhookAuth.optional(),
  WEBHOOK_POSTMARK_ALLOWED_IPS: ipList,
  WEBHOOK_MAILJET_AUTH: webhookAuth.optional(),
  WEBHOOK_MAILJET_ALLOWED_IPS: ipList,
  WEBHOOK_BREVO_AUTH: webhookAuth.optional(),
  WEBHOOK_BREVO_ALLOWED_IPS: ipList,
  INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  INBOUND_SMTP_HOST: z.string().min(1).default('0.0.0.0'),
  INBOUND_SMTP_DOMAINS: list.refine((entries) => entries.every((d) => /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(d)), 'must be a comma-separated list of domain names'),
  SUPPRESS_HARD_BOUNCE_DAYS: suppressionDays(HARD_BOUNCE_SUPPRESSION_MS),
  SUPPRESS_SOFT_BOUNCES: softBounceRule,
  SUPPRESS_SOFT_BOUNCE_DAYS: suppressionDays(SOFT_BOUNCE_SUPPRESSION_MS),
  OUTGOING_WEBHOOKS_POLL: duration.default(2_000),
});

/**
 * A lease covers a whole hand-over: connecting, the greeting and the answer to the data each wait up
 * to SMTP_TIMEOUT, so the lease lasts at least three of them.
 */
const MIN_LEASE_TIMEOUTS = 3;

export type DatabaseConfig = { dialect: 'sqlite'; file: string; synchronous: 'FULL' | 'NORMAL' } | { dialect: 'postgres'; url: string };

export interface Config {
  port: number;
  host: string;
  publicUrl: string;
  database: DatabaseConfig;
  trustedProxies: string[];
  excludedDestinations: string[];
  /** The sender's own networks: hits from them get the verdict `self`. */
  selfNetworks: string[];
  /** The sender's own addresses and @domains (seed and test copies): hits on their messages get the verdict `self`. */
  selfAddresses: string[];
  /** An operator's directory of network lists, read after (and overriding) the shipped ones. */
  networkListsDir: string | null;
  networkListsReloadMs: number;
  ipStorage: 'full' | 'truncated';
  smtpUrl: string | null;
  /** Refuse to send unless the relay offers STARTTLS (an smtps:// URL is TLS from the start anyway). */
  smtpRequireTls: boolean;
  /** How long to wait for the relay to connect, greet, and answer each command before it counts as no answer. */
  smtpTimeoutMs: number;
  mailFrom: string;
  /**
   * The domain of the VERP return paths (`bounce+<token>@BOUNCE_DOMAIN`) and of the Message-IDs; null:
   * bounces go to MAIL_FROM's address and Message-IDs take PUBLIC_URL's host.
   */
  bounceDomain: string | null;
  sending: SendingConfig;
  unsubscribeMailto: string | null;
  groupCommit: { maxDelayMs: number; maxBatch: number; maxPending: number };
  /**
   * Where hits are classified and written: on a thread of their own with their own database
   * connection (the default), or inline on the event loop that answers requests.
   */
  hitWriter: 'thread' | 'inline';
  /** Look up the MX of recipients' company domains to name their mailbox provider (app/mail-domains.ts). */
  mxLookup: boolean;
  /**
   * This node's name, stored with the hits it records. Nodes sharing a database must have different
   * names: each revises only its own hits and takes in the others'. Default: host name and port.
   */
  nodeId: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  logRequests: boolean;
  /**
   * The secret key that seals the signing keys in the database, kept apart from it: its value
   * (SECRET_KEY) or a file holding it (SECRET_KEY_FILE; on SQLite, `secret.key` beside the database by
   * default, created when absent). `previous` still opens keys while the secret key is rotated.
   */
  secretKey: { value: Buffer | null; file: string | null; previous: Buffer | null };
  /**
   * The built-in SMTP receiver of bounce and complaint mail, started by `serve` when a port is set;
   * `domains` are the recipients' domains it takes mail for (every other recipient is refused).
   */
  inboundSmtp: { port: number; host: string; domains: string[] } | null;
  /** The providers whose webhooks are taken (POST /webhooks/<provider>), each with its secret. */
  webhooks: WebhookSettings;
  /**
   * The suppression rules (core/suppression-rules.ts): how long a hard bounce suppresses
   * (SUPPRESS_HARD_BOUNCE_DAYS, 90), how many soft bounces among how many last sends suppress
   * (SUPPRESS_SOFT_BOUNCES, 3/5) and for how long (SUPPRESS_SOFT_BOUNCE_DAYS, 7).
   */
  suppression: Readonly<SuppressionSettings>;
  /** How often the outgoing webhooks worker looks for due endpoints (OUTGOING_WEBHOOKS_POLL); 0: no worker loop (tests call runDue()). */
  outgoingWebhooksPollMs: number;
}

export interface WebhookSettings {
  ses?: { topicArns: string[] };
  sendgrid?: { verificationKey: string };
  mailgun?: { signingKey: string };
  postmark?: { credentials: WebhookCredentials; allowedSources: string[] };
  mailjet?: { credentials: WebhookCredentials; allowedSources: string[] };
  brevo?: { credentials: WebhookCredentials; allowedSources: string[] };
}

/**
 * The bounce mail receiver: it takes mail for INBOUND_SMTP_DOMAINS, by default BOUNCE_DOMAIN (where
 * the VERP return paths point). A receiver taking mail for any domain would be an open door: refused.
 */
function inboundSmtp(e: z.infer<typeof EnvSchema>): Config['inboundSmtp'] {
  if (e.INBOUND_SMTP_PORT === undefined) return null;
  const domains = e.INBOUND_SMTP_DOMAINS.length > 0 ? e.INBOUND_SMTP_DOMAINS.map((d) => d.toLowerCase()) : e.BOUNCE_DOMAIN ? [e.BOUNCE_DOMAIN.toLowerCase()] : [];
  if (domains.length === 0) throw new ConfigError('invalid configuration: INBOUND_SMTP_PORT is set but neither INBOUND_SMTP_DOMAINS nor BOUNCE_DOMAIN names the domains to take bounce mail for');
  return { port: e.INBOUND_SMTP_PORT, host: e.INBOUND_SMTP_HOST, domains };
}

/**
 * The webhooks WEBHOOK_PROVIDERS names, each with the secret it needs: a provider named without
 * one refuses to start (a webhook without a secret would take anyone's events).
 */
function webhookSettings(e: z.infer<typeof EnvSchema>): WebhookSettings {
  const settings: WebhookSettings = {};
  const missing = (provider: ProviderName, variable: string) =>
    new ConfigError(`invalid configuration: WEBHOOK_PROVIDERS names ${provider} but ${variable} is not set; a webhook without a secret would accept anyone's events`);
  for (const provider of e.WEBHOOK_PROVIDERS as ProviderName[]) {
    switch (provider) {
      case 'ses':
        if (e.WEBHOOK_SES_TOPIC_ARNS.length === 0) throw missing(provider, 'WEBHOOK_SES_TOPIC_ARNS');
        settings.ses = { topicArns: e.WEBHOOK_SES_TOPIC_ARNS };
        break;
      case 'sendgrid':
        if (!e.WEBHOOK_SENDGRID_VERIFICATION_KEY) throw missing(provider, 'WEBHOOK_SENDGRID_VERIFICATION_KEY');
        settings.sendgrid = { verificationKey: e.WEBHOOK_SENDGRID_VERIFICATION_KEY };
        break;
      case 'mailgun':
        if (!e.WEBHOOK_MAILGUN_SIGNING_KEY) throw missing(provider, 'WEBHOOK_MAILGUN_SIGNING_KEY');
        settings.mailgun = { signingKey: e.WEBHOOK_MAILGUN_SIGNING_KEY };
        break;
      case 'postmark':
        if (!e.WEBHOOK_POSTMARK_AUTH) throw missing(provider, 'WEBHOOK_POSTMARK_AUTH');
        settings.postmark = { credentials: e.WEBHOOK_POSTMARK_AUTH, allowedSources: e.WEBHOOK_POSTMARK_ALLOWED_IPS };
        break;
      case 'mailjet':
        if (!e.WEBHOOK_MAILJET_AUTH) throw missing(provider, 'WEBHOOK_MAILJET_AUTH');
        settings.mailjet = { credentials: e.WEBHOOK_MAILJET_AUTH, allowedSources: e.WEBHOOK_MAILJET_ALLOWED_IPS };
        break;
      case 'brevo':
        if (!e.WEBHOOK_BREVO_AUTH) throw missing(provider, 'WEBHOOK_BREVO_AUTH');
        settings.brevo = { credentials: e.WEBHOOK_BREVO_AUTH, allowedSources: e.WEBHOOK_BREVO_ALLOWED_IPS };
        break;
    }
  }
  return settings;
}

/** How messages are handed to the relay: limits, the retry schedule and the worker loop (src/app/send-queue.ts). */
export interface SendingConfig {
  /** Hand-overs in progress at once, per node. */
  concurrency: number;
  /** Hand-overs started in any minute, per node. */
  ratePerMinute: number;
  /** Waits before the 2nd, 3rd, ... attempt after a temporary refusal; the last one repeats. */
  backoffMs: number[];
  /** Attempts before giving up (a soft bounce, reason expired). */
  maxAttempts: number;
  /** Time after the first attempt past which no attempt is made (a soft bounce, reason expired). */
  giveUpAfterMs: number;
  /** How long a node holds a message it is handing over; a node that died holding it lets it go then. */
  leaseMs: number;
  /** How often the worker looks for due sends; 0: no worker loop (tests call runDue()). */
  pollMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads the configuration from environment variables; `overrides` (e.g. CLI flags) win. */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Record<string, string | undefined> = {}): Readonly<Config> {
  const merged = { ...env, ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) };
  const parsed = EnvSchema.safeParse(Object.fromEntries(Object.keys(EnvSchema.shape).map((k) => [k, merged[k] === '' ? undefined : merged[k]])));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  if (e.SECRET_KEY && e.SECRET_KEY_FILE) throw new ConfigError('invalid configuration: SECRET_KEY and SECRET_KEY_FILE are both set; set one of them');
  // A lease that ran out while the relay still had the message would let another node hand it over too.
  if (e.SEND_LEASE < MIN_LEASE_TIMEOUTS * e.SMTP_TIMEOUT) {
    throw new ConfigError(
      `invalid configuration: SEND_LEASE (${e.SEND_LEASE} ms) must be at least ${MIN_LEASE_TIMEOUTS} times SMTP_TIMEOUT (${e.SMTP_TIMEOUT} ms): a hand-over may wait that long (connect, greeting, data)`,
    );
  }
  const config: Config = {
    port: e.PORT,
    host: e.HOST,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    database: e.DATABASE_URL
      ? { dialect: 'postgres', url: e.DATABASE_URL }
      : { dialect: 'sqlite', file: path.join(e.DATA_DIR, 'mailsight.sqlite'), synchronous: e.SQLITE_SYNCHRONOUS },
    trustedProxies: e.TRUSTED_PROXIES,
    excludedDestinations: e.EXCLUDED_DESTINATIONS,
    selfNetworks: e.SELF_NETWORKS,
    selfAddresses: e.SELF_ADDRESSES,
    networkListsDir: e.NETWORK_LISTS_DIR ?? null,
    networkListsReloadMs: e.NETWORK_LISTS_RELOAD_MS,
    ipStorage: e.IP_STORAGE,
    smtpUrl: e.SMTP_URL ?? null,
    smtpRequireTls: e.SMTP_REQUIRE_TLS ?? false,
    smtpTimeoutMs: e.SMTP_TIMEOUT,
    mailFrom: e.MAIL_FROM,
    bounceDomain: e.BOUNCE_DOMAIN ?? null,
    sending: {
      concurrency: e.SEND_CONCURRENCY,
      ratePerMinute: e.SEND_RATE_PER_MINUTE,
      backoffMs: e.SEND_RETRY_BACKOFF,
      maxAttempts: e.SEND_MAX_ATTEMPTS,
      giveUpAfterMs: e.SEND_GIVE_UP_AFTER,
      leaseMs: e.SEND_LEASE,
      pollMs: e.SEND_POLL,
    },
    unsubscribeMailto: e.UNSUBSCRIBE_MAILTO ?? null,
    groupCommit: { maxDelayMs: e.GROUP_COMMIT_DELAY_MS, maxBatch: e.GROUP_COMMIT_MAX_BATCH, maxPending: e.HIT_QUEUE_LIMIT },
    hitWriter: e.HIT_WRITER,
    mxLookup: e.MX_LOOKUP ?? true,
    nodeId: e.NODE_ID ?? `${os.hostname()}:${e.PORT}`,
    logLevel: e.LOG_LEVEL,
    logRequests: e.LOG_REQUESTS ?? false,
    secretKey: { value: e.SECRET_KEY ?? null, file: e.SECRET_KEY_FILE ?? null, previous: e.SECRET_KEY_PREVIOUS ?? null },
    webhooks: webhookSettings(e),
    inboundSmtp: inboundSmtp(e),
    suppression: Object.freeze({
      hardBounceMs: e.SUPPRESS_HARD_BOUNCE_DAYS * DAY_MS,
      softBounceLimit: e.SUPPRESS_SOFT_BOUNCES.limit,
      softBounceWindow: e.SUPPRESS_SOFT_BOUNCES.window,
      softBounceMs: e.SUPPRESS_SOFT_BOUNCE_DAYS * DAY_MS,
    }),
    outgoingWebhooksPollMs: e.OUTGOING_WEBHOOKS_POLL,
  };
  return Object.freeze(config);
}
