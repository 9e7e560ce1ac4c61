/**
 * bench:ingest --http: the same SendGrid traffic through the server's own route, POST
 * /webhooks/sendgrid, with inject() (no socket): body read as bytes, authenticate, parse, ingest,
 * the JSON answer, and the tracking service told of each delivery (build()'s onDelivery).
 */
import { generateKeyPairSync } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { build } from '../../src/compose.js';
import { loadConfig } from '../../src/config.js';
import { seedMessages, sendGridEvents, signedBatches, type SignedBatch } from './ingest-fixtures.js';

export interface HttpRun {
  count: number;
  seconds: number;
  /** Calls of tracking.noteDelivery (build()'s onDelivery), and the time during which ingest() awaited any. */
  deliveries: number;
  deliverySeconds: number;
}

export async function measureHttp(dir: string, messages: number, batchSize: number): Promise<{ first: HttpRun; replay: HttpRun }> {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const config = loadConfig({
    DATA_DIR: path.join(dir, 'http'),
    LOG_LEVEL: 'warn',
    WEBHOOK_PROVIDERS: 'sendgrid',
    WEBHOOK_SENDGRID_VERIFICATION_KEY: key.publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  });
  const server = await build({ config });
  try {
    const keyring = server.services.keyring.current;
    // build() hands the ingestion `(...) => tracking.noteDelivery(...)`: wrapped on the instance, the
    // time during which at least one delivery is awaited is counted here (ingest() awaits them one
    // after the other; were they awaited together, their overlap would count once).
    const tracking = server.services.tracking;
    const noteDelivery = tracking.noteDelivery.bind(tracking);
    let deliveries = 0;
    let deliveryMs = 0;
    let awaited = 0;
    let since = 0;
    tracking.noteDelivery = async (...args) => {
      if (awaited++ === 0) since = performance.now();
      try {
        return await noteDelivery(...args);
      } finally {
        deliveries++;
        if (--awaited === 0) deliveryMs += performance.now() - since;
      }
    };
    const seeded = await seedMessages(server.storage, keyring, messages);
    const batches = signedBatches(sendGridEvents({ keyring, messages: seeded }), batchSize, key.privateKey);
    const post = async (all: readonly SignedBatch[]): Promise<HttpRun> => {
      [deliveries, deliveryMs] = [0, 0];
      const start = performance.now();
      for (const batch of all) {
        const response = await server.app.inject({ method: 'POST', url: '/webhooks/sendgrid', headers: batch.headers, payload: batch.body });
        if (response.statusCode !== 200) throw new Error(`POST /webhooks/sendgrid answered ${response.statusCode}: ${response.body}`);
      }
      return { count: all.reduce((n, b) => n + b.events, 0), seconds: (performance.now() - start) / 1000, deliveries, deliverySeconds: deliveryMs / 1000 };
    };
    return { first: await post(batches), replay: await post(batches) };
  } finally {
    await server.app.close();
  }
}
