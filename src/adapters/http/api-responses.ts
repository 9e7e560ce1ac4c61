/**
 * What the JSON API answers, as schemas: the OpenAPI document is generated from them, and the API
 * tests check every response against them (strictly: an undocumented field fails), so the document
 * stays true.
 */
import { z } from 'zod';
import { EVENT_SOURCES, EVENT_TYPES } from '../../core/events.js';
import { INBOUND_STATES } from '../../app/ingestion.js';
import { NO_REASON, SCOPES, STATUS_PRECEDENCE, type Scope, type StatusKey as StatusKeyType } from '../../core/message-status.js';
import { MAILBOX_PROVIDERS } from '../../core/mailbox-provider.js';
import { MATCH_KINDS } from '../../core/link-matching.js';
import { WARNING_CODES, WARNING_LEVELS, WARNING_RULES } from '../../core/warnings.js';
import { VERDICTS, type Verdict } from '../../core/nhi/verdict.js';
import { CAMPAIGN_KINDS, SUPPRESSION_ACTIONS } from '../../app/ports.js';
import { KEY_SCOPES, ROLES } from '../../app/ports.js';
import { SUPPRESSION_REASONS } from '../../core/suppression-rules.js';

const Id = z.number().int().positive();
/** Epoch milliseconds. */
const Time = z.number().int();
const Rate = z.number().min(0).max(1).nullable().describe('null when the denominator is 0 (no data)');

export const Campaign = z
  .object({
    id: Id,
    name: z.string(),
    kind: z.enum(CAMPAIGN_KINDS),
    trackOpens: z.boolean(),
    trackClicks: z.boolean(),
    trackingBaseUrl: z.string().nullable(),
    honeypot: z.boolean(),
    allowDuplicates: z.boolean(),
    createdAt: Time,
  })
  .strict();

export const CampaignList = z.object({ campaigns: z.array(Campaign) }).strict();

const LinkFields = {
  ordinal: z.number().int().positive().describe('position among the links of the execution, from 1'),
  url: z.string().describe('the decoded destination'),
  raw: z.string().describe('the attribute value exactly as in the input'),
  text: z.string().describe('anchor text'),
  part: z.enum(['html', 'text']),
  condition: z.string().nullable().describe('data-condition label of the dynamic block it sits in'),
};

export const LinkOccurrence = z.object({ ...LinkFields, executionId: Id }).strict();

export const Execution = z
  .object({
    id: Id,
    campaignId: Id,
    subject: z.string(),
    html: z.string().nullable(),
    text: z.string().nullable(),
    createdAt: Time,
    links: z.array(LinkOccurrence),
  })
  .strict();

const PLAIN_STATES = ['queued', 'blocked', 'sending', 'sent', 'deferred', 'delivered', 'opened', 'clicked', 'unsubscribed', 'complained'] as const;

export const MessageStatus = z.discriminatedUnion('state', [
  z.object({ state: z.enum(PLAIN_STATES) }).strict(),
  z.object({ state: z.literal('bounced'), bounceType: z.enum(['hard', 'soft']) }).strict(),
]);

const Recipients = z.object({ to: z.array(z.string()), cc: z.array(z.string()) }).strict();

const Suppression = z
  .object({ email: z.string(), reason: z.string(), source: z.string(), createdAt: Time, expiresAt: Time.nullable() })
  .strict();

export const SendResult = z
  .object({
    accepted: z.boolean(),
    response: z.string().describe("the relay's answer"),
    status: z.enum([...PLAIN_STATES, 'bounced']).describe('sent; deferred (tried again later); bounced; queued (the rate limit left it to the worker)'),
  })
  .strict();

export const CreatedMessage = z
  .object({
    id: Id,
    campaignId: Id,
    executionId: Id,
    recipients: Recipients,
    status: MessageStatus,
    suppressed: z.array(Suppression).describe('recipients left out because their address is suppressed'),
    subject: z.string(),
    html: z.string().nullable().describe('the instrumented HTML part, to send as is'),
    text: z.string().nullable(),
    headers: z.record(z.string(), z.string()).describe('Message-ID (bounces quoting it name the message), List-Unsubscribe and List-Unsubscribe-Post'),
    links: z.array(z.object({ ...LinkFields, tracked: z.string().describe('the tracking URL written into the message') }).strict()),
    honeypotUrl: z.string().nullable(),
    unsubscribeUrl: z.string().nullable(),
    send: SendResult.nullable().describe('the SMTP outcome when `send` was asked for (the answer is a 502 when the relay did not accept the message)'),
  })
  .strict();

