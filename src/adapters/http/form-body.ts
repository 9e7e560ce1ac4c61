/**
 * Minimal form-body parsing for the one-click unsubscribe endpoint: RFC 8058 allows the POST body
 * as application/x-www-form-urlencoded or multipart/form-data; only named text fields are read.
 */
import type { FastifyInstance } from 'fastify';

/** A one-click body is a few dozen bytes; anything much larger is not one. */
export const FORM_BODY_LIMIT = 16 * 1024;

export function registerFormParsers(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addContentTypeParser('multipart/form-data', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (req, body, done) => {
    const boundary = /boundary="?([^";]+)"?/i.exec(req.headers['content-type'] ?? '')?.[1];
    if (!boundary) {
      done(Object.assign(new Error('multipart/form-data without a boundary'), { statusCode: 400 }), undefined);
      return;
    }
    done(null, parseMultipartFields(body as string, boundary));
  });
}

export function parseMultipartFields(body: string, boundary: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of body.split(`--${boundary}`)) {
    const split = part.search(/\r?\n\r?\n/);
    if (split < 0) continue;
    const head = part.slice(0, split);
    const name = /content-disposition:[^\n]*\bname="([^"]*)"/i.exec(head)?.[1];
    if (name === undefined || /filename=/i.test(head)) continue;
    fields[name] = part.slice(split).replace(/^\r?\n\r?\n/, '').replace(/\r?\n$/, '');
  }
  return fields;
}
