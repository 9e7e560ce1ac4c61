/**
 * The contacts behind report figures and the contacts themselves (read access):
 * the list behind a figure of a campaign or an execution, a page at a time or as CSV streamed row by
 * row; a contact with its messages and timeline; the contacts list with campaign status columns.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ContactService, DrillOf } from '../../app/contacts.js';
import { AddressParam, ContactListQuery, ContactPageQuery, DrillExportQuery, DrillQuery, IdParam, parseInput } from './api-schemas.js';

export interface ContactRouteDeps {
  contacts: ContactService;
}

const id = (request: FastifyRequest) => parseInput(IdParam, request.params, 'id').id;

export async function contactRoutes(app: FastifyInstance, deps: ContactRouteDeps): Promise<void> {
  const { contacts } = deps;

  const drillRoutes = (path: string, of: (id: number) => DrillOf, name: string) => {
    // A missing campaign or execution is a 404 whatever the query says.
    app.get(`/${path}/:id/contacts`, { config: { access: 'read' } }, async (request) => {
      const owner = of(id(request));
      await contacts.requireOwner(owner);
      return contacts.drillPage(owner, parseInput(DrillQuery, request.query, 'query'));
    });
    app.get(`/${path}/:id/contacts.csv`, { config: { access: 'read' } }, async (request, reply: FastifyReply) => {
      const ofId = id(request);
      await contacts.requireOwner(of(ofId));
      const query = parseInput(DrillExportQuery, request.query, 'query');
      const rows = await contacts.drillCsv(of(ofId), query);
      const file = [name, ofId, query.figure, ...(query.ordinal === undefined ? [] : [query.ordinal]), query.scope].join('-');
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(Readable.from(rows));
    });
  };
  drillRoutes('campaigns', (campaignId) => ({ campaignId }), 'campaign');
  drillRoutes('executions', (executionId) => ({ executionId }), 'execution');

  app.get('/contacts', { config: { access: 'read' } }, async (request) => contacts.list(parseInput(ContactListQuery, request.query, 'query')));

  app.get('/contacts/by-address/:address', { config: { access: 'read' } }, async (request) => {
    const { limit } = parseInput(ContactPageQuery, request.query, 'query');
    return contacts.contactByAddress(parseInput(AddressParam, request.params, 'address').address, limit);
  });

  app.get('/contacts/:id', { config: { access: 'read' } }, async (request) => contacts.contact(id(request), parseInput(ContactPageQuery, request.query, 'query').limit));

  app.get('/contacts/:id/messages', { config: { access: 'read' } }, async (request) => {
    const { after, limit } = parseInput(ContactPageQuery, request.query, 'query');
    return contacts.messages(id(request), after, limit);
  });

  app.get('/contacts/:id/timeline', { config: { access: 'read' } }, async (request) => {
    const { after, limit } = parseInput(ContactPageQuery, request.query, 'query');
    return contacts.timeline(id(request), after, limit);
  });
}
