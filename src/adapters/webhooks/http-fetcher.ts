/**
 * The HttpFetcher port over Node's fetch: GET a small document (a signing certificate, a subscription
 * confirmation) with a time limit and a size limit, refusing anything but https.
 */
import type { HttpFetcher } from './provider.js';

/** A certificate is a few kilobytes and a confirmation answer smaller: 1 MB is far beyond either. */
const MAX_BODY_BYTES = 1024 * 1024;
/** SNS answers within a second or two; a webhook request should not hang on it longer than this. */
const TIMEOUT_MS = 10_000;

export const httpsFetcher: HttpFetcher = {
  async get(url: string): Promise<string> {
    if (!url.startsWith('https://')) throw new Error(`refusing to fetch ${url}: only https URLs are fetched`);
    const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    const length = Number(response.headers.get('content-length') ?? 0);
    if (length > MAX_BODY_BYTES) throw new Error(`GET ${url}: ${length} bytes is more than the ${MAX_BODY_BYTES} accepted`);
    const body = await response.text();
    if (Buffer.byteLength(body) > MAX_BODY_BYTES) throw new Error(`GET ${url}: more than the ${MAX_BODY_BYTES} bytes accepted`);
    return body;
  },
};
