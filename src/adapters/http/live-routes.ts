/**
 * The live feed as server-sent events: GET /api/campaigns/:id/live and /api/contacts/:id/live stream a
 * scope's human opens and clicks (app/live-feed.ts). Each message is `id: <event id>`, `event: hit`,
 * `data: <LiveHit JSON>`; an EventSource sends the last id back as Last-Event-ID when it reconnects,
 * and the stream resumes after it (`?lastEventId=` does the same for a first connection).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerResponse } from 'node:http';
import { notFound } from '../../core/errors.js';
import type { LiveFeed } from '../../app/live-feed.js';
import type { LiveHit, LiveScope } from '../../app/ports.js';
import { IdParam, LastEventId, LiveQuery, parseInput } from './api-schemas.js';

export interface LiveRouteDeps {
  live: LiveFeed;
}

/** A comment line this often (ms) keeps proxies and load balancers from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;
/** What an EventSource waits before reconnecting, in ms (the SSE `retry:` field). */
const RECONNECT_MS = 2_000;
/**
 * Bytes a client may leave unread before its stream is closed: a client that does not read would
 * otherwise hold them in memory without bound. It reconnects and resumes from its Last-Event-ID.
 */
const MAX_UNREAD_BYTES = 1024 * 1024;

export async function liveRoutes(app: FastifyInstance, deps: LiveRouteDeps): Promise<void> {
  const open = new Set<() => void>();

  const stream = async (request: FastifyRequest, reply: FastifyReply, scope: LiveScope): Promise<void> => {
    const header = request.headers['last-event-id'];
    const query = parseInput(LiveQuery, request.query, 'query');
    const after = header !== undefined ? parseInput(LastEventId, header, 'Last-Event-ID') : (query.lastEventId ?? null);
    if (!(await deps.live.exists(scope))) throw 'campaignId' in scope ? notFound('campaign', scope.campaignId) : notFound('contact', scope.contactId);

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
    const heartbeat = setInterval(() => write(raw, ': keep-alive\n\n', end), HEARTBEAT_MS);
    let ended = false;
    function end(): void {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe?.();
      open.delete(end);
      raw.end();
    }
    open.add(end);
    raw.on('close', end);
    const stop = await deps.live.subscribe(scope, after, { send: (hit, resumeAfter) => write(raw, message(hit, resumeAfter), end) });
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

function message(hit: LiveHit, resumeAfter: number): string {
  return `id: ${resumeAfter}\nevent: hit\ndata: ${JSON.stringify(hit)}\n\n`;
}

function write(raw: ServerResponse, text: string, end: () => void): void {
  if (raw.writableEnded || raw.destroyed) return;
  raw.write(text);
  if (raw.writableLength > MAX_UNREAD_BYTES) end();
}
