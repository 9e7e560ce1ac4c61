/**
 * POST /webhooks/<provider>: the providers' event webhooks. The route reads the body as bytes (the
 * signatures are over them), asks the provider's file to authenticate the request before anything
 * parses it, has it parse the payload, and hands the outcomes to the ingestion, which records the
 * whole batch or nothing. A forged or unauthenticated request gets 401 and writes nothing; a
 * malformed one 400 naming the problem; a provider that is not configured 404.
 */
import type { FastifyInstance } from 'fastify';
import { MailsightError } from '../../core/errors.js';
import type { IngestionService } from '../../app/ingestion.js';
import { WebhookAuthError, WebhookPayloadError, type HttpFetcher, type ProviderName, type WebhookProvider, type WebhookRequest } from '../webhooks/provider.js';
import { ClientAddress } from './client-address.js';
import type { Clock } from '../../app/ports.js';

/** Largest webhook body accepted: SendGrid posts up to a few thousand events, about 1 MB; 8 MB leaves room. */
export const WEBHOOK_BODY_LIMIT = 8 * 1024 * 1024;

export interface WebhookDeps {
  providers: ReadonlyMap<ProviderName, WebhookProvider>;
  ingestion: IngestionService;
  fetcher: HttpFetcher;
  trustedProxies: readonly string[];
  clock: Clock;
}

export async function webhookRoutes(app: FastifyInstance, deps: WebhookDeps): Promise<void> {
  const clientAddress = new ClientAddress(deps.trustedProxies);
  // Providers post JSON, text (SNS) or forms: every body is kept as the bytes that were signed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT }, (_request, body, done) => done(null, body));

  app.post<{ Params: { provider: string } }>('/webhooks/:provider', async (request, reply) => {
    const name = request.params.provider;
    const provider = deps.providers.get(name as ProviderName);
    if (!provider) throw new MailsightError('NOT_FOUND', `no webhook is configured for provider ${JSON.stringify(name)} (configured: ${[...deps.providers.keys()].join(', ') || 'none'})`);
    const query: Record<string, string> = {};
    for (const [key, value] of Object.entries(request.query as Record<string, unknown>)) if (typeof value === 'string') query[key] = value;
    const webhook: WebhookRequest = {
      rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0),
      headers: request.headers,
      query,
      clientAddress: clientAddress.of(request.socket.remoteAddress, request.headers['x-forwarded-for']),
      now: deps.clock.now(),
    };
    try {
      await provider.authenticate(webhook);
    } catch (error) {
      if (error instanceof WebhookAuthError) throw new MailsightError('UNAUTHORIZED', `${name} webhook: ${error.message}`);
      throw error;
    }
    let parsed;
    try {
      parsed = provider.parse(webhook);
    } catch (error) {
      if (error instanceof WebhookPayloadError) throw new MailsightError('VALIDATION', `${name} webhook: ${error.message}`);
      throw error;
    }
    if (parsed.confirmSubscriptionUrl) {
      await deps.fetcher.get(parsed.confirmSubscriptionUrl);
      request.log.info({ provider: name }, 'webhook subscription confirmed');
    }
    const result = await deps.ingestion.ingest(parsed.outcomes, { origin: `webhook:${name}` });
    return reply.status(200).send(result);
  });
}
