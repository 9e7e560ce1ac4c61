/**
 * Several tracking nodes, one PostgreSQL database: two real servers on real sockets, started at the
 * same moment (migrations and the first signing key race), sharing tokens, counting every hit once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { build, type Mailsight } from '../src/compose.js';
import { loadConfig } from '../src/config.js';
import { createApiKey } from '../src/app/keys.js';
import { systemClock } from '../src/app/ports.js';
import { createTestDatabase, postgresReachable, type TestDatabase } from './support/databases.js';
import { dialectEnv } from './support/server.js';

const reachable = await postgresReachable();

describe.skipIf(!reachable)('two tracking nodes on one PostgreSQL database', () => {
  let database: TestDatabase;
  let nodes: Mailsight[] = [];
  let bases: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    // Each node has a name of its own (NODE_ID), as it must on a shared database.
    const config = (node: number) => Object.freeze({ ...loadConfig({ MX_LOOKUP: 'false', PUBLIC_URL: 'https://track.test', LOG_LEVEL: 'silent', NODE_ID: `node-${node}`, ...dialectEnv('postgres') }), database: database.config });
    nodes = await Promise.all([0, 1].map((node) => build({ config: config(node), logger: pino({ level: 'silent' }) })));
    bases = await Promise.all(nodes.map((n) => n.app.listen({ port: 0, host: '127.0.0.1' })));
  });
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.app.close()));
    await database?.drop();
  });

  it('agree on one signing key although they started together', async () => {
    expect(nodes[0]!.services.keyring.current.signing.id).toBe(nodes[1]!.services.keyring.current.signing.id);
    expect(nodes[0]!.services.keyring.current.signing.secret.equals(nodes[1]!.services.keyring.current.signing.secret)).toBe(true);
  });

  it('count hits recorded through both nodes exactly once', async () => {
    const { key } = await createApiKey(nodes[0]!.storage.keys, systemClock, 'multi');
    const call = async (base: string, path: string, body: unknown) => {
      const response = await fetch(base + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status).toBe(201);
      return (await response.json()) as any;
    };
    const campaign = await call(bases[0]!, '/api/campaigns', { name: 'multi-node' });
    const execution = await call(bases[1]!, `/api/campaigns/${campaign.id}/executions`, {
      subject: 's',
      html: '<html><body><a href="https://a.example/1">1</a><a href="https://a.example/2">2</a></body></html>',
    });
    const messages = await Promise.all(Array.from({ length: 20 }, (_, i) => call(bases[i % 2]!, '/api/messages', { executionId: execution.id, to: [`m${i}@corp.example`] })));

    // Every message: 3 opens and 2 clicks, alternating nodes, all at once.
    const requests: Promise<Response>[] = [];
    let n = 0;
    for (const m of messages) {
      const pixel = new URL(/<img src="([^"]+)"/.exec(m.html)![1]!).pathname;
      const paths = [pixel, pixel, pixel, new URL(m.links[0].tracked).pathname, new URL(m.links[1].tracked).pathname];
      for (const path of paths) requests.push(fetch(bases[n++ % 2]! + path, { redirect: 'manual' }));
    }
    const responses = await Promise.all(requests);
    expect(responses.filter((r) => r.status === 200).length).toBe(60);
    expect(responses.filter((r) => r.status === 302).length).toBe(40);

    for (const node of nodes) {
      const report = await node.services.reports.campaignReport(campaign.id);
      expect(report.totals).toMatchObject({ messages: 20, uniqueOpens: 20, totalOpens: 60, uniqueClicks: 20, totalClicks: 40 });
      expect(report.links.map((l) => [l.ordinal, l.uniqueClicks, l.totalClicks])).toEqual([
        [1, 20, 20],
        [2, 20, 20],
      ]);
    }
  });
});
