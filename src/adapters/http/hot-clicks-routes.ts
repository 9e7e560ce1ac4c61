/**
 * Hot clicks under /api (read access): per link occurrence of an execution, in
 * a view of its dynamic content, and over a recurring campaign's executions.
 */
import type { FastifyInstance } from 'fastify';
import type { HotClicksQuery as ServiceQuery, HotClicksService } from '../../app/hot-clicks.js';
import { HotClicksQuery, IdParam, parseInput } from './api-schemas.js';

export interface HotClicksRouteDeps {
  hotClicks: HotClicksService;
}

export async function hotClicksRoutes(app: FastifyInstance, deps: HotClicksRouteDeps): Promise<void> {
  app.get('/executions/:id/hot-clicks', { config: { access: 'read' } }, async (request) => {
    const { id } = parseInput(IdParam, request.params, 'id');
    return deps.hotClicks.execution(id, viewOf(parseInput(HotClicksQuery, request.query, 'query')));
  });

  app.get('/campaigns/:id/hot-clicks', { config: { access: 'read' } }, async (request) => deps.hotClicks.campaign(parseInput(IdParam, request.params, 'id').id));
}

function viewOf(query: ReturnType<typeof HotClicksQuery.parse>): ServiceQuery {
  if (query.condition !== undefined) return { kind: 'condition', labels: typeof query.condition === 'string' ? [query.condition] : query.condition };
  if (query.contact !== undefined) return { kind: 'contact', contactId: query.contact };
  if (query.attributes !== undefined) return { kind: 'attributes', attributes: query.attributes };
  return { kind: 'all' };
}
