/**
 * The JSON API under /api, authenticated by an API key (Authorization: Bearer msk_...) or a session
 * cookie, each route allowed by the access it declares (access.ts). Routes only parse and delegate;
 * the use cases live in src/app.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MailsightError } from '../../core/errors.js';
import type { CampaignService } from '../../app/campaigns.js';
import type { MessageService, RecipientInput } from '../../app/messages.js';
import type { Clock, KeyStore } from '../../app/ports.js';
import type { ReportService } from '../../app/reports.js';
import type { SendingService, SendResult } from '../../app/sending.js';
import { CreateCampaign, CreateExecution, CreateMessage, DeliveryEvent, IdempotencyKey, IdParam, InboundReportQuery, parseInput } from './api-schemas.js';
import type { IngestionService } from '../../app/ingestion.js';
import type { SuppressionService } from '../../app/suppressions.js';
import { parseJsonBody } from './json-body.js';
import { openApiDocument } from './openapi.js';
import { suppressionRoutes } from './suppression-routes.js';
import { hotClicksRoutes } from './hot-clicks-routes.js';
import type { HotClicksService } from '../../app/hot-clicks.js';
import { contactRoutes } from './contact-routes.js';
import type { ContactService } from '../../app/contacts.js';
import { overviewRoutes } from './overview-routes.js';
import { liveRoutes } from './live-routes.js';
import type { LiveFeed } from '../../app/live-feed.js';
import { outgoingWebhookRoutes } from './outgoing-webhook-routes.js';
import type { OutgoingWebhooks } from '../../app/outgoing-webhooks.js';
import type { UserService } from '../../app/users.js';
import type { Config } from '../../config.js';
import { actorOf, enforceAccess, idempotencyScope } from './access.js';
import { sessionRoutes } from './session-routes.js';

export interface ApiDeps {
  keys: KeyStore;
  campaigns: CampaignService;
  messages: MessageService;
  reports: ReportService;
  sending: SendingService;
  ingestion: IngestionService;
  suppressions: SuppressionService;
  hotClicks: HotClicksService;
  contacts: ContactService;
  live: LiveFeed;
  webhooks: OutgoingWebhooks;
  users: UserService;
  clock: Clock;
  config: Readonly<Config>;
}

/**
 * Largest API request body, in bytes, refused beyond with a 413: an execution's two parts at their
 * limit (2 Mi characters each, core/instrument/plan.ts) fit even at 3 UTF-8 bytes a character with
 * JSON escaping; a larger body could only be refused after parsing.
 */
export const API_BODY_LIMIT = 16 * 1024 * 1024;

const id = (request: FastifyRequest) => parseInput(IdParam, request.params, 'id').id;

/** The status of an answer that carries a send: 502 when the relay refused the message or did not answer. */
const SEND_FAILED = 502;
/** A send the rate limit left to the worker: accepted for later. */
const SEND_QUEUED = 202;

const sendStatus = (sent: SendResult) => (sent.accepted ? 200 : sent.status === 'queued' || sent.status === 'sending' ? SEND_QUEUED : SEND_FAILED);

