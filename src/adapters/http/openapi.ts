/** The OpenAPI 3.1 description of the JSON API, served at /api/openapi.json. Request schemas come from the validators. */
import { z } from 'zod';
import { AddSuppression, CreateCampaign, CreateExecution, CreateMessage, DeliveryEvent, RemoveSuppression } from './api-schemas.js';
import { CSV_BODY_LIMIT } from './suppression-routes.js';
import { CSV_COLUMNS } from '../../app/suppressions.js';
import { SUPPRESSION_REASONS } from '../../core/suppression-rules.js';
import * as responses from './api-responses.js';
import { INBOUND_STATES } from '../../app/ingestion.js';
import { DEFAULT_DRILL_PAGE, DRILL_CSV_COLUMNS, MAX_CAMPAIGN_COLUMNS, MAX_DRILL_PAGE } from '../../app/contacts.js';
import { DRILL_FIGURES } from '../../core/drill-down.js';
import { SCOPES, STATUS_PRECEDENCE } from '../../core/message-status.js';
import { CreateWebhookEndpoint } from './api-schemas.js';
import { HEARTBEAT_MS, MAX_STREAMS_PER_PRINCIPAL } from './live-routes.js';
import { MAX_RESUME_HITS } from '../../app/live-feed.js';
import { FIRST_RETRY_MS, MAX_RETRY_MS, WEBHOOK_BATCH, WEBHOOK_TIMEOUT_MS } from '../../app/outgoing-webhooks.js';
import { SIGNATURE_HEADER } from '../../core/webhook-signature.js';
import { CreateKeyBody, CreateUserBody, SignInBody, UpdateUserBody } from './api-schemas.js';

const schema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
const outputSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });

const error = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
const errors = { '400': error, '401': error, '404': error };
const idParam = [{ name: 'id', in: 'path', required: true, description: 'A plain decimal integer (no sign, exponent, hex or leading zero)', schema: { type: 'integer', minimum: 1 } }];
const json = (ref: string) => ({ content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const ok = (description: string, ref: keyof typeof RESPONSES) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });

/** Response schemas by component name. */
const RESPONSES = {
  Campaign: responses.Campaign,
  CampaignList: responses.CampaignList,
  Execution: responses.Execution,
  CampaignReport: responses.CampaignReport,
  InboundReport: responses.InboundReport,
  InboundReportList: responses.InboundReportList,
  CreatedMessage: responses.CreatedMessage,
  MessageView: responses.MessageView,
  VerdictHistory: responses.VerdictHistory,
  SendResult: responses.SendResult,
  DeliveryRecorded: responses.DeliveryRecorded,
  SuppressionList: responses.SuppressionList,
  SuppressionDetail: responses.SuppressionDetail,
  SuppressionAdded: responses.SuppressionAdded,
  SuppressionRemoved: responses.SuppressionRemoved,
  SuppressionImport: responses.SuppressionImport,
  ExecutionHotClicks: responses.ExecutionHotClicks,
  CampaignHotClicks: responses.CampaignHotClicks,
  DrillPage: responses.DrillPage,
  ContactDetail: responses.ContactDetail,
  ContactMessagesPage: responses.ContactMessagesPage,
  TimelinePage: responses.TimelinePage,
  ContactList: responses.ContactList,
  CampaignOverview: responses.CampaignOverview,
  LiveHit: responses.LiveHit,
  OutgoingDelivery: responses.OutgoingDelivery,
  WebhookEndpointList: responses.WebhookEndpointList,
  CreatedWebhookEndpoint: responses.CreatedWebhookEndpoint,
  WebhookEndpoint: responses.WebhookEndpoint,
  WebhookDeliveryPage: responses.WebhookDeliveryPage,
  SessionInfo: responses.SessionInfo,
  SignedOut: responses.SignedOut,
  UserRecord: responses.UserRecord,
  UserList: responses.UserList,
  ApiKeyList: responses.ApiKeyList,
  CreatedApiKey: responses.CreatedApiKey,
  Settings: responses.Settings,
};

