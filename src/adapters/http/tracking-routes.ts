/**
 * Public tracking endpoints: the open pixel, the click redirect and the unsubscribe flow. They answer
 * only after the hit is durably recorded (group commit), and never reveal whether a token was valid
 * beyond what the person needs (a pixel is always a pixel).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { keptHeaders, MAX_KEPT_HEADER_LENGTH } from '../../core/events.js';
import type { HitRequest, TrackingService } from '../../app/tracking.js';
import { TRACKING_PATHS } from '../../app/tracking-urls.js';
import { NO_STORE_HEADERS, TRANSPARENT_GIF } from './pixel.js';
import { confirmPage, donePage, emptyPage, notFoundPage, PAGE_HEADERS, unavailablePage } from './unsubscribe-pages.js';
import { errorHandler, type ErrorBody } from './errors.js';
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

const PIXEL_HEADERS = { ...NO_STORE_HEADERS, 'content-type': 'image/gif' } as const;
/** A redirect is never cached (each click must reach us) nor indexed. */
const REDIRECT_HEADERS = { 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' } as const;

export function sendPixel(reply: FastifyReply): FastifyReply {
  return reply.status(200).headers(PIXEL_HEADERS).send(TRANSPARENT_GIF);
}

function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply.status(status).headers(PAGE_HEADERS).send(html);
}

/** What a request under a tracking path gets when no route takes it, whatever the reason. */
type UnroutedAnswer = 'pixel' | 'not-found';

/**
 * A URL under /o/ is the pixel's, so its answer is the image (an email must never show a broken one);
 * under /c/ and /u/ it is a link, so the person gets the link-not-found page. Null for other paths.
 */
function unroutedAnswer(path: string): UnroutedAnswer | null {
  if (path.startsWith(TRACKING_PATHS.open)) return 'pixel';
  if (path.startsWith(TRACKING_PATHS.click) || path.startsWith(TRACKING_PATHS.unsubscribe)) return 'not-found';
  return null;
}

/**
 * Answers a request under a tracking path that no route takes: a trailing slash, extra segments, a
 * token longer than any (maxParamLength), an undecodable path, another method. The path is never
 * repeated back. Returns false, answering nothing, for other paths.
 */
export function answerUnrouted(url: string, reply: FastifyReply): boolean {
  const answer = unroutedAnswer(url);
  if (answer === null) return false;
  void (answer === 'pixel' ? sendPixel(reply) : sendPage(reply, 404, notFoundPage()));
  return true;
}

/** How much of what the HTTP parser received is searched for the request line. */
const REQUEST_LINE_PREFIX_BYTES = 64;

/** A request Node's HTTP parser refused, as Node reports it (`rawPacket`: the bytes it was parsing). */
interface RefusedRequest {
  code?: string;
  rawPacket?: unknown;
}

/**
 * Answers a request that Node's HTTP parser refused before any route could see it: its request line
 * and headers over the size limit (16 KiB), a timeout, malformed bytes. When the bytes Node hands over
 * hold the request line and it names a tracking path, the answer is answerUnrouted's: the image under
 * /o/, the link-not-found page (with the parser's status, e.g. 431) under /c/ and /u/. They hold it
 * when the request came in one read, as from a client or proxy that sends it at once; a request that
 * came in several reads cannot be told, and like any other gets a short JSON error.
 */
export function answerRefusedRequest(error: RefusedRequest, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the request line and headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request took too long']
        : [400, 'the request is malformed'];
  const received = Buffer.isBuffer(error.rawPacket) ? error.rawPacket : Buffer.alloc(0);
  const path = /^[A-Z]+ (\/\S*)/.exec(received.subarray(0, REQUEST_LINE_PREFIX_BYTES).toString('latin1'))?.[1];
  const answer = path === undefined ? null : unroutedAnswer(path);
  if (socket.writable) {
    if (answer === 'pixel') socket.write(rawResponse(200, PIXEL_HEADERS, TRANSPARENT_GIF));
    else if (answer === 'not-found') socket.write(rawResponse(status, PAGE_HEADERS, Buffer.from(notFoundPage())));
    else socket.write(rawResponse(status, { 'content-type': 'application/json' }, Buffer.from(JSON.stringify({ error: STATUS_CODES[status]!, message } satisfies ErrorBody))));
  }
  socket.destroy();
}

/** A whole HTTP/1.1 response as bytes, for a socket that has no request object to answer through. */
function rawResponse(status: number, headers: Readonly<Record<string, string>>, body: Buffer): Buffer {
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`), `content-length: ${body.length}`, 'connection: close'];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
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
    void sendPage(reply.header('retry-after', String(RETRY_AFTER_SECONDS)), 503, unavailablePage());
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
    switch (outcome.kind) {
      case 'redirect':
        return reply.headers(REDIRECT_HEADERS).redirect(outcome.destination, 302);
      case 'honeypot':
        return sendPage(reply, 200, emptyPage());
      case 'invalid':
        return sendPage(reply, 404, notFoundPage());
    }
  });

  app.get<{ Params: TokenParams }>(`${TRACKING_PATHS.unsubscribe}:token`, async (request, reply) => {
    const outcome = await tracking.unsubscribePage(request.params.token, hitRequest(request));
    if (outcome.kind === 'invalid') return sendPage(reply, 404, notFoundPage());
    // The page is shown even when its view could not be recorded: the person came to unsubscribe.
    if (outcome.unrecorded !== undefined) request.log.error({ reqId: request.id, err: outcome.unrecorded }, 'unsubscribe page hit not recorded');
    return sendPage(reply, 200, confirmPage(request.url));
  });

  app.post<{ Params: TokenParams; Body: Record<string, string> | undefined }>(`${TRACKING_PATHS.unsubscribe}:token`, async (request, reply) => {
    const body = request.body;
    if (!body || typeof body !== 'object' || body['List-Unsubscribe'] !== 'One-Click') {
      return reply
        .status(400)
        .headers({ 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
        .type('text/plain; charset=utf-8')
        .send('the body must be List-Unsubscribe=One-Click (RFC 8058)\n');
    }
    const via = body['via'] === 'page' ? 'page' : 'one-click';
    const outcome = await tracking.unsubscribe(request.params.token, hitRequest(request), via);
    if (outcome.kind === 'invalid') return sendPage(reply, 404, notFoundPage());
    // RFC 8058: answer the POST itself, with no redirect.
    return sendPage(reply, 200, donePage());
  });
}
