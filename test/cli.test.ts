/** The command line as a user runs it: the compiled CLI in a child process. */
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';

const run = promisify(execFile);
const CLI = path.resolve('dist/src/cli.js');

function cli(args: string[], env: Record<string, string> = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  return run(process.execPath, [CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
}

describe('mailsight instrument --json', () => {
  it('prints the instrumented html, the pixel and every link with raw and tracked values', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-cli-'));
    try {
      const html = '<html>\r\n<BODY>\r\n<A HREF="https://a.example/?x=1&amp;y=2">One</A>\r\n<a href=\'https://b.example/\' data-notrack>Two</a>\r\n</BODY>\r\n</html>\r\n';
      writeFileSync(path.join(dir, 'm.html'), html);
      writeFileSync(path.join(dir, 'm.txt'), 'See https://c.example/page.\n');
      const { stdout } = await cli(['instrument', path.join(dir, 'm.html'), '--text', path.join(dir, 'm.txt'), '--json']);
      const out = JSON.parse(stdout);
      expect(out.links).toEqual([
        { ordinal: 1, url: 'https://a.example/?x=1&y=2', raw: 'https://a.example/?x=1&amp;y=2', tracked: expect.stringMatching(/^https:\/\/track\.example\.com\/c\//), text: 'One', part: 'html', condition: null },
        { ordinal: 2, url: 'https://c.example/page', raw: 'https://c.example/page', tracked: expect.stringMatching(/\/c\//), text: expect.any(String), part: 'text', condition: null },
      ]);
      // Byte identity outside the edits: put the raw value back, drop the pixel, and remove nothing else.
      const restored = out.html.replace(out.links[0].tracked, out.links[0].raw).replace(out.pixel, '');
      expect(restored).toBe(html.replace(' data-notrack', ''));
      expect(out.text).toBe(`See ${out.links[1].tracked}.\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a clear message for a missing file', async () => {
    await expect(cli(['instrument', '/nonexistent/x.html', '--json'])).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/ENOENT|no such file/) });
  });
});

describe('mailsight keys, migrate and config errors', () => {
  it('creates an API key in the data directory and refuses a bad setting by name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-cli-'));
    try {
      const { stdout } = await cli(['keys', 'create', '--name', 'ci'], { DATA_DIR: dir });
      expect(stdout.trim()).toMatch(/^msk_[0-9a-f]{12}_[A-Za-z0-9_-]{32}$/);
      expect(existsSync(path.join(dir, 'mailsight.sqlite'))).toBe(true);
      expect((await cli(['migrate'], { DATA_DIR: dir })).stdout).toMatch(/schema up to date \(sqlite\)/);
      await expect(cli(['serve'], { DATA_DIR: dir, PORT: 'eighty' })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/invalid configuration: PORT/) });
      await expect(cli(['frobnicate'])).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown command 'frobnicate'/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mailsight suppressions', () => {
  it('adds and lists through the compiled CLI, and refuses a bad address by name', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-cli-'));
    try {
      const added = await cli(['suppressions', 'add', 'Blocked@Corp.example', '--note', 'asked'], { DATA_DIR: dir });
      expect(added.stdout).toMatch(/^blocked@corp\.example suppressed \(manual, permanent\): added by cli:\S+\n$/);
      expect((await cli(['suppressions', 'list'], { DATA_DIR: dir })).stdout).toMatch(/^blocked@corp\.example\tmanual\tpermanent\tactive\tcli:\S+\tasked\n$/);
      await expect(cli(['suppressions', 'add', 'nope'], { DATA_DIR: dir })).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/^mailsight: email: not an email address: "nope"/) });
      await expect(cli(['suppressions', 'frobnicate'], { DATA_DIR: dir })).rejects.toMatchObject({ code: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mailsight demo', () => {
  it('sends a newsletter through SMTP, plays recipients and the report mail that comes back, and prints real counts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-demo-test-'));
    try {
      // 120 contacts: past the 100 sent under which no deliverability warning is given.
      const { stdout } = await cli(['demo', '--port', '0', '--contacts', '120', '--no-serve', '--data-dir', dir]);
      const count = (label: string) => Number(new RegExp(`^\\s+${label.replace(/[()]/g, '\\$&')}\\s+(\\d+)`, 'm').exec(stdout)?.[1]);
      // The contacts' fates (src/cli/demo-delivery.ts) make these figures exact: 120 contacts, one listed twice.
      expect(count('messages')).toBe(121);
      // 3 unsubscribed from the welcome mail, 2 complained about an earlier campaign, 1 duplicate.
      expect(count('blocked (suppressed)')).toBe(6);
      expect(stdout).toMatch(/blocked by reason: unsubscribe 3, complaint 2, duplicate 1$/m);
      expect(stdout).toMatch(/refused at RCPT TO: 2 with 550 5\.1\.1 \(hard bounces\), 2 with 452 4\.2\.2/);
      // The mailbox that stays full is still retried by the send queue: with the relay, not sent.
      expect(count('sending')).toBe(1);
      expect(count('sent')).toBe(114);
      // 2 refused at SMTP time, 1 bounced by the recipient's server after its delivery report (a DSN).
      expect(count('bounced (hard)')).toBe(3);
      // DSNs from the relay: a disabled mailbox and a refusal as spam.
      expect(count('bounced (soft)')).toBe(2);
      expect(stdout).toMatch(/bounces by reason: userunknown 3, spamdetected 1, suspend 1$/m);
      expect(count('deferred')).toBe(1);
      // Everything sent and not bounced or deferred, the retried full mailbox included.
      expect(count('delivered')).toBe(108);
      expect(count('complained')).toBe(1);
      expect(stdout).toMatch(/bounce mail received over SMTP: 4 DSNs, 1 complaint report \(ARF\), 1 out-of-office reply; the send queue's retries: 10$/m);
      expect(stdout).toMatch(/^\s+CRITICAL: complaint rate 0\.877% of sent/m);
      expect(stdout).not.toMatch(/bounce rate .* is above/);
      expect(stdout).toMatch(/111 messages reached the sink/);
      expect(count('opens, unique')).toBeGreaterThan(10);
      expect(count('clicks, unique')).toBeGreaterThan(2);
      expect(count('opens, total')).toBeGreaterThanOrEqual(count('opens, unique') - count('clicks, unique'));
      expect(stdout).toMatch(/clicks per link occurrence/);
      expect(stdout).toMatch(/API key \(demo\): msk_/);
      expect(stdout).toMatch(/suppressions: curl .*\/api\/suppressions$/m);
      expect(stdout).toMatch(/bounce mail: +curl .*\/api\/inbound-reports /m);
      expect(readFileSync(path.join(dir, 'mailsight.sqlite')).length).toBeGreaterThan(0);

      // The counters the demo's report read are the events' own: the recount finds nothing, until one is spoiled.
      expect((await cli(['recount', '--check'], { DATA_DIR: dir })).stdout).toMatch(/^recounted 2\d\d messages of 3 executions .*\nno differences: the counters were right\n$/);
      const db = new SQLite(path.join(dir, 'mailsight.sqlite'));
      db.prepare("update report_counters set value = value + 5 where name = 'status:delivered'").run();
      db.close();
      await expect(cli(['recount', '--check'], { DATA_DIR: dir })).rejects.toMatchObject({ code: 1, stdout: expect.stringMatching(/execution \d+ status:delivered: stored \d+, counted \d+\n.*2 counters and 0 messages' facts differ/s) });
      expect((await cli(['recount'], { DATA_DIR: dir })).stdout).toMatch(/fixed 2 counters and 0 messages' facts\n$/);
      expect((await cli(['recount', '--check'], { DATA_DIR: dir })).stdout).toMatch(/no differences/);
      await expect(cli(['recount', '--campaign', 'x'], { DATA_DIR: dir })).rejects.toMatchObject({ code: 2, stderr: expect.stringMatching(/--campaign must be a campaign id/) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
