/**
 * `mailsight demo`: the whole loop on a fresh SQLite file. A newsletter goes through the real API and
 * a real SMTP exchange into a local sink, which refuses a few recipients as their servers would;
 * recipients then open and click the links they received, over HTTP, as their mail clients would,
 * while bounce and complaint mail comes back over SMTP to the built-in bounce receiver; the campaign
 * report is printed and the server keeps serving.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { loadConfig } from '../config.js';
import { build, startInboundSmtp } from '../compose.js';
import { createApiKey } from '../app/keys.js';
import { systemClock } from '../app/ports.js';
import type { CampaignReport } from '../app/reports.js';
import { smtpMailer } from '../adapters/smtp/smtp-mailer.js';
import { startSmtpSink, type ReceivedEnvelope } from '../adapters/smtp/smtp-sink.js';
import { waitForSignal } from './serve.js';
import { DEMO_HTML, DEMO_SUBJECT, DEMO_TEXT, demoContacts, type DemoContact } from './demo-content.js';
import { printReport } from './report-table.js';
import { mulberry32 } from '../core/seeded-random.js';
import { demoClock, playRecipients, type TimedAction } from './demo-audience.js';
import { DELIVERED_AT_ONCE, deliveryActions, fateOf, smtpRefusal, type Fate } from './demo-delivery.js';

interface DemoFlags {
  port?: string;
  contacts?: string;
  'data-dir'?: string;
  'no-serve'?: boolean;
}

/** Requests in flight at once while playing recipients: enough to be quick, few enough to stay polite. */
const CONCURRENCY = 16;

/** The demo's bounce domain: the VERP return paths' and Message-IDs' domain, taken by the bounce receiver. */
const BOUNCE_DOMAIN = 'bounce.demo.test';


