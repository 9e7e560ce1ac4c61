/** The one place where errors become HTTP responses. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { MailsightError } from '../../core/errors.js';
import { InstrumentError } from '../../core/instrument/index.js';

export interface ErrorBody {
  error: string;
  message: string;
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof MailsightError) {
    void reply.status(error.statusCode).send({ error: error.code, message: error.message } satisfies ErrorBody);
    return;
  }
  if (error instanceof InstrumentError) {
    const status = error.code === 'INPUT_TOO_LARGE' ? 413 : 400;
    void reply.status(status).send({ error: error.code, message: error.message } satisfies ErrorBody);
    return;
  }
  const { statusCode, code } = error as Partial<FastifyError>;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Fastify's own client errors (malformed JSON, body too large, bad content type) name the problem.
    void reply.status(statusCode).send({ error: code ?? 'BAD_REQUEST', message: error.message } satisfies ErrorBody);
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply.status(500).send({ error: 'INTERNAL', message: 'internal error; see the server log' } satisfies ErrorBody);
}
