/**
 * The demo's world, without its terminal: a server on a fresh SQLite file, a local SMTP sink standing
 * in for the recipients' servers (refusing a few of them), and the built-in bounce receiver; then a
 * recurring newsletter of two issues a week apart, each sent through the real API and a real SMTP
 * exchange and played: recipients' opens and clicks over HTTP, the send queue's retries, the bounce
 * and complaint mail that comes back over SMTP. `mailsight demo` prints it; the browser tests browse it.
 */
import type { ParsedMail } from 'mailparser';
import { loadConfig, type Config } from '../config.js';
import { build, startInboundSmtp, type Mailsight } from '../compose.js';
import { createApiKey } from '../app/keys.js';
import { systemClock } from '../app/ports.js';
import type { CampaignReport } from '../app/reports.js';
import { smtpMailer } from '../adapters/smtp/smtp-mailer.js';
import { startSmtpSink, type ReceivedEnvelope } from '../adapters/smtp/smtp-sink.js';
import { conditionSelected } from '../core/content-conditions.js';
import { mulberry32 } from '../core/seeded-random.js';
import { DEMO_HTML, DEMO_HTML_2, DEMO_SUBJECT, DEMO_SUBJECT_2, DEMO_TEXT, DEMO_TEXT_2, demoContacts, type DemoContact } from './demo-content.js';
import { demoClock, playRecipients, type DemoClock, type DynamicBlocks } from './demo-audience.js';
import { DELIVERED_AT_ONCE, PLAY_MS, deliveryActions, fateOf, smtpRefusal, type Fate } from './demo-delivery.js';
import { printReport } from './report-table.js';

export interface DemoOptions {
  contacts: number;
  /** Where the SQLite file (and the secret key file) go: a fresh directory. */
  dataDir: string;
  /** The port to serve on; 0: any free one. Unset: 8080, or any free one when 8080 is taken. */
  port?: number;
  /** Where the story of the run goes, line by line (the terminal for `mailsight demo`); none by default. */
  log?: (line: string) => void;
  /** The server's log level (LOG_LEVEL's values); by default LOG_LEVEL, or warn. */
  logLevel?: string;
}

export interface DemoIssue {
  executionId: number;
  /** The issue's messages by recipient address (lower case), blocked ones left out. */
  messageIds: ReadonlyMap<string, number>;
  /** The tracked URLs of each of those messages' HTML links, in order, by recipient address. */
  trackedLinks: ReadonlyMap<string, readonly string[]>;
}

export interface DemoRun {
  built: Mailsight;
  config: Readonly<Config>;
  /** The server's own URL, e.g. http://127.0.0.1:8080. */
  base: string;
  /** An API key of scope admin, made for the demo. */
  key: string;
  campaign: { id: number; name: string };
  /** The newsletter's two issues (its executions), in the order they were sent. */
  issues: readonly DemoIssue[];
  /** Starts the send queue's worker on its own timer, for a demo that keeps serving. */
  startWorker(): void;
  close(): Promise<void>;
}

/** Requests in flight at once while playing recipients: enough to be quick, few enough to stay polite. */
const CONCURRENCY = 16;

/** The demo's bounce domain: the VERP return paths' and Message-IDs' domain, taken by the bounce receiver. */
const BOUNCE_DOMAIN = 'bounce.demo.test';

/** Time between the newsletter's two issues (ms): a weekly newsletter. */
export const ISSUE_INTERVAL_MS = 7 * 24 * 60 * 60_000;

export const DEMO_CAMPAIGN_NAME = 'The Hillside Coffee Journal';

/**
 * Runs the demo up to the point where it serves: everything sent and played. The demo clock starts
 * in the past, so that the second issue's play ends about now; from then on it follows the real time
 * (a click made in a browser is recorded when it happens).
 */
