/** Input schemas of the JSON API: validation, error messages and the OpenAPI document all come from here. */
import { z } from 'zod';
import { INBOUND_STATES } from '../../app/ingestion.js';
import { BASE_URL_EXPECTED, baseUrlProblem } from '../../core/base-url.js';
import { MailsightError } from '../../core/errors.js';
import { CAMPAIGN_KINDS, SUPPRESSION_STATES } from '../../app/ports.js';
import { MAX_NOTE_LENGTH, MAX_PAGE_SIZE } from '../../app/suppressions.js';
import { SUPPRESSION_REASONS } from '../../core/suppression-rules.js';
import { describeIssues } from './validation-messages.js';
import { MAX_LINKS_PER_EXECUTION, MAX_PART_LENGTH } from '../../core/instrument/index.js';
import { DRILL_FIGURES } from '../../core/drill-down.js';
import { STATUS_PRECEDENCE } from '../../core/message-status.js';
import { VERDICTS } from '../../core/nhi/verdict.js';
import { DEFAULT_DRILL_PAGE, MAX_DRILL_PAGE } from '../../app/contacts.js';
import { KEY_SCOPES, ROLES } from '../../app/ports.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../../app/passwords.js';

/**
 * An id in a path or a query: a plain decimal integer from 1. Number() would also read `0x1`, `1e0`,
 * `+1` or ` 1` as 1, so one thing would have many URLs.
 */
const PlainId = z
  .string()
  .regex(/^[1-9][0-9]*$/, 'not a plain decimal integer from 1')
  .transform(Number)
  .refine(Number.isSafeInteger, 'larger than any id');

export const IdParam = z.object({ id: PlainId });

/** A base of tracking URLs: a campaign's, and PUBLIC_URL (config.ts) too. */
export const BaseUrl = z
  .string()
  .superRefine((value, ctx) => {
    const problem = baseUrlProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  })
  .meta({ format: 'uri', description: `Base of the tracking URLs: ${BASE_URL_EXPECTED}` });

export const CreateCampaign = z
  .object({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(CAMPAIGN_KINDS).default('one-off'),
    tracking: z
      .object({
        opens: z.boolean().default(true),
        clicks: z.boolean().default(true),
        baseUrl: BaseUrl.nullable().default(null),
        honeypot: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    allowDuplicates: z
      .boolean()
      .default(false)
      .describe('true: an execution may go to one address more than once; false (default): a later message to an address the execution already has is blocked (reason duplicate)'),
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
      consent: z
        .boolean()
        .optional()
        .describe("false when this recipient withheld consent to tracking: the message's hits are then anonymous. Unstated: the contact's last stated consent, else allowed"),
    })
    .strict(),
]);

export const CreateMessage = z
  .object({
    executionId: z.number().int().positive(),
    to: z.array(Recipient).min(1).max(100),
    cc: z.array(Recipient).max(100).default([]),
    send: z.boolean().default(false),
    deduplicationKey: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('a key of your choosing (an order number, a Mailjet-style DeduplicateCampaign key): a later message of the campaign with the same key is blocked (reason duplicate-key), never sent'),
  })
  .strict();

/** The Idempotency-Key header of POST /messages: any printable ASCII, like Stripe's keys and UUIDs. */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1 to 255 printable ASCII characters, e.g. a UUID');