const emailParam = [{ name: 'email', in: 'path', required: true, description: 'The address (compared lower-cased)', schema: { type: 'string', format: 'email' } }];
const query = (name: string, schema: object, description: string) => ({ name, in: 'query', required: false, description, schema });

const pageSize = query('limit', { type: 'integer', minimum: 1, maximum: MAX_DRILL_PAGE, default: DEFAULT_DRILL_PAGE }, 'Rows per page');
const ADDRESS_PREFIX = 'Addresses starting with this, compared case-insensitively (a prefix, not a substring: it is an index range, fast at millions of contacts)';
const drillFilters = [
  { ...query('figure', { type: 'string', enum: [...DRILL_FIGURES] }, 'The report figure whose messages to list'), required: true },
  query('scope', { type: 'string', enum: [...SCOPES], default: 'all' }, "Whose hits count, for engagement figures (opened, clicked, inferred-open, unsubscribed-open, link); the rows' opened/clicked are of this scope"),
  query('reason', { type: 'string' }, 'For bounced, hard-bounced, soft-bounced and blocked: only messages counted under this reason (the report\'s counts by reason)'),
  query('ordinal', { type: 'integer', minimum: 1 }, 'For figure link: the link occurrence; for a campaign, occurrence N of each execution'),
  query('address', { type: 'string' }, ADDRESS_PREFIX),
  query('after', { type: 'integer', minimum: 1 }, 'The `next` of the previous page: the last message id it held (keyset, not offset: every page costs the same)'),
];
const drillPaths = (owner: 'campaigns' | 'executions') => ({
  [`/api/${owner}/{id}/contacts`]: {
    get: {
      summary: `The messages (and their contacts) behind a figure of the ${owner === 'campaigns' ? "campaign's report (every execution)" : "execution's report"}: as many rows as the figure counts, in message id order`,
      parameters: [...idParam, ...drillFilters, pageSize],
      responses: { '200': ok('A page of rows', 'DrillPage'), ...errors },
    },
  },
  [`/api/${owner}/{id}/contacts.csv`]: {
    get: {
      summary: `The same list as CSV (RFC 4180, header ${DRILL_CSV_COLUMNS.join(',')}; times ISO 8601), streamed row by row; cells a spreadsheet would run as a formula are prefixed with an apostrophe`,
      parameters: [...idParam, ...drillFilters],
      responses: { '200': { description: 'text/csv, as an attachment' }, ...errors },
    },
  },
});
const contactPage = [query('after', { type: 'string' }, 'The `next` of the previous page'), pageSize];

let cached: object | null = null;

