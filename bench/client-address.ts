/**
 * `node dist/bench/client-address.js` (after `npm run build`): the two ways the server could find a
 * tracking hit's client address behind trusted proxies, measured in the same run on the same requests:
 *
 * - `ClientAddress.of(socket address, X-Forwarded-For)` (src/adapters/http/client-address.ts);
 * - `request.ip` with Fastify's `trustProxy` set to the same list (@fastify/proxy-addr).
 *
 * Both are read inside a real Fastify handler, on requests made with inject(), so each sees the same
 * request object the tracking routes see. Per call: each request reads the address CALLS_PER_REQUEST
 * times in a timed loop (Fastify's getter computes it again on every read; the tracking routes read it
 * once per hit). Per request: the same inject() loop with the handler reading the address once, which
 * shows how much of a whole request it weighs.
 *
 * The requests come from a load balancer in 10.0.0.0/8 with a client address in X-Forwarded-For,
 * drawn (seeded) from a pool of distinct IPv4 and IPv6 addresses, a third behind a second proxy hop.
 */
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { ClientAddress } from '../src/adapters/http/client-address.js';
import { formatIp } from '../src/core/nhi/ip-address.js';
import { mulberry32 } from '../src/core/seeded-random.js';
import { median } from './support/stats.js';

/** The proxies of a typical deployment: the balancer's network, a second hop, the IPv6 one. */
const TRUSTED_PROXIES = ['10.0.0.0/8', '192.0.2.10', '2001:db8:ffff::/48'];
const DISTINCT_CLIENTS = 10_000;
const REQUESTS = 20_000;
const CALLS_PER_REQUEST = 50;
const WARMUP_REQUESTS = 3_000;
const SEED = 0xc11e;

interface Hit {
  remoteAddress: string;
  forwardedFor: string;
}

function hits(): Hit[] {
  const next = mulberry32(SEED);
  const clients: string[] = [];
  for (let i = 0; i < DISTINCT_CLIENTS; i++) {
    if (i % 4 === 3) {
      let value = 0x2a0011110000n << 80n;
      for (let w = 0; w < 3; w++) value |= BigInt(Math.floor(next() * 2 ** 26)) << BigInt(w * 26);
      clients.push(formatIp({ family: 6, value }));
    } else {
      clients.push(formatIp({ family: 4, value: 0x01000000 + Math.floor(next() * 0xd0000000) }));
    }
  }
  const out: Hit[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const client = clients[Math.floor(next() * clients.length)]!;
    const balancer = `10.0.${Math.floor(next() * 4)}.${1 + Math.floor(next() * 8)}`;
    out.push({ remoteAddress: balancer, forwardedFor: i % 3 === 0 ? `${client}, 192.0.2.10` : client });
  }
  return out;
}

type Reader = (request: FastifyRequest) => string | null | undefined;

/** A server whose one route reads the client address `calls` times and answers the nanoseconds it took. */
async function server(trustProxy: boolean, read: Reader, calls: number): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, trustProxy: trustProxy ? TRUSTED_PROXIES : false });
  let sink = 0;
  app.get('/o/:token', async (request, reply) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) sink += read(request)?.length ?? 0;
    const spent = process.hrtime.bigint() - start;
    return reply.header('x-spent-ns', String(spent)).header('x-sink', String(sink & 1)).send('');
  });
  await app.ready();
  return app;
}

/** Runs the hits through the server; returns the nanoseconds spent reading addresses and the wall time. */
async function run(app: FastifyInstance, requests: readonly Hit[]): Promise<{ readNs: number; wallMs: number }> {
  let readNs = 0;
  const start = performance.now();
  for (const hit of requests) {
    const response = await app.inject({ method: 'GET', url: '/o/token', remoteAddress: hit.remoteAddress, headers: { 'x-forwarded-for': hit.forwardedFor } });
    readNs += Number(response.headers['x-spent-ns']);
  }
  return { readNs, wallMs: performance.now() - start };
}

/** A reader over a new ClientAddress: each measurement starts with nothing remembered, as a new server does. */
function ours(): Reader {
  const clientAddress = new ClientAddress(TRUSTED_PROXIES);
  return (request) => clientAddress.of(request.socket.remoteAddress, request.headers['x-forwarded-for']);
}
const fastifys = (): Reader => (request) => request.ip;

