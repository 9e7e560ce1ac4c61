/**
 * `mailsight demo`: the whole loop on a fresh SQLite file (demo-run.ts), told in the terminal. A
 * recurring newsletter goes out in two issues a week apart through the real API and a real SMTP
 * exchange into a local sink, which refuses a few recipients as their servers would; recipients then
 * open and click the links they received, over HTTP, as their mail clients would, while bounce and
 * complaint mail comes back over SMTP to the built-in bounce receiver; each issue's report is
 * printed, then the dashboard's URL and a sign-in, and the server keeps serving.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Mailsight } from '../compose.js';
import { waitForSignal } from './serve.js';
import { runDemo } from './demo-run.js';

interface DemoFlags {
  port?: string;
  contacts?: string;
  'data-dir'?: string;
  'no-serve'?: boolean;
}

export async function demoCommand(flags: DemoFlags): Promise<number> {
  const contactCount = Number(flags.contacts ?? 300);
  if (!Number.isInteger(contactCount) || contactCount < 1 || contactCount > 100_000) throw new Error('--contacts must be a whole number from 1 to 100000');
  const port = flags.port === undefined ? undefined : Number(flags.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65_535)) throw new Error('--port must be a port number from 0 to 65535');
  const dataDir = flags['data-dir'] ?? (await mkdtemp(path.join(os.tmpdir(), 'mailsight-demo-')));

  const demo = await runDemo({ contacts: contactCount, dataDir, ...(port === undefined ? {} : { port }), log: (line) => console.log(line) });
  const { base, key, campaign, issues } = demo;

  console.log(`\nAPI key (demo): ${key}`);
  const curl = `curl -s -H 'Authorization: Bearer ${key}'`;
  console.log(`  report:       ${curl} ${base}/api/campaigns/${campaign.id}/report   (both issues; one issue: /api/executions/ID/report)`);
  const someMessage = issues[0]?.messageIds.values().next().value;
  if (someMessage !== undefined) console.log(`  message:      ${curl} ${base}/api/messages/${someMessage}`);
  console.log(`  suppressions: ${curl} ${base}/api/suppressions`);
  console.log(`  bounce mail:  ${curl} ${base}/api/inbound-reports   (reports kept for review: here the out-of-office replies)`);
  console.log(`  API spec:     ${base}/api/openapi.json`);

  const signIn = await createDemoUser(demo.built);
  console.log(`\ndashboard: ${base}/campaigns/${campaign.id}`);
  console.log(`sign in:   ${signIn.email}  password: ${signIn.password}`);

  if (!flags['no-serve']) {
    demo.startWorker();
    console.log('\nserving; press Ctrl+C to stop');
    await waitForSignal();
  }
  await demo.close();
  return 0;
}

/** The dashboard's sign-in the demo prints: an admin of its own, with a fresh password each run (the demo's database is new each run too). */
async function createDemoUser(built: Mailsight): Promise<{ email: string; password: string }> {
  const email = 'admin@hillside-coffee.example';
  const password = randomBytes(12).toString('base64url');
  await built.services.users.createUser({ email, name: 'Demo admin', role: 'admin', password });
  return { email, password };
}