const Hit = z
  .object({
    method: z.string(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    linkOrdinal: z.number().int().nonnegative().nullable().describe('0 is the honeypot'),
  })
  .strict();

export const EventView = z
  .object({
    id: Id,
    messageId: Id,
    campaignId: Id,
    type: z.enum(EVENT_TYPES),
    subtype: z.string().nullable(),
    recipient: z.string().nullable().describe('the address the fact is about, for a message to several or a report naming one'),
    reason: z.string().nullable().describe('why: the bounce or deferral reason, a block\'s cause (the suppression\'s reason, duplicate, duplicate-key)'),
    at: Time,
    source: z.enum(EVENT_SOURCES),
    hit: Hit.nullable().describe('the request, for opens, clicks and unsubscribe page views'),
    detail: z.record(z.string(), z.unknown()).nullable(),
    dedupeKey: z.string().nullable(),
    recordedAt: Time,
    anonymous: z.boolean().describe("a recipient of the message withheld consent: no IP, user agent or headers kept"),
    verdict: z.enum(VERDICTS).nullable(),
    reasons: z.array(z.string()),
    verdictAt: Time.nullable(),
  })
  .strict();

export const MessageView = z
  .object({
    message: z
      .object({
        id: Id,
        executionId: Id,
        campaignId: Id,
        contactId: Id.nullable(),
        recipients: Recipients,
        recipientCount: z.number().int().positive(),
        createdAt: Time,
        consent: z.boolean().describe('every recipient allowed tracking when the message was created; false makes its hits anonymous'),
        messageIdHeader: z.string().nullable().describe('the Message-ID it is sent with; null until first rendered for messages of before it was kept'),
      })
      .strict(),
    contact: z.object({ id: Id, email: z.string(), attributes: z.record(z.string(), z.unknown()), consent: z.boolean(), createdAt: Time }).strict().nullable(),
    status: MessageStatus,
    inferredOpen: z.boolean().describe('clicked with no open recorded before: counted as an inferred open'),
    events: z.array(EventView),
  })
  .strict();

const Judgement = z.object({ verdict: z.enum(VERDICTS), reasons: z.array(z.string()), at: Time }).strict();

export const VerdictHistory = z
  .object({ revisions: z.array(z.object({ eventId: Id, previous: Judgement.nullable(), next: Judgement }).strict()) })
  .strict();

export const DeliveryRecorded = z.object({ recorded: z.boolean().describe('false when the same report (same id) was already recorded') }).strict();

const Engagement = z
  .object({
    uniqueOpens: z.number(),
    inferredOpens: z.number(),
    totalOpens: z.number(),
    uniqueClicks: z.number(),
    totalClicks: z.number(),
    unsubscribedOpens: z.number().describe('unique opens whose message was unsubscribed: the unsubscribe rate divides these by unique opens'),
  })
  .strict();
const Clicks = z.object({ uniqueClicks: z.number(), totalClicks: z.number() }).strict();
const perVerdict = <T extends z.ZodType>(schema: T) => z.object(Object.fromEntries(VERDICTS.map((v) => [v, schema])) as Record<(typeof VERDICTS)[number], T>).strict();
const Rates = z
  .object({
    deliveryRate: Rate,
    bounceRate: Rate,
    blockedRate: Rate,
    complaintRate: Rate,
    openRate: Rate,
    clickRate: Rate,
    clickToOpenRate: Rate,
    unsubscribeRate: Rate,
  })
  .strict();

const Count = z.number().int().nonnegative();
const ByReason = (what: string) =>
  z.record(z.string(), Count).describe(`${what} by the reason of the event that decided their status (reason -> messages; '${NO_REASON}' when it gave none)`);

const Warning = z
  .object({
    code: z.enum(WARNING_CODES).describe('the rate it is about'),
    level: z.enum(WARNING_LEVELS),
    message: z.string(),
    action: z.string().describe('what to do about it'),
    rate: z.number().min(0).max(1).describe('the rate, a fraction'),
    threshold: z.number().min(0).max(1).describe('the threshold it passed, a fraction'),
  })
  .strict();

const ExecutionSummary = z.object({ id: Id, campaignId: Id, subject: z.string(), createdAt: Time }).strict();

const ReportTotals = z
  .object({
    messages: z.number(),
    attempted: Count.describe('messages a send was tried for (all but queued): the blocked rate divides by it'),
    sent: z.number(),
    sending: Count.describe('held by our relay, not accepted yet (not counted as sent)'),
    delivered: z.number(),
    deferred: z.number(),
    hardBounced: z.number(),
    softBounced: z.number(),
    bounced: z.number(),
    bouncesByReason: ByReason('bounced messages (hard and soft)'),
    blocked: z.number(),
    blockedByReason: ByReason('blocked messages'),
    complained: z.number(),
    unsubscribed: z.number(),
    ...Engagement.shape,
    byVerdict: perVerdict(Engagement),
  })
  .strict();

const ReportFigures = {
  totals: ReportTotals,
  rates: Rates.describe('over all hits'),
  humanRates: Rates.describe('over human hits only'),
  warnings: z.array(Warning).describe(`deliverability thresholds passed: ${WARNING_RULES}`),
};

/** A count for all hits and for each verdict. */
const ScopeCounts = z.object(Object.fromEntries(SCOPES.map((s) => [s, Count])) as Record<Scope, typeof Count>).strict();
const PeriodHits = z
  .object({ since: z.number().int().nonnegative().describe('hours (or days) since the first'), at: Time.describe('start of the period'), opens: ScopeCounts, clicks: ScopeCounts })
  .strict();

export const CampaignReport = z
  .object({
    campaign: Campaign,
    execution: ExecutionSummary.nullable().describe('the execution the report is about; null: the whole campaign, every execution added up'),
    ...ReportFigures,
    links: z.array(
      z
        .object({
          executionId: Id,
          ordinal: LinkFields.ordinal,
          url: z.string(),
          text: z.string(),
          part: z.string(),
          condition: z.string().nullable(),
          ...Clicks.shape,
          byVerdict: perVerdict(Clicks),
          list: z.string().describe('API path of the messages that clicked it'),
        })
        .strict(),
    ),
    nonHuman: z
      .array(
        z
          .object({
            series: z.enum(['opens', 'clicks']),
            verdict: z.enum(VERDICTS.filter((v) => v !== 'human') as [Exclude<Verdict, 'human'>, ...Exclude<Verdict, 'human'>[]]),
            hits: Count,
            byReason: z.array(z.object({ reason: z.string(), hits: Count }).strict()).describe('each hit under the first reason its verdict gave; most first'),
            byFamily: z.array(z.object({ family: z.string(), hits: Count }).strict()).describe('the same by the part of the reason before the colon (net, ua, burst, timing, header, method)'),
          })
          .strict(),
      )
      .describe('hits not counted as human, by verdict and reason'),
    nonHumanSummary: z.array(z.string()).describe('the same in sentences'),
    timeline: z
      .object({
        startAt: Time.nullable().describe('the hour the relay first accepted a message (or of the first hit when none was); null when nothing happened'),
        hourly: z.array(PeriodHits),
        daily: z.array(PeriodHits),
        hourlyLimit: Count.describe('hours given one by one from the start; days cover the whole span'),
      })
      .strict()
      .describe('opens and clicks (hits) per hour and per day since the send, all and per verdict'),
    providers: z
      .array(
        z
          .object({
            provider: z.enum(MAILBOX_PROVIDERS),
            messages: Count,
            sent: Count,
            delivered: Count,
            bounced: Count,
            complained: Count,
            uniqueOpens: Count,
            humanUniqueOpens: Count,
            uniqueClicks: Count,
            humanUniqueClicks: Count,
            deliveryRate: Rate,
            bounceRate: Rate,
            complaintRate: Rate,
            openRate: Rate,
            humanOpenRate: Rate,
            clickRate: Rate,
            humanClickRate: Rate,
          })
          .strict(),
      )
      .describe("by mailbox provider, from the first recipient's domain"),
    executions: z.array(z.object({ execution: ExecutionSummary, ...ReportFigures }).strict()).describe("each execution's own figures"),
    lists: z.record(z.string(), z.string()).describe('the list of messages behind each figure: figure key (delivered, opened, opened:human, bounced:<reason>...) -> API path; add .csv before ? for a file'),
    providerFlags: z
      .array(
        z
          .object({
            reason: z.string().describe('the flag: provider:sendgrid-machine-open, provider:brevo-proxy-open, provider:mailgun-bot-<kind>'),
            series: z.enum(['opens', 'clicks']).describe('what the provider flagged: its opens (compared with open hits) or its clicks (compared with click hits)'),
            flagged: Count,
            agreed: Count.describe("mailsight's verdict on the same open or click was machine or bot"),
            disagreed: Count.describe("mailsight's verdict on the same open or click was human"),
            unmatched: Count.describe('no open hit (for a click: no click hit) of the message within a minute of it'),
          })
          .strict(),
      )
      .describe("opens and clicks the sending provider's webhook flagged as a machine or a bot, by flag and series, compared with mailsight's verdict on the same open or click"),
    providerFlagSummary: z.array(z.string()).describe('the same in sentences'),
  })
  .strict();

const ReportedOutcomeSchema = z.record(z.string(), z.unknown()).describe('an outcome as the report gave it (core/outcomes/reported-outcome.ts)');

export const InboundReport = z
  .object({
    id: Id,
    digest: z.string().describe('what makes the same report stored once: a hash of the mail, or of the reporter and its id'),
    receivedAt: Time,
    origin: z.string().describe("'smtp', 'file' or 'webhook:<provider>'"),
    state: z.enum(INBOUND_STATES),
    reason: z.string().describe('why it did not become events'),
    outcomes: z.array(ReportedOutcomeSchema).nullable(),
    rawBytes: z.number().int().nonnegative().nullable().describe('size of the raw mail kept (GET .../raw); null for webhook outcomes'),
  })
  .strict();

export const InboundReportList = z
  .object({
    reports: z.array(InboundReport),
    next: z.string().nullable().describe('pass as `after` for the next page; null on the last page'),
  })
  .strict();
const SuppressionReason = z.enum(SUPPRESSION_REASONS);

export const SuppressionEntry = z
  .object({
    email: z.string(),
    reason: SuppressionReason,
    source: z.string().describe('the source of the event that caused it (api, webhook, dsn, unsubscribe...), or manual, import'),
    createdAt: Time,
    expiresAt: Time.nullable().describe('null: permanent'),
    eventId: Id.nullable().describe('the event that caused it; null for manual entries and imports'),
    actor: z.string().nullable().describe('system, api-key:<id> or cli:<os user>'),
    note: z.string().nullable(),
    active: z.boolean().describe('blocking sends now: permanent, or expiring later'),
  })
  .strict();

export const SuppressionList = z
  .object({ suppressions: z.array(SuppressionEntry), next: z.string().nullable().describe('pass as `after` for the next page; null on the last') })
  .strict();

export const SuppressionChange = z
  .object({
    id: Id,
    email: z.string(),
    action: z.enum(SUPPRESSION_ACTIONS),
    reason: SuppressionReason,
    expiresAt: Time.nullable().describe("the entry's expiry after the change; for a removal, the one it had"),
    actor: z.string(),
    note: z.string().nullable(),
    eventId: Id.nullable(),
    at: Time,
  })
  .strict();

export const SuppressionDetail = z
  .object({ suppression: SuppressionEntry.nullable().describe('null once removed'), history: z.array(SuppressionChange).describe('every change, oldest first') })
  .strict();

export const SuppressionAdded = z
  .object({
    result: z.enum(['added', 'extended', 'unchanged']).describe('unchanged: an entry lasting as long or longer was in force, and stays'),
    suppression: SuppressionEntry,
    change: SuppressionChange.nullable(),
  })
  .strict();

export const SuppressionRemoved = z.object({ removed: SuppressionChange }).strict();

export const SuppressionImport = z
  .object({ rows: z.number().int(), added: z.number().int(), extended: z.number().int(), unchanged: z.number().int() })
  .strict();

// --- Hot clicks ---

const ClickCounts = z
  .object({ unique: ScopeCounts.describe('messages that clicked it'), total: ScopeCounts.describe('its clicks') })
  .strict();
const ClickShare = z
  .object({
    human: Rate.describe("its human clicks over the human clicks of all the link occurrences (see sharesOf); null when there are none"),
    all: Rate.describe('its clicks over all the clicks of all the link occurrences (see sharesOf); null when there are none'),
  })
  .strict();
const SourceRange = z.object({ start: Count, end: Count }).strict();
const LinkPosition = z
  .object({
    href: SourceRange.describe("the href value as written: html.slice(start, end) is the occurrence's raw"),
    tag: SourceRange.describe('the start tag holding it (<a ...>), from its < to just past its >'),
  })
  .strict()
  .describe("offsets (UTF-16 code units) in the execution's stored html; null for a text-part link");

const HotLink = z
  .object({ ...LinkFields, position: LinkPosition.nullable(), clicks: ClickCounts, share: ClickShare })
  .strict();

export const ExecutionHotClicks = z
  .object({
    executionId: Id,
    campaignId: Id,
    sharesOf: z.string().describe('what every share is a fraction of: all the clicks of the execution, whatever the view shows'),
    view: z
      .object({
        kind: z.enum(['all', 'condition', 'contact', 'attributes']),
        conditions: z.array(z.string()).nullable().describe('the condition labels shown, besides the unconditional links; null: every link'),
        contactId: Id.nullable(),
      })
      .strict(),
    conditions: z.array(z.string()).describe("every condition label of the execution's links"),
    totals: ScopeCounts.describe('total clicks of all the link occurrences: the denominators of the shares'),
    links: z.array(HotLink).describe('the occurrences shown, by ordinal; never the honeypot'),
    shownShare: ClickShare.describe('the sum of the shown shares: below 1 when the view leaves clicked links out'),
  })
  .strict();

const MatchedOccurrence = z
  .object({
    executionId: Id,
    ordinal: z.number().int().positive(),
    url: z.string(),
    how: z.enum(['reference', ...MATCH_KINDS]).describe('reference: the reference execution itself; otherwise how the occurrence was matched to it'),
    clicks: ClickCounts,
  })
  .strict();

const CampaignHotLink = z
  .object({
    link: z.object({ ...LinkFields, executionId: Id, position: LinkPosition.nullable() }).strict(),
    executionId: Id,
    clicks: ClickCounts.describe('summed over the matched occurrences'),
    share: ClickShare,
    matches: z.array(MatchedOccurrence),
  })
  .strict();

export const CampaignHotClicks = z
  .object({
    campaignId: Id,
    executionIds: z.array(Id).describe('the executions with link occurrences, oldest first'),
    referenceExecutionId: Id.nullable().describe('the last of them, whose links (and positions) the others are matched to'),
    sharesOf: z.string(),
    totals: ScopeCounts,
    links: z.array(CampaignHotLink).describe("the reference's occurrences, with what each execution's matched occurrence adds"),
    unmatched: z.array(CampaignHotLink).describe("occurrences of other executions that match none of the reference's"),
  })
  .strict();

// --- Drill-down and contacts ---

const StatusKey = z.enum(STATUS_PRECEDENCE.map((s) => s.key) as [StatusKeyType, ...StatusKeyType[]]);
const next = (what: string) => z.string().nullable().describe(`pass as \`after\` for the next page ${what}; null on the last`);

export const DrillRow = z
  .object({
    messageId: Id,
    campaignId: Id,
    executionId: Id,
    contactId: Id.nullable().describe('null for a message sent to several recipients at once'),
    email: z.string().describe("the contact's address; for a message to several, its first recipient"),
    status: StatusKey.describe('the message status (STATUS_PRECEDENCE keys)'),
    reason: z.string().nullable().describe('the reason it is counted under, for bounces and blocks'),
    provider: z.string().describe('mailbox provider of the address'),
    createdAt: Time,
    opened: z.boolean().describe("opened in the list's scope (a click implies an open)"),
    clicked: z.boolean().describe("clicked in the list's scope"),
    firstOpenAt: Time.nullable().describe("first open hit in the list's scope, probes left out; null when none (an open known only from a click has none)"),
    firstClickAt: Time.nullable().describe("first click hit in the list's scope, probes and the honeypot left out"),
  })
  .strict();

export const DrillPage = z.object({ rows: z.array(DrillRow).describe('in message id order'), next: next('(the last message id)') }).strict();

const ContactRecord = z.object({ id: Id, email: z.string(), attributes: z.record(z.string(), z.unknown()), consent: z.boolean(), createdAt: Time }).strict();

export const ContactMessage = z
  .object({
    messageId: Id,
    campaignId: Id,
    campaignName: z.string(),
    executionId: Id,
    subject: z.string(),
    createdAt: Time,
    status: StatusKey,
    reason: z.string().nullable().describe('the reason it is counted under, for bounces and blocks'),
  })
  .strict();

export const TimelineEvent = z
  .object({
    id: Id,
    messageId: Id,
    campaignId: Id,
    executionId: Id,
    type: z.enum(EVENT_TYPES),
    subtype: z.string().nullable().describe('hard/soft for bounces, the feedback type for complaints, how for unsubscribes'),
    at: Time,
    source: z.enum(EVENT_SOURCES),
    method: z.string().nullable().describe('HTTP method of a hit (HEAD: a probe, never an open or a click)'),
    linkOrdinal: z.number().int().nonnegative().nullable().describe('the clicked link occurrence; 0 is the honeypot'),
    url: z.string().nullable().describe("the clicked link occurrence's destination"),
    verdict: z.enum(VERDICTS).nullable(),
    reasons: z.array(z.string()).describe("the verdict's reasons"),
    reason: z.string().nullable().describe('why, for bounces, deferrals and blocks'),
  })
  .strict();

export const ContactMessagesPage = z.object({ rows: z.array(ContactMessage).describe('newest first'), next: next('of messages') }).strict();
export const TimelinePage = z.object({ rows: z.array(TimelineEvent).describe('newest first: by time, then by id'), next: next('of the timeline') }).strict();

export const ContactDetail = z
  .object({ contact: ContactRecord, messages: ContactMessagesPage, timeline: TimelinePage })
  .strict();

const CampaignStatus = z
  .object({ status: StatusKey, reason: z.string().nullable(), messageId: Id.describe('the message whose status stands for the campaign') })
  .strict();

export const ContactList = z
  .object({
    campaigns: z.array(Id).describe('the status columns, in the order asked'),
    rows: z.array(
      z
        .object({
          contact: z.object({ id: Id, email: z.string(), createdAt: Time }).strict(),
          statuses: z.record(z.string(), CampaignStatus.nullable()).describe('by campaign id: the status of its message of highest precedence (the lowest id of equals); null when it sent the contact nothing'),
        })
        .strict(),
    ),
    next: next(''),
  })
  .strict();

// --- The list of campaigns with their key figures ---

export const CampaignOverview = z
  .object({
    campaigns: z
      .array(
        z
          .object({
            campaign: Campaign,
            executions: Count,
            lastExecutionAt: Time.nullable().describe('when its newest execution was created; null before the first'),
            ...ReportFigures,
          })
          .strict(),
      )
      .describe('newest first'),
  })
  .strict();
// --- Live feed and outgoing webhooks ---

const LinkRef = z.object({ ordinal: z.number().int().nonnegative().describe('the link occurrence; 0 is the honeypot'), url: z.string() }).strict();

/** The `data` of each `event: hit` of a live feed (GET /api/campaigns/{id}/live, /api/contacts/{id}/live). */
export const LiveHit = z
  .object({
    eventId: Id,
    type: z.enum(['open', 'click']),
    at: Time,
    messageId: Id,
    campaignId: Id,
    executionId: Id,
    contactId: Id.nullable().describe('null for a message to several recipients'),
    email: z.string().nullable().describe("the contact's address; null for a message to several recipients"),
    link: LinkRef.nullable().describe('the clicked link occurrence; null for an open'),
    verdict: z.literal('human'),
    reasons: z.array(z.string()),
  })
  .strict();

/** One event of an outgoing webhook delivery. */
export const OutgoingEvent = z
  .object({
    id: Id.describe('the event id: increasing, the order of delivery'),
    type: z.enum(EVENT_TYPES),
    subtype: z.string().nullable().describe('hard/soft for bounces, the feedback type for complaints, how for unsubscribes'),
    reason: z.string().nullable().describe('why, for bounces, deferrals and blocks'),
    at: Time,
    messageId: Id,
    campaignId: Id,
    executionId: Id,
    contactId: Id.nullable(),
    recipient: z.string().nullable().describe("the address the event is about: the event's own, else the message's contact's"),
    link: z.object({ ordinal: z.number().int().nonnegative(), url: z.string().nullable() }).strict().nullable().describe('for clicks: the link occurrence'),
    verdict: z.enum(VERDICTS).nullable().describe('for hits, as it stood when delivered'),
    reasons: z.array(z.string()).nullable(),
  })
  .strict();

/** The body of an outgoing webhook delivery, signed in the Mailsight-Signature header. */
export const OutgoingDelivery = z.object({ endpointId: Id, events: z.array(OutgoingEvent).describe('by id, at most 100') }).strict();

export const WebhookEndpoint = z
  .object({
    id: Id,
    url: z.string(),
    description: z.string(),
    createdAt: Time,
    disabledAt: Time.nullable().describe('when it was deleted: nothing is delivered to it after'),
    cursor: z.number().int().nonnegative().describe('the last event id it acknowledged; it receives the events after'),
    nextAttemptAt: Time,
    failures: z.number().int().nonnegative().describe('attempts in a row that failed (the backoff grows with them)'),
  })
  .strict();

export const WebhookEndpointList = z.object({ endpoints: z.array(WebhookEndpoint) }).strict();

export const CreatedWebhookEndpoint = WebhookEndpoint.extend({
  secret: z.string().describe('the signing secret, shown this once: verify each delivery with it'),
}).strict();

export const WebhookDelivery = z
  .object({
    id: Id,
    endpointId: Id,
    at: Time,
    firstEventId: Id,
    lastEventId: Id,
    eventCount: z.number().int().positive(),
    attempt: z.number().int().positive().describe('1 for the first attempt at this batch, 2 for its first retry...'),
    statusCode: z.number().int().nullable().describe("the receiver's status; null when it did not answer"),
    error: z.string().nullable().describe('why it failed; null on success'),
    durationMs: z.number().int().nonnegative(),
  })
  .strict();

export const WebhookDeliveryPage = z.object({ deliveries: z.array(WebhookDelivery).describe('newest first'), next: next('of deliveries') }).strict();
const Role = z.enum(ROLES);
const KeyScope = z.enum(KEY_SCOPES);

/** A person as the session shows them. */
export const SessionUser = z.object({ id: Id, email: z.string(), role: Role, name: z.string() }).strict();

/** GET and POST /api/session: who is signed in, with the token every change must carry (X-CSRF-Token). */
export const SessionInfo = z
  .object({
    user: SessionUser.optional().describe('the person signed in; absent for an API key'),
    key: z.object({ id: z.string(), name: z.string(), scope: KeyScope }).strict().optional().describe('the API key used; absent for a session'),
    csrfToken: z.string().nullable().describe('send it as X-CSRF-Token with every change made by the session cookie; null for an API key'),
  })
  .strict();

export const SignedOut = z.object({ signedOut: z.number().int().nonnegative().describe('sessions ended') }).strict();

export const UserRecord = z.object({ id: Id, email: z.string(), name: z.string(), role: Role, createdAt: Time }).strict();
export const UserList = z.object({ users: z.array(UserRecord).describe('by id') }).strict();

export const ApiKeyInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    scope: KeyScope,
    createdAt: Time,
    lastUsedAt: Time.nullable().describe('to the minute; null: never used'),
    revokedAt: Time.nullable(),
  })
  .strict();
