/**
 * `npm run bench:instrument`: what the largest content an execution accepts costs the real server.
 * A server process (SQLite, as `mailsight serve` runs) gets, through its API, executions whose HTML
 * and text parts are each at the size limit with the most links allowed, a few messages of each,
 * then the refusals just past the size and link limits (a body over the API limit is refused from
 * its Content-Length before it is read: test/execution-limits.test.ts). Between steps it prints the
 * server's resident memory (VmRSS) and its peak so far (VmHWM), read from /proc (Linux), and how
 * long each request took.
 *
 * More executions than the server keeps large plans for (4) are created, so the figures show
 * whether memory stays bounded as executions come and go, not only for one.
 *
 * Options:
 *   --executions N  largest executions created (default 10)
 *   --messages N    messages created per execution (default 5)
 *   --max-old-space MB  run the server with this V8 heap limit (node's --max-old-space-size): a
 *                   run that completes shows what the server keeps alive fits in it, whatever
 *                   its resident memory grows to while garbage waits for collection
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { MAX_LINKS_PER_EXECUTION, MAX_PART_LENGTH } from '../src/core/instrument/index.js';
import { largestAcceptedHtml } from '../src/core/instrument/test-support.js';
import { createApiKeyWithCli, killAllServers, mailsightEnv, startServer } from './support/server-process.js';

const { values: flags } = parseArgs({
  options: {
    executions: { type: 'string', default: '10' },
    messages: { type: 'string', default: '5' },
    'max-old-space': { type: 'string' },
  },
});
const executions = positiveInteger('--executions', flags.executions);
const messagesPerExecution = positiveInteger('--messages', flags.messages);
const maxOldSpace = flags['max-old-space'] === undefined ? null : positiveInteger('--max-old-space', flags['max-old-space']);

const MB = 1024 * 1024;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'mailsight-bench-instrument-'));
const root = fileURLToPath(new URL('../../', import.meta.url));
const block = readFileSync(path.join(root, 'test/fixtures/html/newsletter-block.html'), 'utf8');

interface Memory {
  rss: number;
  peak: number;
}

/** The server's resident memory now and at its peak, in bytes, from /proc/<pid>/status. */
function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kilobytes = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: kilobytes('VmRSS'), peak: kilobytes('VmHWM') };
}

/** A text part at the size limit: plain lines, no links. */
function largestText(): string {
  const line = 'A long plain-text part, line after line, with nothing to track in it.\n';
  return line.repeat(Math.ceil(MAX_PART_LENGTH / line.length)).slice(0, MAX_PART_LENGTH);
}

async function benchmark(): Promise<void> {
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const apiKey = await createApiKeyWithCli(cli, dataDir);
  const server = await startServer({ args: [cli, 'serve'], env: mailsightEnv(dataDir), nodeArgs: maxOldSpace === null ? [] : [`--max-old-space-size=${maxOldSpace}`] });
  const post = async (url: string, body: string): Promise<{ status: number; bytes: number; ms: number; json: any }> => {
    const started = performance.now();
    const response = await fetch(server.url + url, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body });
    const text = await response.text();
    return { status: response.status, bytes: Buffer.byteLength(text), ms: performance.now() - started, json: JSON.parse(text) };
  };
  const expectStatus = (what: string, status: number, expected: number, json: unknown) => {
    if (status !== expected) throw new Error(`${what} answered ${status}, not ${expected}: ${JSON.stringify(json).slice(0, 300)}`);
  };

  try {
    const campaign = await post('/api/campaigns', JSON.stringify({ name: 'largest', tracking: { honeypot: true } }));
    expectStatus('campaign', campaign.status, 201, campaign.json);
    const baseline = memoryOf(server.pid);
    const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
    const line = (label: string) => {
      const now = memoryOf(server.pid);
      console.log(`${label.padEnd(44)} rss ${mb(now.rss).padStart(9)} (+${mb(now.rss - baseline.rss)})  peak ${mb(now.peak).padStart(9)} (+${mb(now.peak - baseline.peak)})`);
    };
    const text = largestText();
    console.log(
      `largest input: html ${MAX_PART_LENGTH} characters with ${MAX_LINKS_PER_EXECUTION} links, text ${MAX_PART_LENGTH} characters; ` +
        `${executions} executions, ${messagesPerExecution} messages each; server heap limit ${maxOldSpace === null ? "node's default" : `${maxOldSpace} MB`}`,
    );
    line('server started, one campaign');

    for (let e = 1; e <= executions; e++) {
      // Each execution its own content, as different newsletters are.
      const html = largestAcceptedHtml(block.replace('Harbour towns', `Issue ${e}: harbour towns`), MAX_PART_LENGTH, MAX_LINKS_PER_EXECUTION);
      const body = JSON.stringify({ subject: `largest ${e}`, html, text });
      const execution = await post(`/api/campaigns/${campaign.json.id}/executions`, body);
      expectStatus('execution', execution.status, 201, execution.json);
      const times: number[] = [];
      let answer = 0;
      for (let m = 0; m < messagesPerExecution; m++) {
        const message = await post('/api/messages', JSON.stringify({ executionId: execution.json.id, to: [`reader${e}-${m}@inbox.example`] }));
        expectStatus('message', message.status, 201, message.json);
        times.push(message.ms);
        answer = message.bytes;
      }
      times.sort((a, b) => a - b);
      console.log(
        `execution ${e}: request ${mb(body.length)}, ${execution.ms.toFixed(0)} ms, answer ${mb(execution.bytes)}; ` +
          `messages: first ${times[0]!.toFixed(0)} ms, median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms, answer ${mb(answer)}`,
      );
      line(`after execution ${e} and its messages`);
    }

    const refusals: [string, string, number][] = [
      ['html one character over', JSON.stringify({ subject: 'x', html: 'y'.repeat(MAX_PART_LENGTH + 1) }), 413],
      ['one link over', JSON.stringify({ subject: 'x', html: '<a href="https://l.example/">l</a>'.repeat(MAX_LINKS_PER_EXECUTION + 1) }), 400],
    ];
    for (const [label, body, status] of refusals) {
      const refused = await post(`/api/campaigns/${campaign.json.id}/executions`, body);
      expectStatus(label, refused.status, status, refused.json);
      console.log(`${label}: ${refused.status} in ${refused.ms.toFixed(0)} ms (${refused.json.error})`);
    }
    line('after the refusals');
  } finally {
    await server.stop();
  }
}

function positiveInteger(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return n;
}

try {
  await benchmark();
} finally {
  killAllServers();
  rmSync(dataDir, { recursive: true, force: true });
}