export function openApiDocument(): object {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'mailsight API',
      version: '0.1.0',
      description:
        'Campaigns, executions (content versions), messages (instrumented for tracking), delivery events and reports. ' +
        'Authenticate with `Authorization: Bearer <key>`; create a key with `mailsight keys create`. Times are epoch milliseconds. ' +
        'Bodies are UTF-8 JSON nested at most 64 deep. An error names each field, what is wrong and the value: `to[0]: not an email address: "bad@"`.',
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } },
        CreateCampaign: schema(CreateCampaign),
        CreateExecution: schema(CreateExecution),
        CreateMessage: schema(CreateMessage),
        DeliveryEvent: schema(DeliveryEvent),
        AddSuppression: schema(AddSuppression),
        RemoveSuppression: schema(RemoveSuppression),
        ...Object.fromEntries(Object.entries(RESPONSES).map(([name, s]) => [name, outputSchema(s)])),
      },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/api/campaigns': {
        post: { summary: 'Create a campaign', requestBody: { required: true, ...json('CreateCampaign') }, responses: { '201': ok('The campaign', 'Campaign'), ...errors } },
        get: { summary: 'List campaigns', responses: { '200': ok('Every campaign', 'CampaignList'), ...errors } },
      },
      '/api/campaigns/overview': { get: { summary: 'Every campaign with its key figures (totals, rates over all and human hits, warnings), newest first', responses: { '200': ok('The campaigns', 'CampaignOverview'), ...errors } } },
      '/api/campaigns/{id}': { get: { summary: 'Read a campaign', parameters: idParam, responses: { '200': ok('The campaign', 'Campaign'), ...errors } } },
      '/api/campaigns/{id}/executions': {
        post: {
          summary: 'Create an execution (content version); its link occurrences are extracted now',
          parameters: idParam,
          requestBody: { required: true, ...json('CreateExecution') },
          responses: { '201': ok('The execution with its link occurrences', 'Execution'), '413': error, ...errors },
        },
      },
      '/api/executions/{id}': { get: { summary: 'Read an execution with its link occurrences', parameters: idParam, responses: { '200': ok('The execution with its link occurrences', 'Execution'), ...errors } } },
      '/api/campaigns/{id}/report': {
        get: {
          summary: 'Campaign report: funnel, rates (all and human), warnings, links, non-human reasons, time series, mailbox providers, per execution',
          description: 'Read from counters kept with the events, so it costs the same at a million messages as at a hundred. Each figure names the list of messages behind it (`lists`, `links[].list`).',
          parameters: idParam,
          responses: { '200': ok('The whole campaign, every execution added up, and each execution apart', 'CampaignReport'), ...errors },
        },
      },
      '/api/executions/{id}/report': {
        get: {
          summary: "One execution's report (a recurring or transactional campaign's single send), in the campaign report's shape",
          parameters: idParam,
          responses: { '200': ok('The execution alone', 'CampaignReport'), ...errors },
        },
      },
      '/api/executions/{id}/hot-clicks': {
        get: {
          summary: 'Clicks per link occurrence (never per URL), unique and total, human and all, with shares and positions in the HTML',
          description:
            "Read from the report counters. Shares are of all the execution's clicks (human: of its human clicks), so a view of some dynamic-content blocks need not add up to 1: " +
            '`shownShare` says what it adds up to. Give at most one of `condition`, `contact` and `attributes`; a condition view shows the unconditional links too. ' +
            "A label `name:value` selects contacts whose attribute `name` is (or, for a list, holds) `value`; a bare `name`, those whose attribute `name` is set or any of whose lists holds it (core/content-conditions.ts).",
          parameters: [
            ...idParam,
            query('condition', { type: 'array', items: { type: 'string' } }, 'A data-condition label, repeatable: its blocks and the unconditional links'),
            query('contact', { type: 'integer', minimum: 1 }, "A contact id: the blocks its attributes select"),
            query('attributes', { type: 'string' }, 'Contact attributes as a JSON object, such as {"region":"eu"}: the blocks they select'),
          ],
          responses: { '200': ok('The occurrences shown, their clicks, shares and positions', 'ExecutionHotClicks'), ...errors },
        },
      },
      '/api/campaigns/{id}/hot-clicks': {
        get: {
          summary: "Clicks per link occurrence over a recurring campaign's executions, matched to the last execution's links by destination and position",
          description: 'Each match says how it was made: same-url-same-ordinal, same-url-nearest-position, same-position-other-url; occurrences matching none are listed apart (unmatched).',
          parameters: idParam,
          responses: { '200': ok("The reference execution's occurrences with the matched occurrences' clicks summed, and the unmatched ones", 'CampaignHotClicks'), ...errors },
        },
      },
      '/api/messages': {
        post: {
          summary: 'Create a message for one recipient (or several at once) and get its instrumented content and headers',
          description:
            'Suppressed recipients are left out; when no To recipient is left the message is recorded as blocked, and so is a message to an address its execution already has ' +
            '(unless the campaign allows duplicates) or with the `deduplicationKey` of an earlier message of the campaign. With `send: true` it is queued and handed to the configured SMTP relay at once ' +
            '(refused with a 501 before anything is created when none is configured); a temporary refusal is tried again later. With an `Idempotency-Key` header, a retry of the same request within 24 hours ' +
            'gets the message the first one created (200) instead of a new one, and the same key with another request is a 409.',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } }],
          requestBody: { required: true, ...json('CreateMessage') },
          responses: {
            '201': ok('The instrumented message, ready to send', 'CreatedMessage'),
            '200': ok('The message an earlier request with the same Idempotency-Key created', 'CreatedMessage'),
            '502': ok('The message was created but the relay refused it or did not answer: `send` says what happened, and its events record it', 'CreatedMessage'),
            '409': error,
            '501': error,
            ...errors,
          },
        },
      },
      '/api/messages/{id}': { get: { summary: 'Read a message with its events and derived status', parameters: idParam, responses: { '200': ok('The message, its contact, events and derived status', 'MessageView'), ...errors } } },
      '/api/events/{id}/verdicts': {
        get: { summary: "A hit's verdict history: every revision with the previous and the new verdict, reasons and time", parameters: idParam, responses: { '200': ok('The verdict history of the hit', 'VerdictHistory'), ...errors } },
      },
      '/api/messages/{id}/send': {
        post: {
          summary: 'Queue the message and hand it to the configured SMTP relay now: a message sent, or being handed over by another attempt, is a 409; a blocked one a 422',
          parameters: idParam,
          responses: {
            '200': ok('The relay accepted it', 'SendResult'),
            '202': ok('Queued: the rate limit leaves it to the worker', 'SendResult'),
            '502': ok('The relay refused it (bounced) or did not answer or refused it for now (deferred: tried again later, or now by another send)', 'SendResult'), 
            '409': error,
            '422': error,
            '501': error,
            ...errors,
          },
        },
      },
      '/api/inbound-reports': {
        get: {
          summary: 'Reports kept for review: mail that could not be parsed, outcomes that matched no message, authentication-failure reports and auto-replies',
          parameters: [
            { name: 'state', in: 'query', required: false, schema: { type: 'string', enum: [...INBOUND_STATES] } },
            { name: 'after', in: 'query', required: false, schema: { type: 'string' }, description: 'the `next` of the previous page' },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 500, default: 100 } },
          ],
          responses: { '200': ok('A page of reports, oldest first', 'InboundReportList'), ...errors },
        },
      },
      '/api/inbound-reports/{id}/raw': {
        get: {
          summary: 'The raw mail of a report kept for review (message/rfc822)',
          parameters: idParam,
          responses: { '200': { description: 'The mail as received', content: { 'message/rfc822': { schema: { type: 'string' } } } }, ...errors },
        },
      },
      '/api/messages/{id}/events': {
        post: {
          summary: 'Record a delivery event (sent, delivered, deferred, bounced, complained); idempotent by `id`',
          parameters: idParam,
          requestBody: { required: true, ...json('DeliveryEvent') },
          responses: { '201': ok('Recorded', 'DeliveryRecorded'), '200': ok('Already recorded (same id)', 'DeliveryRecorded'), ...errors },
        },
      },
      '/api/suppressions': {
        get: {
          summary: 'List the suppression list, by address, a page at a time',
          parameters: [
            query('reason', { type: 'string', enum: [...SUPPRESSION_REASONS] }, 'Only entries with this reason'),
            query('state', { type: 'string', enum: ['active', 'expired', 'all'], default: 'active' }, 'active: blocking sends now; expired: no longer'),
            query('prefix', { type: 'string' }, 'Addresses starting with this'),
            query('after', { type: 'string' }, 'The `next` of the previous page'),
            query('limit', { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, 'Entries per page'),
          ],
          responses: { '200': ok('A page of entries', 'SuppressionList'), ...errors },
        },
        post: {
          summary: 'Suppress an address by hand (audited with the API key and the note); an entry lasting as long or longer stays as it is',
          requestBody: { required: true, ...json('AddSuppression') },
          responses: { '201': ok('Added, or extended', 'SuppressionAdded'), '200': ok('Unchanged: a longer entry is in force', 'SuppressionAdded'), ...errors },
        },
      },
      '/api/suppressions/{email}': {
        get: { summary: "An address's entry and every change to it", parameters: emailParam, responses: { '200': ok('The entry (null once removed) and its history', 'SuppressionDetail'), ...errors } },
        delete: {
          summary: "End an address's suppression (audited); the note in a JSON body or the `note` query parameter",
          parameters: [...emailParam, query('note', { type: 'string' }, 'Why, when no JSON body is sent')],
          requestBody: { required: false, ...json('RemoveSuppression') },
          responses: { '200': ok('The audit row of the removal', 'SuppressionRemoved'), ...errors },
        },
      },
      '/api/suppressions/export.csv': {
        get: {
          summary: `The list as CSV (RFC 4180, ${CSV_COLUMNS.join(',')}); cells a spreadsheet would run as a formula are prefixed with an apostrophe`,
          parameters: [query('all', { type: 'boolean', default: false }, 'Expired entries too, with state, source, actor, event_id and created_at columns')],
          responses: { '200': { description: 'text/csv' }, ...errors },
        },
      },
      '/api/suppressions/import': {
        post: {
          summary: `Import a CSV file (header ${CSV_COLUMNS.join(',')}; expires_at ISO 8601 or empty for permanent), all or nothing: a bad row refuses the file naming its line`,
          requestBody: { required: true, content: { 'text/csv': { schema: { type: 'string', maxLength: CSV_BODY_LIMIT } } } },
          responses: { '200': ok('What the rows did', 'SuppressionImport'), '413': error, '415': error, ...errors },
        },
      },
      ...drillPaths('campaigns'),
      ...drillPaths('executions'),
      '/api/contacts': {
        get: {
          summary: 'Contacts with one status column per chosen campaign, sortable and filterable by those statuses, searchable by address',
          description:
            "A campaign's status for a contact is the status of its message to the contact of highest precedence (complained, unsubscribed, clicked, opened, bounced-hard, delivered, bounced-soft, deferred, sent, sending, blocked, queued), the lowest message id of equals; null when the campaign sent it nothing. " +
            'Without `sort` or `status[...]`, rows are by address. With `sort=<campaign id>`, by that status, highest precedence first, then by message id, listing only contacts the campaign sent a message to; ' +
            'with `status[...]` filters and no `sort`, rows are ordered so by the first filtered campaign. Pages are by keyset: pass `next` as `after`.',
          parameters: [
            query('campaigns', { type: 'string', pattern: '^[1-9][0-9]*(,[1-9][0-9]*)*$' }, `Campaign ids, comma-separated, at most ${MAX_CAMPAIGN_COLUMNS}: one status column each`),
            query('sort', { type: 'integer', minimum: 1 }, 'A campaign of `campaigns` whose status orders the rows'),
            {
              name: 'status',
              in: 'query',
              required: false,
              style: 'deepObject',
              explode: true,
              description: 'status[<campaign id>]=clicked,opened: only contacts whose status in that campaign (one of `campaigns`) is one of these',
              schema: { type: 'object', additionalProperties: { type: 'string', description: `comma-separated, of ${STATUS_PRECEDENCE.map((p) => p.key).join(', ')}` } },
            },
            query('q', { type: 'string' }, ADDRESS_PREFIX),
            ...contactPage,
          ],
          responses: { '200': ok('A page of contacts with their campaign statuses', 'ContactList'), ...errors },
        },
      },
      '/api/contacts/{id}': {
        get: {
          summary: 'A contact, the messages sent to it (newest first, with status and reason) and the timeline of their events (newest first), each with its first page',
          description: 'Messages sent to several recipients at once have no contact and are not listed here.',
          parameters: [...idParam, pageSize],
          responses: { '200': ok('The contact, its messages and its timeline', 'ContactDetail'), ...errors },
        },
      },
      '/api/contacts/by-address/{address}': {
        get: {
          summary: 'The same, found by address (case-insensitive)',
          parameters: [{ name: 'address', in: 'path', required: true, schema: { type: 'string', format: 'email' } }, pageSize],
          responses: { '200': ok('The contact, its messages and its timeline', 'ContactDetail'), ...errors },
        },
      },
      '/api/contacts/{id}/messages': {
        get: { summary: "The next pages of a contact's messages, newest first", parameters: [...idParam, ...contactPage], responses: { '200': ok('A page of messages', 'ContactMessagesPage'), ...errors } },
      },
      '/api/contacts/{id}/timeline': {
        get: {
          summary: "The next pages of a contact's timeline: every event of its messages, newest first (by time, then id), clicks with their link occurrence and destination, hits with verdict and reasons, bounces with their reason",
          parameters: [...idParam, ...contactPage],
          responses: { '200': ok('A page of events', 'TimelinePage'), ...errors },
        },
      },
      ...ACCESS_PATHS,
      '/o/{token}': { get: { summary: 'Open pixel (public): always a 43-byte GIF', security: [], responses: { '200': { description: 'image/gif' } } } },
      '/c/{token}': { get: { summary: 'Click redirect (public)', security: [], responses: { '302': { description: 'To the stored destination' }, '404': { description: 'Invalid token' } } } },
      '/u/{token}': {
        get: { summary: 'Unsubscribe confirmation page (public); does not unsubscribe', security: [], responses: { '200': { description: 'text/html' } } },
        post: { summary: 'One-click unsubscribe (RFC 8058), body List-Unsubscribe=One-Click', security: [], responses: { '200': { description: 'Unsubscribed' }, '400': { description: 'Wrong body' } } },
      },
      ...livePaths(),
      ...outgoingWebhookPaths(),
    },
  };
  return cached;
}

