/** Input schemas of the JSON API: validation, error messages and the OpenAPI document all come from here. */
import { z } from 'zod';
import { MailsightError } from '../../core/errors.js';
import { CAMPAIGN_KINDS } from '../../app/ports.js';
import { MAX_LINKS_PER_EXECUTION, MAX_PART_LENGTH } from '../../core/instrument/index.js';

export const IdParam = z.object({ id: z.coerce.number().int().positive() });

export const CreateCampaign = z
  .object({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(CAMPAIGN_KINDS).default('one-off'),
    tracking: z
      .object({
        opens: z.boolean().default(true),
        clicks: z.boolean().default(true),
        baseUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
        honeypot: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/**
 * The parts' limits (MAX_PART_LENGTH characters each, MAX_LINKS_PER_EXECUTION links) are the
 * instrumentation core's, checked when the execution is planned: 413 for a part too long, 400 for too
 * many links, each naming the part, the size and the limit. Written here only for the API document.
 */
const part = z
  .string()
  .nullable()
  .default(null)
  .meta({ description: `At most ${MAX_PART_LENGTH} characters (413 beyond); both parts together at most ${MAX_LINKS_PER_EXECUTION} links to track (400 beyond).` });

export const CreateExecution = z
  .object({
    subject: z.string().max(998),
    html: part,
    text: part,
  })
  .strict();

const Recipient = z.union([
  z.email().transform((email) => ({ email })),
  z
    .object({
      email: z.email(),
      attributes: z.record(z.string(), z.unknown()).optional(),
      consent: z.boolean().optional(),
    })
    .strict(),
]);

export const CreateMessage = z
  .object({
    executionId: z.number().int().positive(),
    to: z.array(Recipient).min(1).max(100),
    cc: z.array(Recipient).max(100).default([]),
    send: z.boolean().default(false),
  })
  .strict();

const EventBase = {
  at: z.number().int().nonnegative().optional(),
  id: z.string().min(1).max(200).optional(),
  recipient: z.email().optional(),
};
const SmtpDetail = {
  code: z.number().int().min(200).max(599).nullable().optional(),
  status: z
    .string()
    .regex(/^[245]\.\d{1,3}\.\d{1,3}$/, 'must be an enhanced status code such as 5.1.1')
    .nullable()
    .optional(),
  text: z.string().max(10_000).nullable().optional(),
};

export const DeliveryEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('sent'), ...EventBase, detail: z.record(z.string(), z.unknown()).optional() }).strict(),
  z.object({ type: z.literal('delivered'), ...EventBase, detail: z.record(z.string(), z.unknown()).optional() }).strict(),
  z.object({ type: z.literal('deferred'), ...EventBase, ...SmtpDetail }).strict(),
  z.object({ type: z.literal('bounced'), ...EventBase, bounceType: z.enum(['hard', 'soft']), ...SmtpDetail }).strict(),
  z.object({ type: z.literal('complained'), ...EventBase, feedbackType: z.string().max(50).nullable().optional() }).strict(),
]);

/** Parses input or throws a VALIDATION error whose message names each offending field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : where;
    return `${path}: ${issue.message}`;
  });
  throw new MailsightError('VALIDATION', problems.join('; '));
}
