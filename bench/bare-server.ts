/**
 * The ceiling for the tracking benchmark: the same framework answering the same bytes and headers
 * as the real open and click endpoints, with no token check, no lookup and no write.
 * Run as `node dist/bench/bare-server.js` with PORT and HOST set.
 */
import Fastify from 'fastify';
import { NO_STORE_HEADERS, TRANSPARENT_GIF } from '../src/adapters/http/pixel.js';
import { TRACKING_PATHS } from '../src/app/tracking-urls.js';

const BARE_DESTINATION = 'https://shop.example/a';

const app = Fastify({ logger: false });
app.get('/health', async () => ({ ok: true }));
app.get(`${TRACKING_PATHS.open}:token`, async (_request, reply) =>
  reply.status(200).headers({ ...NO_STORE_HEADERS, 'content-type': 'image/gif' }).send(TRANSPARENT_GIF),
);
app.get(`${TRACKING_PATHS.click}:token`, async (_request, reply) =>
  reply.headers({ 'cache-control': 'no-store', 'x-robots-tag': 'noindex, nofollow' }).redirect(BARE_DESTINATION, 302),
);

await app.listen({ port: Number(process.env['PORT'] ?? 8081), host: process.env['HOST'] ?? '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