const liveFeedPath = (owner: 'campaigns' | 'contacts') => ({
  get: {
    summary: `Live feed of the ${owner === 'campaigns' ? "campaign's" : "contact's"} human opens and clicks (server-sent events)`,
    description:
      'A `text/event-stream`: each hit is a message `id: <event id>`, `event: hit`, `data: <LiveHit JSON>` (schema LiveHit). ' +
      'Reconnecting with `Last-Event-ID` (as EventSource does) resumes after that id with nothing lost or repeated; `?lastEventId=` does the same for a first connection. ' +
      `Without either, only hits recorded from now on. A comment line every ${HEARTBEAT_MS / 1000} s keeps proxies from closing it. ` +
      `The stream begins with a bare \`id:\` (where it starts); one resuming after more than ${MAX_RESUME_HITS} missed hits starts from now, with a comment saying so. ` +
      `It ends when its credential does (signed out, account deleted, key revoked), checked at each heartbeat; at most ${MAX_STREAMS_PER_PRINCIPAL} streams per credential (429 beyond). ` +
      'A verdict revised after a hit was sent is not sent again.',
    parameters: [
      ...idParam,
      query('lastEventId', { type: 'integer', minimum: 0 }, 'Resume after this event id (the Last-Event-ID header wins)'),
      { name: 'Last-Event-ID', in: 'header', required: false, description: 'Resume after this event id', schema: { type: 'integer', minimum: 0 } },
    ],
    responses: { '200': { description: 'text/event-stream of LiveHit messages' }, ...errors },
  },
});