export const ApiKeyList = z.object({ keys: z.array(ApiKeyInfo).describe('oldest first, revoked ones included') }).strict();
export const CreatedApiKey = z
  .object({ id: z.string(), key: z.string().describe('the whole key, shown this once: only its hash is stored'), name: z.string(), scope: KeyScope })
  .strict();

export const Settings = z
  .object({
    version: z.string(),
    publicUrl: z.string().describe('PUBLIC_URL: the base of tracking URLs unless a campaign sets its own'),
    database: z.enum(['sqlite', 'postgres']),
    sending: z
      .object({
        relay: z.string().nullable().describe('the SMTP relay, scheme://host:port, without credentials; null: none'),
        requireTls: z.boolean(),
        from: z.string(),
        bounceDomain: z.string().nullable(),
        concurrency: z.number().int(),
        ratePerMinute: z.number().int(),
        maxAttempts: z.number().int(),
        retryBackoffMs: z.array(z.number().int()),
        giveUpAfterMs: z.number().int(),
      })
      .strict(),
    webhookProviders: z.array(z.string()).describe('providers whose webhooks are taken'),
    inboundSmtp: z.object({ port: z.number().int(), domains: z.array(z.string()) }).strict().nullable(),
    suppression: z
      .object({ hardBounceDays: z.number(), softBounces: z.object({ limit: z.number().int(), window: z.number().int() }).strict(), softBounceDays: z.number() })
      .strict(),
    ipStorage: z.enum(['full', 'truncated']),
  })
  .strict();
