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

interface DemoFlags {
  port?: string;
  contacts?: string;
  'data-dir'?: string;
  'no-serve'?: boolean;
}

/** Requests in flight at once while playing recipients: enough to be quick, few enough to stay polite. */
const CONCURRENCY = 16;

const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0',
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17830; Pro)',
];

export async function demoCommand(flags: DemoFlags): Promise<number> {
  const contactCount = Number(flags.contacts ?? 300);
  if (!Number.isInteger(contactCount) || contactCount < 1 || contactCount > 100_000) throw new Error('--contacts must be a whole number from 1 to 100000');
  const dataDir = flags['data-dir'] ?? (await mkdtemp(path.join(os.tmpdir(), 'mailsight-demo-')));
  const port = flags.port ?? '8080';

  const received = new Map<string, ParsedMail>();
  const sink = await startSmtpSink((mail, rcpt) => {
    for (const address of rcpt) received.set(address.toLowerCase(), mail);
  });
  // Port 0 picks a free port: the public URL is known only after listening, so build after a probe.
  const config0 = loadConfig(process.env, { PORT: port, HOST: '127.0.0.1', DATA_DIR: dataDir, DATABASE_URL: '', TRUSTED_PROXIES: '127.0.0.1', LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn' });
  const realPort = config0.port === 0 ? await freePort() : config0.port;
  const config = loadConfig(process.env, {
    PORT: String(realPort),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    PUBLIC_URL: `http://127.0.0.1:${realPort}`,
    TRUSTED_PROXIES: '127.0.0.1',
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  });
  const mailer = smtpMailer(`smtp://127.0.0.1:${sink.port}`);
  const { app, storage } = await build({ config, mailer });
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
  await forEachLimited([...messageIds.entries()], CONCURRENCY, async ([email, id], i) => {
    if (!received.has(email)) return;
    const roll = random();
    if (roll < 0.02) await api.post(`/api/messages/${id}/events`, { type: 'bounced', bounceType: 'hard', code: 550, status: '5.1.1', text: 'user unknown', id: `dsn-${i}` });
    else if (roll < 0.03) await api.post(`/api/messages/${id}/events`, { type: 'deferred', code: 451, status: '4.2.2', text: 'mailbox full, retrying', id: `d-${i}` });
    else await api.post(`/api/messages/${id}/events`, { type: 'delivered', id: `dlv-${i}` });
  });

  console.log(`${received.size} messages reached the sink; playing recipients' opens and clicks...`);
  const played = await playRecipients([...received.entries()].filter(([email]) => messageIds.has(email)), random);
  const report = (await api.get(`/api/campaigns/${campaign.id}/report`)) as CampaignReport;
  console.log(`played ${played.opens} pixel fetches, ${played.clicks} link clicks, ${played.unsubscribes} one-click unsubscribes\n`);
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

async function playRecipients(mails: [string, ParsedMail][], random: () => number) {
  const counts = { opens: 0, clicks: 0, unsubscribes: 0 };
  await forEachLimited(mails, CONCURRENCY, async ([, mail]) => {
    const html = typeof mail.html === 'string' ? mail.html : '';
    const pixel = /<img src="([^"]+\/o\/[^"]+)"/.exec(html)?.[1];
    const links = [...html.matchAll(/href="([^"]+\/c\/[^"]+)"/g)].map((m) => m[1]!);
    const unique = [...new Set(links)];
    const ip = `198.51.100.${1 + Math.floor(random() * 250)}`;
    const headers = { 'user-agent': USER_AGENTS[Math.floor(random() * USER_AGENTS.length)]!, 'x-forwarded-for': ip };
    const roll = random();
    // About 45% open (some several times), 3% click with images off (an inferred open), 1% unsubscribe.
    const opens = roll < 0.45 ? 1 + Math.floor(random() * 3) : 0;
    for (let i = 0; i < opens && pixel; i++) {
      await fetch(pixel, { headers });
      counts.opens++;
    }
    const clicks = (opens > 0 && random() < 0.3) || roll > 0.97 ? 1 + Math.floor(random() * 2) : 0;
    for (let i = 0; i < clicks && unique.length > 0; i++) {
      // Readers favour what comes first: the logo and the lead article get most clicks.
      const link = unique[Math.min(unique.length - 1, Math.floor(unique.length * random() * random()))]!;
      await fetch(link, { headers, redirect: 'manual' });
      counts.clicks++;
    }
    if (opens > 0 && random() < 0.02) {
      const header = mail.headerLines.find((h) => h.key === 'list-unsubscribe')?.line ?? '';
      const unsubscribe = /<(https?:[^>]+)>/.exec(header)?.[1];
      if (unsubscribe) {
        await fetch(unsubscribe, { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
        counts.unsubscribes++;
      }
    }
  });
  return counts;
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

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** A small seeded PRNG, so every demo run plays the same recipients. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