function livePaths(): object {
  return { '/api/campaigns/{id}/live': liveFeedPath('campaigns'), '/api/contacts/{id}/live': liveFeedPath('contacts') };
}

function outgoingWebhookPaths(): object {
  return {
    '/api/webhook-endpoints': {
      get: { summary: 'Outgoing webhook endpoints (admin), deleted ones with their time', responses: { '200': ok('Every endpoint', 'WebhookEndpointList'), ...errors } },
      post: {
        summary: 'Add an endpoint: it receives every event recorded from now on',
        description:
          `Events are POSTed in id order, at most ${WEBHOOK_BATCH} at a time, as \`{ endpointId, events }\` (schema OutgoingDelivery), each once every lower id has committed or rolled back. ` +
          `Header \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the secret>\`. ` +
          `A 2xx within ${WEBHOOK_TIMEOUT_MS / 1000} s acknowledges the batch; anything else is retried after ${FIRST_RETRY_MS / 1000} s, doubling to ${MAX_RETRY_MS / 60_000} min: at least once, in order. ` +
          'The URL is http(s) without user name or password.',
        requestBody: { required: true, content: { 'application/json': { schema: schema(CreateWebhookEndpoint) } } },
        responses: { '201': ok('The endpoint with its signing secret, shown this once', 'CreatedWebhookEndpoint'), ...errors },
      },
    },
    '/api/webhook-endpoints/{id}': {
      delete: { summary: 'Delete an endpoint: nothing is delivered to it after; its log stays', parameters: idParam, responses: { '200': ok('The endpoint, disabled', 'WebhookEndpoint'), ...errors } },
    },
    '/api/webhook-endpoints/{id}/deliveries': {
      get: {
        summary: "An endpoint's delivery log, newest first: each attempt with its events, status or error and duration",
        parameters: [...idParam, query('limit', { type: 'integer', minimum: 1, maximum: 500, default: 50 }, 'Rows per page'), query('after', { type: 'integer', minimum: 1 }, 'The `next` of the previous page')],
        responses: { '200': ok('A page of deliveries', 'WebhookDeliveryPage'), ...errors },
      },
    },
  };
}
const forbidden = { '403': error };
const userIdParam = idParam;
const keyIdParam = [{ name: 'id', in: 'path', required: true, description: 'The API key id (12 hex digits, the part after msk_)', schema: { type: 'string', pattern: '^[0-9a-f]{12}$' } }];
const body = (s: z.ZodType) => ({ required: true, content: { 'application/json': { schema: schema(s) } } });
const ADMIN = 'Admin only: users of role admin, API keys of scope admin.';