const EventBase = {
  at: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .meta({ description: "When it happened, epoch milliseconds (default: now). More than a minute ahead of the server's clock, or before 2000 (seconds), is refused." }),
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

/** An address in a path (`/suppressions/{email}`); the service checks it is one. */
export const EmailParam = z.object({ email: z.string().min(1).max(320) });

const Note = z.string().max(MAX_NOTE_LENGTH).nullable().default(null).meta({ description: `Why, kept in the audit trail (at most ${MAX_NOTE_LENGTH} characters)` });

export const ListSuppressions = z
  .object({
    reason: z.enum(SUPPRESSION_REASONS).optional(),
    state: z.enum(SUPPRESSION_STATES).default('active').meta({ description: 'active: blocking sends now; expired: no longer; all' }),
    prefix: z.string().min(1).max(320).optional().meta({ description: 'Addresses starting with this' }),
    after: z.string().min(1).max(320).optional().meta({ description: 'The `next` of the previous page' }),
    limit: z
      .string()
      .regex(/^[1-9][0-9]*$/, 'not a plain decimal integer from 1')
      .transform(Number)
      .refine((n) => n <= MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE}`)
      .optional(),
  })
  .strict();

export const ExportSuppressions = z
  .object({ all: z.enum(['true', 'false']).default('false').transform((v) => v === 'true').meta({ description: 'true: expired entries too, with their state and origin' }) })
  .strict();

export const AddSuppression = z
  .object({
    email: z.email(),
    reason: z.enum(SUPPRESSION_REASONS).default('manual'),
    expiresAt: z.number().int().positive().nullable().default(null).meta({ description: 'Epoch milliseconds, in the future; null: permanent' }),
    note: Note,
  })
  .strict();

export const RemoveSuppression = z.object({ note: Note }).strict();

/** Parses input or throws a VALIDATION error whose message names each offending field, what is wrong and the value. */
/** The query of GET /api/inbound-reports: a state to filter on, and keyset pagination by id. */
export const InboundReportQuery = z
  .object({
    state: z.enum(INBOUND_STATES).optional(),
    after: z.string().regex(/^[0-9]+$/, 'not the `next` of a previous page').optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, where = 'body'): z.output<S> {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  throw new MailsightError('VALIDATION', describeIssues(result.error.issues, where).join('; '));
}

// --- Hot clicks ---

/** Longest `attributes` query value, in characters: a contact's attributes as JSON, well past any real one. */
const MAX_ATTRIBUTES_QUERY_LENGTH = 16 * 1024;
const ConditionLabel = z.string().min(1).max(500);

/**
 * The view of GET /api/executions/{id}/hot-clicks: at most one of `condition` (repeatable), `contact`
 * or `attributes` (a JSON object); none shows every occurrence.
 */
export const HotClicksQuery = z
  .object({
    condition: z
      .union([ConditionLabel, z.array(ConditionLabel).max(100)])
      .optional()
      .meta({ description: 'A data-condition label (repeat for several): its blocks and the unconditional links' }),
    contact: PlainId.optional()
      .meta({ description: "A contact id: the blocks its attributes select, and the unconditional links" }),
    attributes: z
      .string()
      .max(MAX_ATTRIBUTES_QUERY_LENGTH)
      .transform((text, ctx) => {
        try {
          const value: unknown = JSON.parse(text);
          if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
        } catch {
          // Reported below, as for any other value that is not an object.
        }
        ctx.addIssue({ code: 'custom', message: 'not a JSON object such as {"region":"eu"}' });
        return z.NEVER;
      })
      .optional()
      .meta({ description: 'Contact attributes as a JSON object: the blocks they select, and the unconditional links' }),
  })
  .strict()
  .refine((q) => [q.condition, q.contact, q.attributes].filter((v) => v !== undefined).length <= 1, {
    message: 'give at most one of condition, contact and attributes',
  });

// --- Drill-down and contacts ---

const PageSize = PlainId.refine((n) => n <= MAX_DRILL_PAGE, `at most ${MAX_DRILL_PAGE}`).default(DEFAULT_DRILL_PAGE);

/** An address prefix, compared lower-cased: an index range, so it stays fast at millions of contacts. */
const AddressPrefix = z.string().min(1).max(320);

const DrillFilters = {
  figure: z.enum(DRILL_FIGURES),
  scope: z.enum(['all', ...VERDICTS]).default('all'),
  reason: z.string().min(1).max(200).optional(),
  ordinal: z
    .string()
    .regex(/^[0-9]{1,6}$/, 'not a link occurrence number')
    .transform(Number)
    .optional(),
  address: AddressPrefix.optional(),
  after: PlainId.optional(),
};

/** The query of GET /api/campaigns/:id/contacts and /api/executions/:id/contacts. */
export const DrillQuery = z.object({ ...DrillFilters, limit: PageSize }).strict();
/** The query of their .csv exports: the whole list (from `after`), no page size. */
export const DrillExportQuery = z.object(DrillFilters).strict();

/** The query of a contact's messages or timeline pages. */
export const ContactPageQuery = z.object({ after: z.string().min(1).max(60).optional(), limit: PageSize }).strict();

export const AddressParam = z.object({ address: z.string().min(1).max(320) });

const STATUS_KEYS = STATUS_PRECEDENCE.map((s) => s.key) as [string, ...string[]];
const StatusList = z
  .string()
  .transform((text) => text.split(','))
  .pipe(z.array(z.enum(STATUS_KEYS)).min(1));

/** `status[<campaign id>]=clicked,opened` keys gathered under `status` (Fastify leaves bracketed keys as they are). */
function gatherStatusKeys(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const rest: Record<string, unknown> = {};
  const status: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const match = /^status\[(.*)\]$/.exec(key);
    if (match) status[match[1]!] = value;
    else rest[key] = value;
  }
  return Object.keys(status).length > 0 ? { ...rest, status } : rest;
}

/** The query of GET /api/contacts (docs in openapi.ts). */
export const ContactListQuery = z.preprocess(
  gatherStatusKeys,
  z
    .object({
      campaigns: z
        .string()
        .regex(/^[1-9][0-9]*(,[1-9][0-9]*)*$/, 'campaign ids separated by commas, such as 1,2,3')
        .transform((text) => text.split(',').map(Number))
        .default([]),
      sort: PlainId.optional(),
      status: z.record(z.string().regex(/^[1-9][0-9]*$/, 'status[<campaign id>]: not a campaign id'), StatusList).default({}),
      q: AddressPrefix.optional(),
      after: z.string().min(1).max(400).optional(),
      limit: PageSize,
    })
    .strict(),
);

// --- Live feed and outgoing webhooks ---

/** Where a live feed resumes: the Last-Event-ID an EventSource sends back (0: from the first event). */
export const LastEventId = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'not an event id (a plain decimal integer)')
  .transform(Number)
  .refine(Number.isSafeInteger, 'larger than any id');

export const LiveQuery = z.object({ lastEventId: LastEventId.optional() }).strict();

/** Longest endpoint URL, in characters. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

export const CreateWebhookEndpoint = z
  .object({
    url: z.string().min(1).max(MAX_WEBHOOK_URL_LENGTH).describe('http:// or https://, without user name or password'),
    description: z.string().max(500).default('').describe('what it is for, shown in settings'),
  })
  .strict();

export const DeliveriesQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
    after: PlainId.optional().describe('the `next` of the previous page: its last delivery id (newest first)'),
  })
  .strict();
/** POST /api/session: sign in. The password's length is checked by the use case, not named here. */
export const SignInBody = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(MAX_PASSWORD_LENGTH) }).strict();

/** DELETE /api/session?everywhere=true: every session of the user. */
export const SignOutQuery = z.object({ everywhere: z.enum(['true', 'false']).default('false').transform((v) => v === 'true') }).strict();

const UserName = z.string().trim().max(200).meta({ description: 'How the person is shown' });
const Password = z.string().min(MIN_PASSWORD_LENGTH).max(MAX_PASSWORD_LENGTH).meta({ description: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` });

export const CreateUserBody = z.object({ email: z.email(), name: UserName.default(''), role: z.enum(ROLES), password: Password }).strict();

export const UpdateUserBody = z.object({ name: UserName.optional(), role: z.enum(ROLES).optional(), password: Password.optional() }).strict();

export const CreateKeyBody = z.object({ name: z.string().trim().min(1).max(200), scope: z.enum(KEY_SCOPES).default('admin') }).strict();

export const KeyIdParam = z.object({ id: z.string().regex(/^[0-9a-f]{12}$/, 'an API key id: 12 hex digits') });
