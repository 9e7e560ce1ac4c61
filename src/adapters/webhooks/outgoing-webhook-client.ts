/**
 * The WebhookHttpClient port over Node's fetch: one POST to a receiver with a time limit. Redirects
 * are not followed (a 3xx is a failure the log shows): the signed events go to the configured URL or
 * nowhere. The answer's body is not read beyond its status.
 *
 * A failure is told in general terms, never with the address, port or error text of the network
 * layer: the delivery log is shown to admins, and an endpoint URL pointed at internal hosts would
 * otherwise tell which of their ports answer (a port scanner through the log).
 */
import type { WebhookHttpClient, WebhookResponse } from '../../app/ports.js';

/** Network error codes (the `cause.code` fetch gives) and what the log says of them. */
const NETWORK_FAILURES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  UND_ERR_SOCKET: 'connection lost',
  CERT_HAS_EXPIRED: 'TLS certificate not accepted',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not accepted',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not accepted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not accepted',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate not accepted',
};

/** What the log says of a failed fetch: a general reason, no address. */
export function failureReason(error: unknown, timeoutMs: number): string {
  if ((error as Error | null)?.name === 'TimeoutError') return `timed out: no answer within ${timeoutMs} ms`;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return (typeof code === 'string' && NETWORK_FAILURES[code]) || 'the request failed';
}

export const fetchWebhookClient: WebhookHttpClient = {
  async post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookResponse> {
    if (!/^https?:\/\//i.test(url)) return { error: 'refusing to post: only http and https URLs are posted to' };
    try {
      const response = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel().catch(() => {});
      return { status: response.status };
    } catch (error) {
      return { error: failureReason(error, timeoutMs) };
    }
  },
};
