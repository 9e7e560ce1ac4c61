/**
 * The live feed as server-sent events: GET /api/campaigns/:id/live and /api/contacts/:id/live stream a
 * scope's human opens and clicks (app/live-feed.ts). Each message is `id: <event id>`, `event: hit`,
 * `data: <LiveHit JSON>`; an EventSource sends the last id back as Last-Event-ID when it reconnects,
 * and the stream resumes after it (`?lastEventId=` does the same for a first connection). The stream
 * starts with a bare `id:` (where it starts), so that a connection dropped before any hit resumes
 * from there rather than from a later "now".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { MailsightError, notFound } from '../../core/errors.js';
import type { LiveFeed } from '../../app/live-feed.js';
import type { LiveHit, LiveScope } from '../../app/ports.js';
import { IdParam, LastEventId, LiveQuery, parseInput } from './api-schemas.js';
import { actorOf, stillAllowed, type AccessDeps } from './access.js';

export interface LiveRouteDeps {
  live: LiveFeed;
  /** To check again, at each heartbeat, that the stream's credential still holds. */
  access: AccessDeps;
  /** The heartbeat's period in ms (tests shorten it); HEARTBEAT_MS by default. */
  heartbeatMs?: number;
}

/**
 * A comment line this often (ms) keeps proxies and load balancers from closing a quiet stream; the
 * credential is checked again at the same time, so a stream outlives its sign-out by this at most.
 */
export const HEARTBEAT_MS = 15_000;
/** What an EventSource waits before reconnecting, in ms (the SSE `retry:` field). */
const RECONNECT_MS = 2_000;
/**
 * Bytes a client may leave unread before its stream is closed: a client that does not read would
 * otherwise hold them in memory without bound. It reconnects and resumes from its Last-Event-ID.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;
/**
 * Streams one person or one API key may hold open on a node: a dashboard has a feed or two per tab;
 * past this it is a leak or an abuse, and each stream holds a socket and a place in the polls.
 */
export const MAX_STREAMS_PER_PRINCIPAL = 10;

export async function liveRoutes(app: FastifyInstance, deps: LiveRouteDeps): Promise<void> {
  const open = new Set<() => void>();
  const streamsOf = new Map<string, number>();
  const heartbeatMs = deps.heartbeatMs ?? HEARTBEAT_MS;

  /** Takes one of the principal's places; the returned function gives it back (once). */
  const takePlace = (who: string): (() => void) => {
    const held = streamsOf.get(who) ?? 0;
    if (held >= MAX_STREAMS_PER_PRINCIPAL) {
      throw new MailsightError('TOO_MANY_REQUESTS', `${MAX_STREAMS_PER_PRINCIPAL} live feeds are open with this credential already: close one first`);
    }
    streamsOf.set(who, held + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (streamsOf.get(who) ?? 1) - 1;
      if (left > 0) streamsOf.set(who, left);
      else streamsOf.delete(who);
    };
  };

  const stream = async (request: FastifyRequest, reply: FastifyReply, scope: LiveScope): Promise<void> => {
    const header = request.headers['last-event-id'];
    const query = parseInput(LiveQuery, request.query, 'query');
    const after = header !== undefined ? parseInput(LastEventId, header, 'Last-Event-ID') : (query.lastEventId ?? null);
    const givePlace = takePlace(actorOf(request));
    try {
      if (!(await deps.live.exists(scope))) throw 'campaignId' in scope ? notFound('campaign', scope.campaignId) : notFound('contact', scope.contactId);
    } catch (error) {
      givePlace();
      throw error;
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to; a buffered feed is not live.
      'x-accel-buffering': 'no',
    });
    raw.write(`retry: ${RECONNECT_MS}\n\n`);
    let unsubscribe: (() => void) | null = null;
    let ended = false;
    const heartbeat = setInterval(() => {
      write(raw, ': keep-alive\n\n', end);
      stillAllowed(request, deps.access, 'read').then(
        (allowed) => allowed || end(),
        (error: unknown) => request.log.warn({ err: error }, 'checking a live feed credential again failed; the stream goes on'),
      );
    }, heartbeatMs);
    function end(): void {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      givePlace();
      open.delete(end);
      raw.end();
    }
    open.add(end);
    raw.on('close', end);
    const stop = await deps.live.subscribe(scope, after, {
      send: (hit) => write(raw, message(hit), end),
      moveTo: (eventId, note) => write(raw, `${note ? `: ${note}\n` : ''}id: ${eventId}\n\n`, end),
    });
    if (ended) stop();
    else unsubscribe = stop;
  };

  const read = { config: { access: 'read' } } as const;
  app.get('/campaigns/:id/live', read, (request, reply) => stream(request, reply, { campaignId: parseInput(IdParam, request.params, 'id').id }));
  app.get('/contacts/:id/live', read, (request, reply) => stream(request, reply, { contactId: parseInput(IdParam, request.params, 'id').id }));

  // Open streams would keep the server from closing (it waits for every connection to end): they are
  // ended first (preClose runs before the server stops listening), then the polls stop.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
    await deps.live.close();
  });
}

function message(hit: LiveHit): string {
  return `id: ${hit.eventId}\nevent: hit\ndata: ${JSON.stringify(hit)}\n\n`;
}

function write(raw: ServerResponse, text: string, end: () => void): void {
  if (raw.writableEnded || raw.destroyed) return;
  raw.write(text);
  if (raw.writableLength > MAX_UNREAD_BYTES) end();
}
