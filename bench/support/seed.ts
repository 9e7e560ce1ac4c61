/**
 * Seeds a running server through its public API, as a client application would: one campaign, one
 * execution with two links, and many messages, each with its own open and click tokens.
 */
import { TRACKING_PATHS } from '../../src/app/tracking-urls.js';

/** Two links, so every message has two click tokens besides its open pixel. */
const HTML = '<html><body><p>Hello</p><a href="https://shop.example/a">A</a> <a href="https://shop.example/b">B</a></body></html>';
/** Messages created at once: enough to overlap the server's commits, few enough not to queue. */
const SEED_CONCURRENCY = 8;
/** Readers' addresses come from 198.18.0.0/15, set aside for benchmarks (RFC 2544): 2^17 of them. */
const MAX_READERS = 2 ** 17;

export interface SeededMessage {
  id: number;
  /** Path of the open pixel URL (the URL itself names the public host, not the server's address). */
  pixelPath: string;
  /** Paths of the tracked link URLs, in document order. */
  clickPaths: string[];
}

export async function seedMessages(baseUrl: string, apiKey: string, count: number): Promise<SeededMessage[]> {
  const api = apiClient(baseUrl, apiKey);
  const campaign = await api('/api/campaigns', { name: 'load test' });
  const execution = await api(`/api/campaigns/${campaign.id}/executions`, { subject: 'Load test', html: HTML });
  const messages: SeededMessage[] = new Array(count);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      // With consent, each hit keeps its user agent and address, as the crash test's markers need.
      const to = [{ email: `reader${i}@inbox.example`, consent: true }];
      const created = await api('/api/messages', { executionId: execution.id, to });
      messages[i] = {
        id: created.id,
        pixelPath: pixelPathOf(created.html),
        clickPaths: created.links.map((l: { tracked: string }) => new URL(l.tracked).pathname),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, count) }, worker));
  return messages;
}

/** The address the reader of the `index`-th seeded message hits from, for X-Forwarded-For. */
export function readerIp(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_READERS) throw new Error(`reader index must be from 0 to ${MAX_READERS - 1}, got ${index}`);
  return `198.${18 + (index >> 16)}.${(index >> 8) & 0xff}.${index & 0xff}`;
}

function pixelPathOf(html: string): string {
  const src = /<img src="([^"]+)"/.exec(html)?.[1];
  const path = src ? new URL(src).pathname : '';
  if (!path.startsWith(TRACKING_PATHS.open)) throw new Error(`no open pixel in the message HTML: ${html}`);
  return path;
}

function apiClient(baseUrl: string, apiKey: string) {
  return async (path: string, body: unknown): Promise<any> => {
    const response = await fetch(baseUrl + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  };
}