/**
 * Signing in and out, accounts, API keys, settings (session-routes.ts). Every route under /api
 * declares an access (access.ts): read for admin, editor and viewer users and admin or reports keys;
 * write for admin and editor users and admin keys; ingest (delivery events) for admin and editor users
 * and admin or ingest keys; admin for admin users and admin keys.
 */
const ACCESS_PATHS = {
  '/api/session': {
    post: {
      summary: 'Sign in: sets the session cookie __Host-mailsight_session (HttpOnly, Secure, SameSite=Strict, Path=/, no Domain: no other host can set it) and returns the CSRF token that every change made with it must send as X-CSRF-Token',
      security: [],
      requestBody: body(SignInBody),
      responses: { '200': ok('The user and the CSRF token', 'SessionInfo'), '401': error, '429': { description: 'Too many failed sign-ins from this address; Retry-After says when to try again' }, '400': error, '403': error },
    },
    get: { summary: 'Who is signed in (a user, with the CSRF token) or which API key is used', responses: { '200': ok('The session', 'SessionInfo'), '401': error } },
    delete: {
      summary: 'Sign out this session, or with everywhere=true every session of the user',
      parameters: [query('everywhere', { type: 'boolean', default: false }, 'End every session of the user, on every browser')],
      responses: { '200': ok('How many sessions ended', 'SignedOut'), ...errors, ...forbidden },
    },
  },
  '/api/users': {
    get: { summary: `Every user. ${ADMIN}`, responses: { '200': ok('The users', 'UserList'), ...errors, ...forbidden } },
    post: { summary: `Create a user. ${ADMIN}`, requestBody: body(CreateUserBody), responses: { '201': ok('The user', 'UserRecord'), '409': error, ...errors, ...forbidden } },
  },
  '/api/users/{id}': {
    patch: {
      summary: `Change a user's name, role or password (a new password ends the user's other sessions); the last admin keeps the role. ${ADMIN}`,
      parameters: userIdParam,
      requestBody: body(UpdateUserBody),
      responses: { '200': ok('The user', 'UserRecord'), '409': error, ...errors, ...forbidden },
    },
    delete: { summary: `Delete a user and end its sessions; not the last admin. ${ADMIN}`, parameters: userIdParam, responses: { '204': { description: 'Deleted' }, '409': error, ...errors, ...forbidden } },
  },
  '/api/keys': {
    get: { summary: `Every API key, without its secret. ${ADMIN}`, responses: { '200': ok('The keys', 'ApiKeyList'), ...errors, ...forbidden } },
    post: {
      summary: `Create an API key of a scope: admin (everything), reports (read only), ingest (delivery events only). The key is shown once. ${ADMIN}`,
      requestBody: body(CreateKeyBody),
      responses: { '201': ok('The key, shown this once', 'CreatedApiKey'), ...errors, ...forbidden },
    },
  },
  '/api/keys/{id}': {
    delete: { summary: `Revoke an API key: it authenticates nothing from then on. ${ADMIN}`, parameters: keyIdParam, responses: { '204': { description: 'Revoked' }, ...errors, ...forbidden } },
  },
  '/api/settings': {
    get: { summary: `The running configuration a user may see; never a secret. ${ADMIN}`, responses: { '200': ok('The settings', 'Settings'), ...errors, ...forbidden } },
  },
};