export async function runDemo(options: DemoOptions): Promise<DemoRun> {
  const log = options.log ?? (() => {});
  const contacts = demoContacts(options.contacts);
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
      DATA_DIR: options.dataDir,
      DATABASE_URL: '',
      TRUSTED_PROXIES: '127.0.0.1',
      LOG_LEVEL: options.logLevel ?? process.env['LOG_LEVEL'] ?? 'warn',
      BOUNCE_DOMAIN,
      INBOUND_SMTP_HOST: '127.0.0.1',
      INBOUND_SMTP_PORT: '0',
      SEND_RATE_PER_MINUTE: '1000000',
      // The audience's domains are reserved ones (.example): no MX to look up.
      MX_LOOKUP: 'false',
      ...overrides,
    });
  // The public URL names the port, so the port is settled first; port 0 picks a free one.
  let realPort = demoConfig({ PORT: String(options.port ?? 8080) }).port;
  if (realPort === 0) realPort = await freePort(0);
  // Without a port asked for, the default 8080 is only a preference: a machine already serving on it gets another.
  if (options.port === undefined && !(await portIsFree(realPort))) {
    const other = await freePort(0);
    log(`port ${realPort} is in use; the demo serves on ${other} instead (choose one with --port)`);
    realPort = other;
  }
  const config = demoConfig({ PORT: String(realPort), PUBLIC_URL: `http://127.0.0.1:${realPort}` });
  const mailer = smtpMailer(`smtp://127.0.0.1:${sink.port}`);
  // The demo plays two weeks of recipients' behaviour in seconds: the server runs on a clock the
  // player moves forward, so timing evidence (seconds after delivery, bursts) is as it would be.
  const clock = demoClock(Date.now() - ISSUE_INTERVAL_MS - PLAY_MS);
  // The worker's timer is started once the play is over; during the play the demo polls on the demo clock.
  const built = await build({ config: { ...config, sending: { ...config.sending, pollMs: 0 } }, mailer, clock });
  const { app, storage, services } = built;
  const inbound = await startInboundSmtp(built, config);
  const queue = services.sendQueue;
  if (!inbound || !queue) throw new Error('the demo needs its bounce receiver and send queue');
  await app.listen({ port: config.port, host: config.host });
  const base = config.publicUrl;
  const { key } = await createApiKey(storage.keys, systemClock, 'demo');
  const api = apiClient(base, key);

  log(`mailsight demo: database ${config.database.dialect === 'sqlite' ? config.database.file : ''}`);
  log(`server ${base}, SMTP sink 127.0.0.1:${sink.port}, bounce receiver 127.0.0.1:${inbound.port} (${BOUNCE_DOMAIN})`);

  await welcomeLeavers(api, contacts.slice(0, Math.min(3, contacts.length)));
  // Complaints about an earlier campaign, before this one: those addresses are suppressed for good.
  const complainedEarlier = contacts.filter((c) => fates.get(c.email) === 'complained-earlier');
  for (const c of complainedEarlier) await api.post('/api/suppressions', { email: c.email, reason: 'complaint', note: 'reported the spring newsletter as spam' });

  const campaign = await api.post('/api/campaigns', { name: DEMO_CAMPAIGN_NAME, kind: 'recurring' });
  // The list was exported with one contact twice, spelled with a capital: the second message is blocked as a duplicate.
  const twice = contacts[Math.min(5, contacts.length - 1)]!;
  const issueContext: IssueContext = { api, log, clock, fates, received, inboundPort: inbound.port, queue, campaignId: campaign.id };
  const closers: (() => Promise<void>)[] = [];
  const issues: DemoIssue[] = [];
  const first = await playIssue(issueContext, {
    number: 1,
    content: { subject: DEMO_SUBJECT, html: DEMO_HTML, text: DEMO_TEXT },
    sendList: [...contacts, { ...twice, email: twice.email[0]!.toUpperCase() + twice.email.slice(1) }],
    listNote: ' (one listed twice)',
    random: mulberry32(42),
  });
  issues.push(first);
  closers.push(first.close);
  clock.set(first.sentAt + ISSUE_INTERVAL_MS);
  log('');
  const second = await playIssue(issueContext, {
    number: 2,
    content: { subject: DEMO_SUBJECT_2, html: DEMO_HTML_2, text: DEMO_TEXT_2 },
    sendList: contacts,
    listNote: ', a week later: those who unsubscribed, complained or hard-bounced since are blocked now',
    random: mulberry32(43),
  });
  issues.push(second);
  closers.push(second.close);
  clock.follow();

  return {
    built,
    config,
    base,
    key,
    campaign: { id: campaign.id, name: campaign.name },
    issues: issues.map(({ executionId, messageIds, trackedLinks }) => ({ executionId, messageIds, trackedLinks })),
    startWorker: () => queue.start(config.sending.pollMs),
    async close() {
      for (const close of closers) await close();
      await app.close();
      mailer.close();
      await sink.close();
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
type Api = ReturnType<typeof apiClient>;

interface IssueContext {
  api: Api;
  log: (line: string) => void;
  clock: DemoClock;
  fates: ReadonlyMap<string, Fate>;
  received: Map<string, { mail: ParsedMail; envelope: ReceivedEnvelope }>;
  inboundPort: number;
  queue: { runDue(): Promise<number> };
  campaignId: number;
}

interface IssuePlan {
  number: number;
  content: { subject: string; html: string; text: string };
  sendList: readonly DemoContact[];
  /** Said of the send list after its size. */
  listNote: string;
  random: () => number;
}

/**
 * One issue of the newsletter: a new execution of the campaign, sent to the list at the clock's
 * time, delivered, and two days of its recipients and report mail played; then its report printed.
 */
async function playIssue(context: IssueContext, plan: IssuePlan): Promise<DemoIssue & { sentAt: number; close(): Promise<void> }> {
  const { api, log, clock, fates, received, random } = { ...context, random: plan.random };
  const execution = await api.post(`/api/campaigns/${context.campaignId}/executions`, plan.content);
  log(`campaign ${context.campaignId} "${DEMO_CAMPAIGN_NAME}" (recurring), issue ${plan.number}: ${execution.links.length} link occurrences; sending to ${plan.sendList.length} contacts${plan.listNote}...`);

  received.clear(); // from here on the sink holds this issue only
  const { messageIds, answers, blocks, trackedLinks } = await sendNewsletter(api, execution.id, plan.sendList);
  log(
    `${answers.blocked} messages blocked before the send (suppressed addresses: unsubscribed, complained, bounced; ` +
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
  const actions = deliveryActions({ sentAt, messageIds, fates, received, delivered, random, clock, inboundPort: context.inboundPort, queue: context.queue, reportDelivered });

  log(`${received.size} messages reached the sink; playing two days of opens and clicks, retries, bounce and complaint mail...`);
  // Those who read it: delivered at once and not bounced later (a retried message reaches its reader after the play starts).
  const readers = [...received.entries()].filter(([email]) => delivered.has(email) && fates.get(email) !== 'unknown-later');
  const played = await playRecipients(
    readers.map(([email, { mail }]) => ({ email, mail, deliveredAt: delivered.get(email)!, blocks: blocks.get(email) })),
    clock,
    random,
    actions.timed,
  );
  log(
    `played ${played.hits} hits: ${played.byTruth.human} by people, ${played.byTruth.machine} Apple MPP prefetches, ` +
      `${played.byTruth.bot} by a security gateway's link scanner; ${played.unsubscribes} one-click unsubscribes`,
  );
  const { sent } = actions;
  log(
    `bounce mail received over SMTP: ${plural(sent.dsn, 'DSN')}, ${plural(sent.arf, 'complaint report')} (ARF), ${plural(sent['auto-reply'], 'out-of-office reply', 'out-of-office replies')}; ` +
      `the send queue's retries: ${actions.retries()}\n`,
  );
  log(`issue ${plan.number} (execution ${execution.id}):`);
  printReport((await api.get(`/api/executions/${execution.id}/report`)) as CampaignReport, log);
  return { executionId: execution.id, messageIds, trackedLinks, sentAt, close: actions.close };
}

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
 * address, lower case), how many the API answered blocked, bounced or deferred, and per address the
 * tracked links in dynamic blocks that the contact's attributes select and in those they do not, and
 * all its HTML links' tracked URLs.
 */
async function sendNewsletter(api: Api, executionId: number, sendList: readonly DemoContact[]) {
  const messageIds = new Map<string, number>();
  const blocks = new Map<string, DynamicBlocks>();
  const trackedLinks = new Map<string, string[]>();
  const answers = { blocked: 0, bounced: 0, deferred: 0 };
  await forEachLimited([...sendList], CONCURRENCY, async (c) => {
    // 502: the relay refused this attempt; the message and the refusal are recorded all the same.
    const m = await api.post('/api/messages', { executionId, to: [c], send: true }, [502]);
    const state: string = m.status.state;
    if (state === 'blocked' || state === 'bounced' || state === 'deferred') answers[state]++;
    if (state === 'blocked') return;
    const email = c.email.toLowerCase();
    messageIds.set(email, m.id);
    const links: { tracked: string; part: string; condition: string | null }[] = m.links ?? [];
    trackedLinks.set(email, links.filter((l) => l.part === 'html').map((l) => l.tracked));
    const conditional = links.filter((l) => l.condition !== null);
    const selected = (l: { condition: string | null }) => conditionSelected(l.condition!, c.attributes);
    blocks.set(email, { forThem: new Set(conditional.filter(selected).map((l) => l.tracked)), notForThem: new Set(conditional.filter((l) => !selected(l)).map((l) => l.tracked)) });
  });
  return { messageIds, answers, blocks, trackedLinks };
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
