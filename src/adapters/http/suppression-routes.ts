/**
 * The suppression list under /api/suppressions: list, read one with its history (read access), add,
 * remove, CSV import (write access), CSV export (read). The actor of each change is who made it.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MailsightError } from '../../core/errors.js';
import type { SuppressionService } from '../../app/suppressions.js';
import { AddSuppression, EmailParam, ExportSuppressions, ListSuppressions, RemoveSuppression, parseInput } from './api-schemas.js';

export interface SuppressionRouteDeps {
  suppressions: SuppressionService;
  /** Who makes a change: `api-key:<id>` or `user:<id>` (access.ts actorOf). */
  actor: (request: FastifyRequest) => string;
}

/** Largest CSV import, in bytes (413 beyond): MAX_IMPORT_ROWS rows of a long address and a note. */
export const CSV_BODY_LIMIT = 8 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8', { fatal: true });

const email = (request: FastifyRequest) => parseInput(EmailParam, request.params, 'email').email;

export async function suppressionRoutes(app: FastifyInstance, deps: SuppressionRouteDeps): Promise<void> {
  const { suppressions } = deps;

  app.get('/suppressions', { config: { access: 'read' } }, async (request) => suppressions.list(parseInput(ListSuppressions, request.query, 'query')));

  app.get('/suppressions/export.csv', { config: { access: 'read' } }, async (request, reply) => {
    const { all } = parseInput(ExportSuppressions, request.query, 'query');
    const csv = await suppressions.exportCsv(all);
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="suppressions${all ? '-all' : ''}.csv"`)
      .send(csv);
  });

  app.get('/suppressions/:email', { config: { access: 'read' } }, async (request) => suppressions.get(email(request)));

  app.post('/suppressions', { config: { access: 'write' } }, async (request, reply) => {
    const input = parseInput(AddSuppression, request.body);
    const added = await suppressions.add(input, deps.actor(request));
    return reply.status(added.merge === 'unchanged' ? 200 : 201).send({ result: added.merge, suppression: added.suppression, change: added.change });
  });

  app.delete('/suppressions/:email', { config: { access: 'write' } }, async (request) => {
    // The note comes in a JSON body, or in the query for clients that send no body with DELETE.
    const input = request.body === undefined ? parseInput(RemoveSuppression, request.query, 'query') : parseInput(RemoveSuppression, request.body);
    return { removed: await suppressions.remove(email(request), input.note, deps.actor(request)) };
  });

  // The CSV body parser serves this route alone.
  await app.register(async (csv) => {
    csv.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit: CSV_BODY_LIMIT }, (request, body, done) => {
      const charset = /charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
        done(new MailsightError('UNSUPPORTED_MEDIA_TYPE', `body: charset ${charset}: send the CSV file as UTF-8`), undefined);
        return;
      }
      try {
        done(null, utf8.decode(body as Buffer));
      } catch {
        done(new MailsightError('VALIDATION', 'body: not valid UTF-8: send the CSV file encoded as UTF-8'), undefined);
      }
    });
    csv.post('/suppressions/import', { config: { access: 'write' } }, async (request) => {
      if (typeof request.body !== 'string') throw new MailsightError('UNSUPPORTED_MEDIA_TYPE', 'body: send the CSV file as Content-Type: text/csv');
      return suppressions.importCsv(request.body, deps.actor(request));
    });
  });
}