export async function demoCommand(flags: DemoFlags): Promise<number> {
  const contactCount = Number(flags.contacts ?? 300);
  if (!Number.isInteger(contactCount) || contactCount < 1 || contactCount > 100_000) throw new Error('--contacts must be a whole number from 1 to 100000');
  const dataDir = flags['data-dir'] ?? (await mkdtemp(path.join(os.tmpdir(), 'mailsight-demo-')));
  const port = flags.port ?? '8080';

  const contacts = demoContacts(contactCount);
  const fates = new Map<string, Fate>(contacts.map((c, i) => [c.email.toLowerCase(), fateOf(i)]));
  const received = new Map<string, { mail: ParsedMail; envelope: ReceivedEnvelope }>();
  // The sink stands in for the recipients' servers: it refuses unknown users and full mailboxes at RCPT TO.
  const sink = await startSmtpSink(
    (mail, rcpt, envelope) => {
      for (const address of rcpt) received.set(address.toLowerCase(), { mail, envelope });
    },
    { rejectRecipient: (address, attempt) => smtpRefusal(fates.get(address.toLowerCase()) ?? 'delivered', address, attempt) },
  );
  // The demo's own server: local, on a fresh SQLite file, believing X-Forwarded-For from the player,
  // with VERP return paths and a bounce receiver on a free port. The demo clock stands still while
  // sending, so the rate limit would hold back a large run: the local sink takes any rate.
  const demoConfig = (overrides: Record<string, string>) =>
    loadConfig(process.env, {
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      TRUSTED_PROXIES: '127.0.0.1',
      LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
      BOUNCE_DOMAIN,
      INBOUND_SMTP_HOST: '127.0.0.1',
      INBOUND_SMTP_PORT: '0',
      SEND_RATE_PER_MINUTE: '1000000',
      // The audience's domains are reserved ones (.example): no MX to look up.
      MX_LOOKUP: 'false',
      ...overrides,
    });
  // The public URL names the port, so the port is settled first; port 0 picks a free one.
  let realPort = demoConfig({ PORT: port }).port;
  if (realPort === 0) realPort = await freePort(0);
  // Without --port, the default 8080 is only a preference: a machine already serving on it gets another.
  if (flags.port === undefined && !(await portIsFree(realPort))) {
    const other = await freePort(0);
    console.log(`port ${realPort} is in use; the demo serves on ${other} instead (choose one with --port)`);
    realPort = other;
  }
  const config = demoConfig({ PORT: String(realPort), PUBLIC_URL: `http://127.0.0.1:${realPort}` });
  const mailer = smtpMailer(`smtp://127.0.0.1:${sink.port}`);
  // The demo plays two days of recipients' behaviour in seconds: the server runs on a clock the
  // player moves forward, so timing evidence (seconds after delivery, bursts) is as it would be.
  const clock = demoClock(Date.now());
  // The worker's timer is started before serving; during the play the demo polls on the demo clock.
  const built = await build({ config: { ...config, sending: { ...config.sending, pollMs: 0 } }, mailer, clock });
  const { app, storage, services } = built;
  const inbound = await startInboundSmtp(built, config);
  if (!inbound || !services.sendQueue) throw new Error('the demo needs its bounce receiver and send queue');
  await app.listen({ port: config.port, host: config.host });
  const base = config.publicUrl;
  const { key } = await createApiKey(storage.keys, systemClock, 'demo');
  const api = apiClient(base, key);

  console.log(`mailsight demo: database ${config.database.dialect === 'sqlite' ? config.database.file : ''}`);
  console.log(`server ${base}, SMTP sink 127.0.0.1:${sink.port}, bounce receiver 127.0.0.1:${inbound.port} (${BOUNCE_DOMAIN})`);

  await welcomeLeavers(api, contacts.slice(0, Math.min(3, contacts.length)));
  // Complaints about an earlier campaign, before this one: those addresses are suppressed for good.
  const complainedEarlier = contacts.filter((c) => fates.get(c.email) === 'complained-earlier');
  for (const c of complainedEarlier) await api.post('/api/suppressions', { email: c.email, reason: 'complaint', note: 'reported the spring newsletter as spam' });

  const campaign = await api.post('/api/campaigns', { name: 'Autumn newsletter', kind: 'one-off' });
  const execution = await api.post(`/api/campaigns/${campaign.id}/executions`, { subject: DEMO_SUBJECT, html: DEMO_HTML, text: DEMO_TEXT });
  // The list was exported with one contact twice, spelled with a capital: the second message is blocked as a duplicate.
  const twice = contacts[Math.min(5, contacts.length - 1)]!;
  const sendList = [...contacts, { ...twice, email: twice.email[0]!.toUpperCase() + twice.email.slice(1) }];
  console.log(`campaign ${campaign.id} "${campaign.name}": ${execution.links.length} link occurrences; sending to ${contacts.length} contacts (one listed twice)...`);

  const random = mulberry32(42);
  received.clear(); // from here on the sink holds the newsletter only
  const { messageIds, answers } = await sendNewsletter(api, execution.id, sendList);
  console.log(
    `${answers.blocked} messages blocked before the send (suppressed addresses: unsubscribed from the welcome mail or complained earlier; ` +
      `an address listed twice); refused at RCPT TO: ${answers.bounced} with 550 5.1.1 (hard bounces), ${answers.deferred} with 452 4.2.2 (retried by the send queue)`,
  );

  // Delivery reports as the relay brings them, for the messages the recipients' servers took.
  const sentAt = clock.now();
  const delivered = new Map<string, number>();
  const reportDelivered = async (email: string, id: number, at: number) => {
    await api.post(`/api/messages/${id}/events`, { type: 'delivered', id: `dlv-${id}`, at });
    delivered.set(email, at);
  };
  await forEachLimited([...messageIds.entries()], CONCURRENCY, async ([email, id]) => {
    if (received.has(email) && DELIVERED_AT_ONCE.has(fates.get(email)!)) await reportDelivered(email, id, sentAt + 2_000 + Math.floor(random() * 20_000));
  });
  const actions = deliveryActions({ sentAt, messageIds, fates, received, delivered, random, clock, inboundPort: inbound.port, queue: services.sendQueue, reportDelivered });

  console.log(`${received.size} messages reached the sink; playing two days of opens and clicks, retries, bounce and complaint mail...`);
  // Those who read it: delivered at once and not bounced later (a retried message reaches its reader after the play starts).
  const readers = [...received.entries()].filter(([email]) => delivered.has(email) && fates.get(email) !== 'unknown-later');
  const played = await playRecipients(
    readers.map(([email, { mail }]) => ({ email, mail, deliveredAt: delivered.get(email)! })),
    clock,
    random,
    actions.timed,
  );
  const report = (await api.get(`/api/campaigns/${campaign.id}/report`)) as CampaignReport;
  console.log(
    `played ${played.hits} hits: ${played.byTruth.human} by people, ${played.byTruth.machine} Apple MPP prefetches, ` +
      `${played.byTruth.bot} by a security gateway's link scanner; ${played.unsubscribes} one-click unsubscribes`,
  );
  const { sent } = actions;
  console.log(
    `bounce mail received over SMTP: ${plural(sent.dsn, 'DSN')}, ${plural(sent.arf, 'complaint report')} (ARF), ${plural(sent['auto-reply'], 'out-of-office reply', 'out-of-office replies')}; ` +
      `the send queue's retries: ${actions.retries()}\n`,
  );
  printReport(report);

  console.log(`\nAPI key (demo): ${key}`);
  const curl = `curl -s -H 'Authorization: Bearer ${key}'`;
  console.log(`  report:       ${curl} ${base}/api/campaigns/${campaign.id}/report`);
  const someMessage = messageIds.values().next().value;
  if (someMessage !== undefined) console.log(`  message:      ${curl} ${base}/api/messages/${someMessage}`);
  console.log(`  suppressions: ${curl} ${base}/api/suppressions`);
  console.log(`  bounce mail:  ${curl} ${base}/api/inbound-reports   (reports kept for review: here the out-of-office reply)`);
  console.log(`  API spec:     ${base}/api/openapi.json`);

  if (!flags['no-serve']) {
    services.sendQueue.start(config.sending.pollMs);
    console.log('\nserving; press Ctrl+C to stop');
    await waitForSignal();
  }
  await actions.close();
  await app.close();
  mailer.close();
  await sink.close();
  return 0;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Api = ReturnType<typeof apiClient>;

/** A short welcome mail to these contacts, from which each unsubscribes in one click: the newsletter is then blocked for them. */
async function welcomeLeavers(api: Api, leavers: readonly DemoContact[]): Promise<void> {
  const welcome = await api.post('/api/campaigns', { name: 'Welcome series', kind: 'transactional' });
  const welcomeExec = await api.post(`/api/campaigns/${welcome.id}/executions`, { subject: 'Welcome to Hillside', html: '<p>Welcome! <a href="https://hillside-coffee.example/start">Start here</a></p>' });
  for (const c of leavers) {
    const m = await api.post('/api/messages', { executionId: welcomeExec.id, to: [c], send: true });
    const response = await fetch(m.headers['List-Unsubscribe'].match(/<(https?:[^>]+)>/)[1], {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    if (response.status !== 200) throw new Error(`one-click unsubscribe answered ${response.status}: ${await response.text()}`);
  }
}

/**
 * One message per contact, sent at once through the API: the messages that were not blocked (by
 * address, lower case), and how many the API answered blocked, bounced or deferred.
 */
async function sendNewsletter(api: Api, executionId: number, sendList: readonly DemoContact[]) {
  const messageIds = new Map<string, number>();
  const answers = { blocked: 0, bounced: 0, deferred: 0 };
  await forEachLimited([...sendList], CONCURRENCY, async (c) => {
    // 502: the relay refused this attempt; the message and the refusal are recorded all the same.
    const m = await api.post('/api/messages', { executionId, to: [c], send: true }, [502]);
    const state: string = m.status.state;
    if (state === 'blocked' || state === 'bounced' || state === 'deferred') answers[state]++;
    if (state !== 'blocked') messageIds.set(c.email.toLowerCase(), m.id);
  });
  return { messageIds, answers };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The API over HTTP; an answer of 400 or more throws, but for the statuses in `expected`. */
function apiClient(base: string, key: string) {
  const call = async (method: string, url: string, body?: unknown, expected: readonly number[] = []): Promise<Json> => {
    const response = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const json = (await response.json()) as Json;
    if (response.status >= 400 && !expected.includes(response.status)) throw new Error(`${method} ${url}: ${response.status} ${json.message ?? ''}`);
    return json;
  };
  return { get: (url: string) => call('GET', url), post: (url: string, body: unknown, expected: readonly number[] = []) => call('POST', url, body, expected) };
}

export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Listens on the port (0: any free one) for a moment and returns the port it got. */
async function freePort(port: number): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return freePort(port).then(
    () => true,
    () => false,
  );
}
