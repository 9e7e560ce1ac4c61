/**
 * Outgoing webhook endpoints (admin): list, create (the signing secret is shown in this answer only),
 * delete (deliveries stop, the log stays) and the delivery log, newest first. The deliveries
 * themselves are the worker's (app/outgoing-webhooks.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OutgoingWebhooks } from '../../app/outgoing-webhooks.js';
import { CreateWebhookEndpoint, DeliveriesQuery, IdParam, parseInput } from './api-schemas.js';

export interface OutgoingWebhookRouteDeps {
  webhooks: OutgoingWebhooks;
}

const id = (request: FastifyRequest) => parseInput(IdParam, request.params, 'id').id;

export async function outgoingWebhookRoutes(app: FastifyInstance, deps: OutgoingWebhookRouteDeps): Promise<void> {
  const { webhooks } = deps;
  const admin = { config: { access: 'admin' } } as const;

  app.get('/webhook-endpoints', admin, async () => ({ endpoints: await webhooks.listEndpoints() }));

  app.post('/webhook-endpoints', admin, async (request, reply) => {
    const input = parseInput(CreateWebhookEndpoint, request.body);
    const { endpoint, secret } = await webhooks.createEndpoint(input);
    return reply.status(201).send({ ...endpoint, secret });
  });

  app.delete('/webhook-endpoints/:id', admin, async (request) => webhooks.deleteEndpoint(id(request)));

  app.get('/webhook-endpoints/:id/deliveries', admin, async (request) => {
    const endpointId = id(request);
    const query = parseInput(DeliveriesQuery, request.query, 'query');
    const deliveries = await webhooks.deliveries(endpointId, query.limit, query.after);
    return { deliveries, next: deliveries.length === query.limit ? String(deliveries.at(-1)!.id) : null };
  });
}
