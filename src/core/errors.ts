/**
 * The one registry of coded errors. Each code has its HTTP status here; the HTTP adapter is the only
 * place that turns them into responses, and the CLI prints their messages.
 */
export const ERROR_CODES = {
  VALIDATION: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SUPPRESSED: 422,
  NOT_CONFIGURED: 501,
  UNAVAILABLE: 503,
  /** A credential that lacks the right for the route (a viewer writing, a reports key sending). */
  FORBIDDEN: 403,
  /** A change by a session without its CSRF token, or from another origin. */
  CSRF: 403,
  /** Too many failed sign-ins: wait (Retry-After). */
  TOO_MANY_REQUESTS: 429,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class MailsightError extends Error {
  readonly statusCode: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'MailsightError';
    this.statusCode = ERROR_CODES[code];
  }
}

export const notFound = (what: string, id: string | number): MailsightError =>
  new MailsightError('NOT_FOUND', `${what} ${id} does not exist`);

/** What was thrown, as text: an Error's message, or the value itself. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A failed system call's code (ENOENT, EACCES...), which says it best; else the message. */
export function ioErrorText(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? errorMessage(error);
}
