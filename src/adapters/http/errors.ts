/** The one place where errors become HTTP responses. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, MailsightError, type ErrorCode } from '../../core/errors.js';
import { InstrumentError, type InstrumentErrorCode } from '../../core/instrument/index.js';

export interface ErrorBody {
  error: string;
  message: string;
}

/** The status of each refusal of the instrumentation core, from the one registry of codes. */
const INSTRUMENT_ERRORS: Record<InstrumentErrorCode, ErrorCode> = {
  INPUT_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TOO_MANY_LINKS: 'VALIDATION',
  INVALID_OPTION: 'VALIDATION',
};

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof MailsightError) {
    void reply.status(error.statusCode).send({ error: error.code, message: error.message } satisfies ErrorBody);
    return;
  }
  if (error instanceof InstrumentError) {
    void reply.status(ERROR_CODES[INSTRUMENT_ERRORS[error.code]]).send({ error: error.code, message: error.message } satisfies ErrorBody);
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
