/**
 * The WebhookHttpClient port over Node's fetch: one POST to a receiver with a time limit. Redirects
 * are not followed (a 3xx is a failure the log shows): the signed events go to the configured URL or
 * nowhere. The answer's body is not read beyond its status.
 */
import { errorMessage } from '../../core/errors.js';
import type { WebhookHttpClient, WebhookResponse } from '../../app/ports.js';

export const fetchWebhookClient: WebhookHttpClient = {
  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookResponse> {
    if (!/^https?:\/\//i.test(url)) return { error: `refusing to post to ${url}: only http and https URLs are posted to` };
    try {
      const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel().catch(() => {});
      return { status: response.status };
    } catch (error) {
      // fetch names the network cause (ECONNREFUSED...) only in `cause`.
      const cause = (error as { cause?: unknown }).cause;
      const name = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : errorMessage(error);
      return { error: cause ? `${name}: ${errorMessage(cause)}` : name };
    }
  },
};
