/**
 * `mailsight demo`: the whole loop on a fresh SQLite file. A newsletter goes through the real API and
 * a real SMTP exchange into a local sink; recipients then open and click the links they received,
 * over HTTP, as their mail clients would; the campaign report is printed and the server keeps serving.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ParsedMail } from 'mailparser';
import { loadConfig } from '../config.js';
import { build } from '../compose.js';
import { createApiKey } from '../app/keys.js';
import { systemClock } from '../app/ports.js';
import type { CampaignReport } from '../app/reports.js';
import { smtpMailer } from '../adapters/smtp/smtp-mailer.js';
import { startSmtpSink } from '../adapters/smtp/smtp-sink.js';
import { waitForSignal } from './serve.js';
import { DEMO_HTML, DEMO_SUBJECT, DEMO_TEXT, demoContacts } from './demo-content.js';
import { printReport } from './report-table.js';
import { mulberry32 } from '../core/seeded-random.js';
import { demoClock, playRecipients } from './demo-audience.js';

interface DemoFlags {
  port?: string;
  contacts?: string;
  'data-dir'?: string;
  'no-serve'?: boolean;
}

/** Requests in flight at once while playing recipients: enough to be quick, few enough to stay polite. */
const CONCURRENCY = 16;


export async function demoCommand(flags: DemoFlags): Promise<number> {
  const contactCount = Number(flags.contacts ?? 300);
  if (!Number.isInteger(contactCount) || contactCount < 1 || contactCount > 100_000) throw new Error('--contacts must be a whole number from 1 to 100000');
  const dataDir = flags['data-dir'] ?? (await mkdtemp(path.join(os.tmpdir(), 'mailsight-demo-')));
  const port = flags.port ?? '8080';

  const received = new Map<string, ParsedMail>();
  const sink = await startSmtpSink((mail, rcpt) => {
    for (const address of rcpt) received.set(address.toLowerCase(), mail);
  });
  // The demo's own server: local, on a fresh SQLite file, believing X-Forwarded-For from the player.
  const demoConfig = (overrides: Record<string, string>) =>
    loadConfig(process.env, { HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '', TRUSTED_PROXIES: '127.0.0.1', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn', ...overrides });
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
  const { app, storage } = await build({ config, mailer, clock });
  await app.listen({ port: config.port, host: config.host });
  const base = config.publicUrl;
  const { key } = await createApiKey(storage.keys, systemClock, 'demo');
  const api = apiClient(base, key);

  console.log(`mailsight demo: database ${config.database.dialect === 'sqlite' ? config.database.file : ''}`);
  console.log(`server ${base}, SMTP sink 127.0.0.1:${sink.port}`);

  // A short welcome mail first: three people unsubscribe from it, so the newsletter is blocked for them.
  const welcome = await api.post('/api/campaigns', { name: 'Welcome series', kind: 'transactional' });
  const welcomeExec = await api.post(`/api/campaigns/${welcome.id}/executions`, { subject: 'Welcome to Hillside', html: '<p>Welcome! <a href="https://hillside-coffee.example/start">Start here</a></p>' });
  const contacts = demoContacts(contactCount);
  const leavers = contacts.slice(0, Math.min(3, contacts.length));
  for (const c of leavers) {
    const m = await api.post('/api/messages', { executionId: welcomeExec.id, to: [c], send: true });
    const response = await fetch(m.headers['List-Unsubscribe'].match(/<(https?:[^>]+)>/)[1], {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    if (response.status !== 200) throw new Error(`one-click unsubscribe answered ${response.status}: ${await response.text()}`);
  }

  const campaign = await api.post('/api/campaigns', { name: 'Autumn newsletter', kind: 'one-off' });
  const execution = await api.post(`/api/campaigns/${campaign.id}/executions`, { subject: DEMO_SUBJECT, html: DEMO_HTML, text: DEMO_TEXT });
  console.log(`campaign ${campaign.id} "${campaign.name}": ${execution.links.length} link occurrences; sending to ${contacts.length} contacts...`);

  const random = mulberry32(42);
  const messageIds = new Map<string, number>();
  received.clear(); // from here on the sink holds the newsletter only
  let blocked = 0;
  await forEachLimited(contacts, CONCURRENCY, async (c) => {
    const m = await api.post('/api/messages', { executionId: execution.id, to: [c], send: true });
    if (m.status.state === 'blocked') blocked++;
    else messageIds.set(c.email, m.id);
  });
  if (blocked > 0) console.log(`${blocked} contacts were not sent to: they unsubscribed from the welcome mail (suppressed)`);
  // Delivery outcomes as a relay's reports would bring them: most delivered, a few bounced or deferred.
  const sentAt = clock.now();
  const delivered = new Map<string, number>();
  await forEachLimited([...messageIds.entries()], CONCURRENCY, async ([email, id], i) => {
    if (!received.has(email)) return;
    const roll = random();
    const at = sentAt + 2_000 + Math.floor(random() * 20_000);
    if (roll < 0.02) await api.post(`/api/messages/${id}/events`, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', text: 'user unknown', id: `dsn-${i}`, at });
    else if (roll < 0.03) await api.post(`/api/messages/${id}/events`, { type: 'deferred', code: 451, status: '4.2.2', text: 'mailbox full, retrying', id: `d-${i}`, at });
    else {
      await api.post(`/api/messages/${id}/events`, { type: 'delivered', id: `dlv-${i}`, at });
      delivered.set(email, at);
    }
  });

  console.log(`${received.size} messages reached the sink; playing two days of opens and clicks...`);
  const played = await playRecipients(
    [...received.entries()].filter(([email]) => delivered.has(email)).map(([email, mail]) => ({ email, mail, deliveredAt: delivered.get(email)! })),
    clock,
    random,
  );
  const report = (await api.get(`/api/campaigns/${campaign.id}/report`)) as CampaignReport;
  console.log(
    `played ${played.hits} hits: ${played.byTruth.human} by people, ${played.byTruth.machine} Apple MPP prefetches, ` +
      `${played.byTruth.bot} by a security gateway's link scanner; ${played.unsubscribes} one-click unsubscribes\n`,
  );
  printReport(report);

  console.log(`\nAPI key (demo): ${key}`);
  console.log(`  report:   curl -s -H 'Authorization: Bearer ${key}' ${base}/api/campaigns/${campaign.id}/report`);
  console.log(`  message:  curl -s -H 'Authorization: Bearer ${key}' ${base}/api/messages/${messageIds.values().next().value}`);
  console.log(`  API spec: ${base}/api/openapi.json`);

  if (!flags['no-serve']) {
    console.log('\nserving; press Ctrl+C to stop');
    await waitForSignal();
  }
  await app.close();
  mailer.close();
  await sink.close();
  return 0;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function apiClient(base: string, key: string) {
  const call = async (method: string, url: string, body?: unknown): Promise<Json> => {
    const response = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const json = (await response.json()) as Json;
    if (response.status >= 400) throw new Error(`${method} ${url}: ${response.status} ${json.message ?? ''}`);
    return json;
  };
  return { get: (url: string) => call('GET', url), post: (url: string, body: unknown) => call('POST', url, body) };
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