export async function apiRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  // This plugin's own JSON parser (see json-body.ts); the tracking routes keep Fastify's.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // Before any route: every route registered after this must declare its access.
  enforceAccess(app, { keys: deps.keys, users: deps.users, clock: deps.clock, publicUrl: deps.config.publicUrl });

  app.get('/openapi.json', { config: { access: 'public' } }, async () => openApiDocument());

  app.post('/campaigns', { config: { access: 'write' } }, async (request, reply) => {
    const input = parseInput(CreateCampaign, request.body);
    const campaign = await deps.campaigns.createCampaign({
      name: input.name,
      kind: input.kind,
      trackOpens: input.tracking.opens,
      trackClicks: input.tracking.clicks,
      trackingBaseUrl: input.tracking.baseUrl,
      honeypot: input.tracking.honeypot,
      allowDuplicates: input.allowDuplicates,
    });
    return reply.status(201).send(campaign);
  });

  app.get('/campaigns', { config: { access: 'read' } }, async () => ({ campaigns: await deps.campaigns.listCampaigns() }));
  app.get('/campaigns/:id', { config: { access: 'read' } }, async (request) => deps.campaigns.requireCampaign(id(request)));

  app.post('/campaigns/:id/executions', { config: { access: 'write' } }, async (request, reply) => {
    const input = parseInput(CreateExecution, request.body);
    const created = await deps.campaigns.createExecution(id(request), input);
    return reply.status(201).send({ ...created.execution, links: created.links });
  });

  app.get('/executions/:id', { config: { access: 'read' } }, async (request) => deps.campaigns.executionWithLinks(id(request)));

  app.get('/campaigns/:id/report', { config: { access: 'read' } }, async (request) => deps.reports.campaignReport(id(request)));
  app.get('/executions/:id/report', { config: { access: 'read' } }, async (request) => deps.reports.executionReport(id(request)));

  app.post('/messages', { config: { access: 'write' } }, async (request, reply) => {
    const input = parseInput(CreateMessage, request.body);
    const header = request.headers['idempotency-key'];
    const idempotency = header === undefined ? null : { scope: idempotencyScope(request), key: parseInput(IdempotencyKey, header, 'Idempotency-Key') };
    const { created, send: sent } = await deps.sending.submit({ ...input, to: input.to as RecipientInput[], cc: input.cc as RecipientInput[] }, idempotency);
    // 201 for a new message, 200 for the one an earlier request with the same Idempotency-Key created.
    const status = sent && !sent.accepted && sent.status !== 'queued' && sent.status !== 'sending' ? SEND_FAILED : created.replayed ? 200 : 201;
    return reply.status(status).send({
      id: created.message.id,
      campaignId: created.message.campaignId,
      executionId: created.message.executionId,
      recipients: created.message.recipients,
      status: sent ? { state: sent.status } : created.status,
      suppressed: created.suppressed,
      subject: created.subject,
      html: created.html,
      text: created.text,
      headers: created.headers,
      links: created.links,
      honeypotUrl: created.honeypotUrl,
      unsubscribeUrl: created.status.state === 'blocked' ? null : created.unsubscribeUrl,
      send: sent,
    });
  });

  app.get('/messages/:id', { config: { access: 'read' } }, async (request) => deps.messages.view(id(request)));

  app.get('/events/:id/verdicts', { config: { access: 'read' } }, async (request) => ({ revisions: await deps.messages.verdictHistory(id(request)) }));

  app.post('/messages/:id/send', { config: { access: 'write' } }, async (request, reply) => {
    const sent = await deps.sending.send(id(request));
    return reply.status(sendStatus(sent)).send(sent);
  });

  app.post('/messages/:id/events', { config: { access: 'ingest' } }, async (request, reply) => {
    const messageId = id(request);
    const report = parseInput(DeliveryEvent, request.body);
    const result = await deps.messages.recordDelivery(messageId, report);
    // 201 for a new fact, 200 when the same report (same id) was already recorded.
    return reply.status(result.recorded ? 201 : 200).send(result);
  });

  app.get('/inbound-reports', { config: { access: 'read' } }, async (request) => {
    const query = parseInput(InboundReportQuery, request.query, 'query');
    const reports = await deps.ingestion.listInbound({ state: query.state, afterId: query.after === undefined ? undefined : Number(query.after), limit: query.limit });
    return { reports, next: reports.length === query.limit ? String(reports.at(-1)!.id) : null };
  });

  // Raw mail is whatever a stranger sent: downloaded, never rendered from this origin (Chromium
  // shows message/rfc822 as MHTML, scripts and all), and sandboxed should anything open it inline.
  app.get('/inbound-reports/:id/raw', { config: { access: 'read' } }, async (request, reply) => {
    const reportId = id(request);
    const raw = await deps.ingestion.getInboundRaw(reportId);
    return reply
      .type('message/rfc822')
      .headers({
        'content-disposition': `attachment; filename="inbound-${reportId}.eml"`,
        'x-content-type-options': 'nosniff',
        'content-security-policy': "sandbox; default-src 'none'",
        'cache-control': 'no-store',
      })
      .send(raw);
  });
  await hotClicksRoutes(app, { hotClicks: deps.hotClicks });
  await suppressionRoutes(app, { suppressions: deps.suppressions, actor: actorOf });
  await contactRoutes(app, { contacts: deps.contacts });
  await overviewRoutes(app, { reports: deps.reports });
  await liveRoutes(app, { live: deps.live, access: { keys: deps.keys, users: deps.users, clock: deps.clock, publicUrl: deps.config.publicUrl } });
  await outgoingWebhookRoutes(app, { webhooks: deps.webhooks });
  await sessionRoutes(app, { users: deps.users, keys: deps.keys, clock: deps.clock, config: deps.config });
}
