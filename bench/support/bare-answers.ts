/**
 * What the bare and floor servers answer: the real open endpoint's pixel (its own `sendPixel`), and
 * a 302 with the real click endpoint's headers to a fixed destination.
 */
import type { FastifyReply } from 'fastify';

export { sendPixel } from '../../src/adapters/http/tracking-routes.js';

const BARE_DESTINATION = 'https://shop.example/a';

export function sendRedirect(reply: FastifyReply): FastifyReply {
  return reply.headers({ 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' }).redirect(BARE_DESTINATION, 302);
}