// The two must agree on these requests, or the comparison means nothing.
const requests = hits();
{
  const probe = Fastify({ logger: false, trustProxy: TRUSTED_PROXIES });
  let disagreement: string | null = null;
  const [ourRead, fastifyRead] = [ours(), fastifys()];
  probe.get('/', async (request) => {
    const [a, b] = [ourRead(request), fastifyRead(request)];
    if (a !== b) disagreement ??= `${request.socket.remoteAddress} / ${String(request.headers['x-forwarded-for'])}: ${a} vs ${b}`;
    return '';
  });
  for (const hit of requests) await probe.inject({ method: 'GET', url: '/', remoteAddress: hit.remoteAddress, headers: { 'x-forwarded-for': hit.forwardedFor } });
  await probe.close();
  if (disagreement !== null) throw new Error(`the two disagree on ${disagreement}`);
}

/** The machine is shared: the two take turns, a slice of the requests each, and the medians are compared. */
const ROUNDS = 10;
const methods = [
  { name: 'ClientAddress.of', trustProxy: false, read: ours },
  { name: 'Fastify request.ip', trustProxy: true, read: fastifys },
] as const;
const servers = await Promise.all(methods.map(async (m) => ({ ...m, perCall: await server(m.trustProxy, m.read(), CALLS_PER_REQUEST), once: await server(m.trustProxy, m.read(), 1) })));
for (const s of servers) {
  await run(s.perCall, requests.slice(0, WARMUP_REQUESTS));
  await run(s.once, requests.slice(0, WARMUP_REQUESTS));
}
const rounds = servers.map(() => ({ perRead: [] as number[], firstRead: [] as number[], request: [] as number[] }));
const slice = Math.floor(REQUESTS / ROUNDS);
for (let round = 0; round < ROUNDS; round++) {
  const part = requests.slice(round * slice, (round + 1) * slice);
  // Each goes first every other round: what one leaves behind (garbage to collect) lands on the other.
  const turns = round % 2 === 0 ? [...servers.entries()] : [...servers.entries()].reverse();
  for (const [i, s] of turns) {
    const calls = await run(s.perCall, part);
    const once = await run(s.once, part);
    rounds[i]!.perRead.push(calls.readNs / (part.length * CALLS_PER_REQUEST));
    rounds[i]!.firstRead.push(once.readNs / part.length);
    rounds[i]!.request.push((once.wallMs * 1e6) / part.length);
  }
}
for (const s of servers) {
  await s.perCall.close();
  await s.once.close();
}

/**
 * The plain loop: the same requests kept once answered, each method called once per request in turn,
 * over all of them; the first pass meets every client address for the first time.
 */
const kept: FastifyRequest[] = [];
{
  const keeper = Fastify({ logger: false, trustProxy: TRUSTED_PROXIES });
  keeper.get('/', async (request) => {
    kept.push(request);
    return '';
  });
  for (const hit of requests) await keeper.inject({ method: 'GET', url: '/', remoteAddress: hit.remoteAddress, headers: { 'x-forwarded-for': hit.forwardedFor } });
  await keeper.close();
}
const loops = servers.map(() => [] as number[]);
const loopReaders = servers.map((s) => s.read());
for (let pass = 0; pass < ROUNDS; pass++) {
  const turns = pass % 2 === 0 ? [...servers.entries()] : [...servers.entries()].reverse();
  for (const [i] of turns) {
    const read = loopReaders[i]!;
    let sink = 0;
    const start = process.hrtime.bigint();
    for (const request of kept) sink += read(request)?.length ?? 0;
    loops[i]!.push(Number(process.hrtime.bigint() - start) / kept.length + (sink === -1 ? 1 : 0));
  }
}

console.log(`client address of ${REQUESTS.toLocaleString('en')} inject() requests, ${ROUNDS} rounds taking turns (${DISTINCT_CLIENTS.toLocaleString('en')} distinct clients; proxies ${TRUSTED_PROXIES.join(' ')})`);
console.log('medians of the rounds, in ns:   per read (same request, read again)   one read per request   whole inject() request');
for (const [i, s] of servers.entries()) {
  const r = rounds[i]!;
  console.log(`${s.name.padEnd(20)} ${median(r.perRead).toFixed(0).padStart(30)} ${median(r.firstRead).toFixed(0).padStart(22)} ${median(r.request).toFixed(0).padStart(24)}`);
}
for (const [i, s] of servers.entries()) {
  console.log(`${s.name.padEnd(20)} plain loop over the ${kept.length.toLocaleString('en')} requests: first pass ${loops[i]![0]!.toFixed(0)} ns per call, median of ${ROUNDS} passes ${median(loops[i]!).toFixed(0)} ns per call`);
}
const [a, b] = rounds;
console.log(
  `Fastify / ClientAddress: ${(median(b!.perRead) / median(a!.perRead)).toFixed(2)}x per read, ${(median(b!.firstRead) / median(a!.firstRead)).toFixed(2)}x for the one read of a request, ${(median(loops[1]!) / median(loops[0]!)).toFixed(2)}x in the plain loop`,
);
