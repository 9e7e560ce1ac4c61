/**
 * Public tracking endpoints: the open pixel, the click redirect and the unsubscribe flow. They answer
 * only after the hit is durably recorded (group commit), and never reveal whether a token was valid
 * beyond what the person needs (a pixel is always a pixel).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keptHeaders, MAX_KEPT_HEADER_LENGTH } from '../../core/events.js';
import type { HitRequest, TrackingService } from '../../app/tracking.js';
import { TRACKING_PATHS } from '../../app/tracking-urls.js';
import { NO_STORE_HEADERS, TRANSPARENT_GIF } from './pixel.js';
import { confirmPage, donePage, notFoundPage, unavailablePage } from './unsubscribe-pages.js';
import { errorHandler } from './errors.js';
import { registerFormParsers } from './form-body.js';
import { ClientAddress } from './client-address.js';

/** When a person is told to come back after a failure. */
const RETRY_AFTER_SECONDS = 5;

interface TokenParams {
  token: string;
}

/** What a tracking endpoint keeps of a request: the client address (see ClientAddress) and the headers that are evidence. */
function requestOfHit(request: FastifyRequest, clientAddress: ClientAddress): HitRequest {
  const userAgent = request.headers['user-agent'];
  return {
    method: request.method,
    ip: clientAddress.of(request.socket.remoteAddress, request.headers['x-forwarded-for']),
    userAgent: userAgent ? userAgent.slice(0, MAX_KEPT_HEADER_LENGTH) : null,
    headers: keptHeaders(request.headers),
  };
}

export function sendPixel(reply: FastifyReply): FastifyReply {
  return reply.status(200).headers({ ...NO_STORE_HEADERS, 'content-type': 'image/gif' }).send(TRANSPARENT_GIF);
}

export async function trackingRoutes(app: FastifyInstance, opts: { tracking: TrackingService; trustedProxies: readonly string[] }): Promise<void> {
  const { tracking } = opts;
  const clientAddress = new ClientAddress(opts.trustedProxies);
  // A child logger per request costs more than a tracking hit's own work, and these routes log only
  // failures: they use the server's logger and name the request themselves.
  app.setChildLoggerFactory((logger) => logger);
  const hitRequest = (request: FastifyRequest) => requestOfHit(request, clientAddress);
  registerFormParsers(app);
  // The people who reach these routes follow a link from an email: a failure they cannot fix (the
  // database unreachable while a message is looked up) gets a page asking them to come back, not JSON.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) return errorHandler(error, request, reply);
    request.log.error({ reqId: request.id, err: error }, 'tracking request failed');
    void reply
      .status(503)
      .headers({ 'retry-after': String(RETRY_AFTER_SECONDS), 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' })
      .type('text/html; charset=utf-8')
      .send(unavailablePage());
  });

  app.get<{ Params: TokenParams }>(`${TRACKING_PATHS.open}:token`, async (request, reply) => {
    try {
      await tracking.open(request.params.token, hitRequest(request));
    } catch (error) {
      // The image is answered even when recording failed: an email must never show a broken image.
      request.log.error({ reqId: request.id, err: error }, 'open hit not recorded');
    }
    return sendPixel(reply);
  });

  app.get<{ Params: TokenParams }>(`${TRACKING_PATHS.click}:token`, async (request, reply) => {
    const outcome = await tracking.click(request.params.token, hitRequest(request));
    // The person is sent on even when the click could not be recorded: a tracked link must keep working.
    if (outcome.kind !== 'invalid' && outcome.unrecorded !== undefined) request.log.error({ reqId: request.id, err: outcome.unrecorded }, 'click hit not recorded');
    void reply.headers({ 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' });
    switch (outcome.kind) {
      case 'redirect':
        return reply.redirect(outcome.destination, 302);
      case 'honeypot':
        return reply.type('text/html; charset=utf-8').send('<!doctype html><title></title>');
      case 'invalid':
        return reply.status(404).type('text/html; charset=utf-8').send(notFoundPage());
    }
  });

  app.get<{ Params: TokenParams }>(`${TRACKING_PATHS.unsubscribe}:token`, async (request, reply) => {
    const valid = await tracking.unsubscribePage(request.params.token, hitRequest(request));
    void reply.headers({ 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' }).type('text/html; charset=utf-8');
    if (!valid) return reply.status(404).send(notFoundPage());
    return reply.send(confirmPage(request.url));
  });

  app.post<{ Params: TokenParams; Body: Record<string, string> | undefined }>(`${TRACKING_PATHS.unsubscribe}:token`, async (request, reply) => {
    const body = request.body;
    void reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (!body || typeof body !== 'object' || body['List-Unsubscribe'] !== 'One-Click') {
      return reply.status(400).send('the body must be List-Unsubscribe=One-Click (RFC 8058)\n');
    }
    const via = body['via'] === 'page' ? 'page' : 'one-click';
    const outcome = await tracking.unsubscribe(request.params.token, hitRequest(request), via);
    if (outcome.kind === 'invalid') return reply.status(404).send(notFoundPage());
    // RFC 8058: answer the POST itself, with no redirect.
    return reply.status(200).send(donePage());
  });
}
