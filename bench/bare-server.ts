/**
 * The ceiling for the tracking benchmark: the same framework answering the same bytes and headers
 * as the real open and click endpoints, with no token check, no lookup and no write.
 * Run as `node dist/bench/bare-server.js` with PORT and HOST set.
 */
import Fastify from 'fastify';
import { TRACKING_PATHS } from '../src/app/tracking-urls.js';
import { sendPixel, sendRedirect } from './support/bare-answers.js';

const app = Fastify({ logger: false });
app.get('/health', async () => ({ ok: true }));
app.get(`${TRACKING_PATHS.open}:token`, async (_request, reply) => sendPixel(reply));
app.get(`${TRACKING_PATHS.click}:token`, async (_request, reply) => sendRedirect(reply));

await app.listen({ port: Number(process.env['PORT'] ?? 8081), host: process.env['HOST'] ?? '127.0.0.1' });
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
