/**
 * The dashboard (web/, built by `npm run build` into dist/web): its pages, only to a signed-in
 * session (anyone else is sent to the sign-in page), and its static assets, to anyone (they hold no
 * data; every figure comes from the API, which checks its own access).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface WebRouteDeps {
  /** Lets a page's request through only from a signed-in session (access.ts requirePageSession). */
  guard(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** The built dashboard; by default dist/web of this package. */
  dir?: string;
}

/** The page paths of the dashboard (its router has the same); the rest of / is tracking's and the API's. */
export const PAGE_PATHS = ['/', '/campaigns/*', '/contacts', '/contacts/*', '/suppressions', '/review', '/settings', '/settings/*'];

/**
 * What a page may load: its own scripts only; styles inline too (uPlot sets them); images from
 * anywhere (the hot-clicks frame shows the message's own, when its switch allows; the frame narrows
 * it with its own policy); no framing by other sites.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https: http:",
  "font-src 'self' data: https:",
  "connect-src 'self'",
  "frame-src 'self' about:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** dist/web beside this package's package.json, wherever this module runs from (src in tests, dist in production). */
export function builtWebDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('mailsight: no package.json above the web routes module');
    dir = parent;
  }
  return path.join(dir, 'dist', 'web');
}

export async function webRoutes(app: FastifyInstance, deps: WebRouteDeps): Promise<void> {
  const dir = deps.dir ?? builtWebDir();
  const indexFile = path.join(dir, 'index.html');
  // Read once: the page shell is the same for every page and every user.
  const index = existsSync(indexFile) ? readFileSync(indexFile) : null;

  const page = (reply: FastifyReply) => {
    if (!index) {
      return reply
        .status(503)
        .type('text/plain; charset=utf-8')
        .send('The dashboard is not built: run `npm run build` (it builds web/ into dist/web), then start the server again.\n');
    }
    return reply
      .header('content-security-policy', PAGE_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin')
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(index);
  };

  for (const pagePath of PAGE_PATHS) app.get(pagePath, { onRequest: deps.guard }, async (_request, reply) => page(reply));
  app.get('/sign-in', async (_request, reply) => page(reply));

  app.get<{ Params: { '*': string } }>('/assets/*', async (request, reply) => {
    const name = request.params['*'];
    // Built asset names only: no directories, no dot-dot, nothing but the file name vite gave.
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) return reply.status(404).send({ error: 'NOT_FOUND', message: 'no such asset' });
    const file = path.join(dir, 'assets', name);
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch {
      return reply.status(404).send({ error: 'NOT_FOUND', message: 'no such asset' });
    }
    // Vite puts a content hash in each name: a name is never reused for other content.
    return reply
      .type(TYPES[path.extname(name)] ?? 'application/octet-stream')
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(body);
  });
}
