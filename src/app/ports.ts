/**
 * What the use cases need from the outside world, declared here in the application's own terms.
 * The storage adapter implements the stores; tests pass small object literals where they need to.
 */
import type { NewEvent, StoredEvent, StoredJudgement, VerdictRevision } from '../core/events.js';
import type { HitFacts, MessageFacts, NetworkEvidence, Verdict } from '../core/nhi/verdict.js';
import type { PlannedLink, StoredPlan } from '../core/instrument/index.js';
import type { SealedSecret } from '../core/secret-key.js';
import type { SuppressionMerge, SuppressionReason, SuppressionSettings } from '../core/suppression-rules.js';

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export const CAMPAIGN_KINDS = ['one-off', 'recurring', 'transactional'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];

export interface CampaignSettings {
  name: string;
  kind: CampaignKind;
  trackOpens: boolean;
  trackClicks: boolean;
  /** Base of the tracking URLs for this campaign's messages; the server's public URL when null. */
  trackingBaseUrl: string | null;
  honeypot: boolean;
  /** Whether one execution may go to the same address twice; unset: false (the second is blocked as a duplicate). */
  allowDuplicates?: boolean;
}

export interface Campaign extends CampaignSettings {
  id: number;
  createdAt: number;
  allowDuplicates: boolean;
}

export interface ExecutionContent {
  subject: string;
  html: string | null;
  text: string | null;
}

export interface Execution extends ExecutionContent {
  id: number;
  campaignId: number;
  createdAt: number;
}

export type ExecutionSummary = Pick<Execution, 'id' | 'campaignId' | 'subject' | 'createdAt'>;

export interface LinkOccurrence extends PlannedLink {
  executionId: number;
}

export interface Contact {
  id: number;
  email: string;
  attributes: Record<string, unknown>;
  consent: boolean;
  createdAt: number;
}

/**
 * The consent of a new contact whose consent the request did not state: tracking allowed. The sender
 * answers for its list and says `consent: false` for whoever withheld it; the contact remembers it.
 */
export const CONSENT_WHEN_UNSTATED = true;

export interface Recipients {
  to: string[];
  cc: string[];
}

export interface Message {
  id: number;
  executionId: number;
  campaignId: number;
  /** Null when the message went to several recipients at once: its hits belong to "someone". */
  contactId: number | null;
  recipients: Recipients;
  recipientCount: number;
  createdAt: number;
  /** True when every recipient's contact allowed tracking when the message was created. */
  consent: boolean;
  /** The Message-ID header it is sent with (core/verp.ts); null for a message of before it was kept, until rendered. */
  messageIdHeader: string | null;
}

/** A message as written, before it has an id (and so a Message-ID). */
export type NewMessage = Omit<Message, 'id' | 'messageIdHeader'>;

/** What a tracking hit needs to know about its message, cached on the hot path. */
export interface MessageRoute {
  campaignId: number;
  executionId: number;
  contactId: number | null;
  /**
   * False when a recipient withheld consent to tracking when the message was created, or its contact
   * (a message to one recipient) has withheld it since: its hits are kept anonymous.
   */
  consent: boolean;
  /** The contact's address; null for a message to several recipients. */
  contactEmail: string | null;
  /** First sent and delivered times known, for timing evidence. */
  sentAt: number | null;
  deliveredAt: number | null;
}

/** Which network lists contain an IP (Apple's egress, gateways, the sender's own networks...). */
export interface NetworkLookup {
  match(ip: string): readonly NetworkEvidence[];
}

/** What blocks a send: an address's suppression in force (CatalogStore.findSuppression). */
export interface Suppression {
  email: string;
  reason: string;
  source: string;
  createdAt: number;
  expiresAt: number | null;
}

/** An entry of the suppression list as stored, in force or expired, with what caused it. */
export interface SuppressionEntry extends Suppression {
  reason: SuppressionReason;
  /** The event that caused it; null for manual entries and imports. */
  eventId: number | null;
  /** Who: `system` (a rule), `api-key:<id>`, `cli:<os user>`. */
  actor: string | null;
  note: string | null;
}

export const SUPPRESSION_ACTIONS = ['added', 'extended', 'removed'] as const;
export type SuppressionAction = (typeof SUPPRESSION_ACTIONS)[number];

/** One change to the suppression list: the audit trail. */
export interface SuppressionChange {
  id: number;
  email: string;
  action: SuppressionAction;
  reason: SuppressionReason;
  /** The entry's expiry after the change; for a removal, the one it had. */
  expiresAt: number | null;
  actor: string;
  note: string | null;
  eventId: number | null;
  at: number;
}

/** An entry added by a person (the API, the CLI, a CSV import) rather than by a rule. */
export interface ManualSuppression {
  email: string;
  reason: SuppressionReason;
  expiresAt: number | null;
  note: string | null;
  /** `manual` for one entry, `import` for the rows of a CSV file. */
  source: 'manual' | 'import';
}

export const SUPPRESSION_STATES = ['active', 'expired', 'all'] as const;
export type SuppressionState = (typeof SUPPRESSION_STATES)[number];

export interface SuppressionQuery {
  reason?: SuppressionReason | undefined;
  state: SuppressionState;
  /** Addresses starting with this (lower-cased). */
  prefix?: string | undefined;
  /** Keyset pagination: addresses after this one, in address order. */
  after?: string | undefined;
  limit: number;
}

export interface SuppressionStore {
  list(query: SuppressionQuery, now: number): Promise<SuppressionEntry[]>;
  get(email: string): Promise<SuppressionEntry | null>;
  /** Every change to the address's entry, oldest first. */
  history(email: string): Promise<SuppressionChange[]>;
  /**
   * Adds the entries in one transaction (all or none), each combined with the address's entry as
   * mergeSuppression says: never shortened. Returns, in order, what each did and its audit row.
   */
  add(entries: readonly ManualSuppression[], actor: string, now: number): Promise<{ merge: SuppressionMerge; change: SuppressionChange | null }[]>;
  /** Deletes the address's entry with its audit row, in one transaction; null when it has none. */
  remove(email: string, actor: string, note: string | null, now: number): Promise<SuppressionChange | null>;
}

/** A request's Idempotency-Key, scoped to the API key that sent it, and what the request said. */
export interface IdempotentRequest {
  scope: string;
  key: string;
  /** A hash of the request: the same key with another request is refused. */
  fingerprint: string;
}

/** What a request with an Idempotency-Key created. */
export interface IdempotencyRecord {
  fingerprint: string;
  messageId: number;
}

/** What a contact is told by one request: its address, and the attributes and consent stated, if any. */
export interface ContactInput {
  email: string;
  attributes?: Record<string, unknown> | undefined;
  consent?: boolean | undefined;
}

/** A message to write: as it is, or made from its recipients' contacts once they are written. */
export type MessageDraft = NewMessage | { contacts: readonly ContactInput[]; createdAt: number; make: (contacts: Contact[]) => NewMessage };

/**
 * What a message holds so that no later message repeats it: its address within its execution, a
 * caller's deduplication key within its campaign. The first message to take one keeps it; a later one
 * is recorded as blocked for `reason` instead.
 */
export interface SendReservation {
  scope: string;
  key: string;
  reason: 'duplicate' | 'duplicate-key';
  /** The address the reservation is about (a duplicate), for the blocked event. */
  recipient: string | null;
}

/** What a new message gets beside its row: its Message-ID, made from its id, and its reservations. */
export interface MessageExtras {
  messageIdHeader: (id: number) => string;
  reservations: readonly SendReservation[];
}

/** A message written; `duplicateOf` when a reservation was held by an earlier message (it is then blocked). */
export interface WrittenMessage extends Message {
  duplicateOf: { reservation: SendReservation; messageId: number } | null;
}

export interface CatalogStore {
  createCampaign(settings: CampaignSettings, now: number): Promise<Campaign>;
  getCampaign(id: number): Promise<Campaign | null>;
  listCampaigns(): Promise<Campaign[]>;
  /** The execution, its link occurrences and its plan, written in one transaction. */
  createExecution(campaignId: number, content: ExecutionContent, links: readonly PlannedLink[], plan: StoredPlan, now: number): Promise<Execution>;
  getExecution(id: number): Promise<Execution | null>;
  /** The plan stored with an execution; null when it was created before plans were stored. */
  getExecutionPlan(executionId: number): Promise<StoredPlan | null>;
  /** Stores the plan of an execution created before plans were stored; a plan already stored stays. */
  fillExecutionPlan(executionId: number, plan: StoredPlan): Promise<void>;
  listExecutions(campaignId: number): Promise<Execution[]>;
  /** A campaign's executions without their content, oldest first. */
  listExecutionSummaries(campaignId: number): Promise<ExecutionSummary[]>;
  getLinks(executionId: number): Promise<LinkOccurrence[]>;
  /** The link occurrences of every execution of a campaign, by execution then ordinal. */
  getCampaignLinks(campaignId: number): Promise<LinkOccurrence[]>;
  upsertContact(email: string, attributes: Record<string, unknown> | undefined, consent: boolean | undefined, now: number): Promise<Contact>;
  getContact(id: number): Promise<Contact | null>;
  /**
   * The message and its first events (queued, or blocked), written in one transaction. Given as a
   * draft of its contacts, the message's recipients are upserted as contacts in that transaction
   * first (in address order, so that concurrent messages take their rows in one order), and the
   * draft makes the message from them.
   */
  createMessage(message: MessageDraft, firstEvents: readonly Omit<NewEvent, 'messageId' | 'campaignId'>[], extras?: MessageExtras): Promise<WrittenMessage>;
  /**
   * Like createMessage, with the request's Idempotency-Key recorded in the same transaction; when the
   * key is already recorded (by a concurrent or an earlier request) nothing is written and the earlier
   * record is returned. Keys recorded before `expiredBefore` are forgotten first.
   */
  createIdempotentMessage(
    message: MessageDraft,
    firstEvents: readonly Omit<NewEvent, 'messageId' | 'campaignId'>[],
    request: IdempotentRequest,
    expiredBefore: number,
    extras?: MessageExtras,
  ): Promise<{ created: WrittenMessage } | { earlier: IdempotencyRecord }>;
  /** The record of a key, unless recorded before `expiredBefore`. */
  findIdempotencyKey(scope: string, key: string, expiredBefore: number): Promise<IdempotencyRecord | null>;
  getMessage(id: number): Promise<Message | null>;
  /** Stores the Message-ID of a message written before they were kept; one stored already stays. Returns the stored one. */
  fillMessageIdHeader(messageId: number, header: string): Promise<string>;
  messageRoute(id: number): Promise<MessageRoute | null>;
  /**
   * The address's suppression in force at `now` (lower-cased comparison), or null: an entry whose
   * expiry is past is ignored, with no job to delete it. The one check before a send.
   */
  findSuppression(email: string, now: number): Promise<Suppression | null>;
}

/**
 * A hit already written, with what the classifier needs to take it into account again (after a
 * restart). Its IP is as stored: null for anonymous hits, maybe truncated (IP_STORAGE=truncated).
 */
export type RecordedHit = Omit<HitFacts, 'networks'> &
  Omit<MessageFacts, 'selfRecipient'> & {
    /** The address of the message's contact (a message to one contact), to tell seed copies (SELF_ADDRESSES). */
    contactEmail: string | null;
    eventId: number;
    judgement: StoredJudgement;
    /** The writer that recorded it (HitWriterOptions.writerId); null for rows from before writers were named. */
    writer: string | null;
  };

export interface EventStore {
  /** Appends in one transaction; events whose dedupe key is already stored are skipped. Returns how many were new. */
  append(events: readonly NewEvent[]): Promise<number>;
  /**
   * Appends hits and applies verdict revisions of earlier hits, in one transaction, recorded at
   * `recordedAt`. Returns the new ids, in order.
   */
  appendHits(events: readonly NewEvent[], revisions: readonly VerdictRevision[], recordedAt: number): Promise<number[]>;
  /** A hit's verdict revisions, oldest first; null when no hit has this id. */
  listRevisions(eventId: number): Promise<VerdictRevision[] | null>;
  /** Hits recorded at or after `since` (recording time), oldest first, at most `limit` (the newest). */
  recentHits(since: number, limit: number): Promise<RecordedHit[]>;
  /**
   * Hits recorded by other writers (other nodes on the same database) with ids after `afterId`, oldest
   * first, at most `limit`; `upTo` is the id to continue after next time.
   */
  otherWritersHits(afterId: number, writer: string, limit: number): Promise<{ hits: RecordedHit[]; upTo: number }>;
  /**
   * Appends an event (skipped when its dedupe key is stored) and applies the suppression rules to it
   * (core/suppression-rules.ts), in one transaction: the event, the change to the address's entry and
   * its audit row are written together or not at all. A duplicate changes nothing.
   */
  appendWithSuppressionRules(event: NewEvent, settings: SuppressionSettings): Promise<{ inserted: boolean; changes: SuppressionChange[] }>;
  listForMessage(messageId: number): Promise<StoredEvent[]>;
}

/** Opens and clicks of one verdict (or of all hits). */
export interface EngagementTotals {
  uniqueOpens: number;
  /** Unique opens known only from a click (no open at or before the first click). */
  inferredOpens: number;
  totalOpens: number;
  uniqueClicks: number;
  totalClicks: number;
  /** Unique opens whose message was unsubscribed: the unsubscribe rate's numerator. */
  unsubscribedOpens: number;
}

/** Per-message facts summed over a campaign, as core/message-status.ts defines them. */
export interface CampaignTotals {
  messages: number;
  /** Every message a send was tried for (all but queued): the blocked rate's denominator. */
  attempted: number;
  sent: number;
  /** Held by our relay, not accepted yet: not sent. */
  sending: number;
  delivered: number;
  deferred: number;
  hardBounced: number;
  softBounced: number;
  blocked: number;
  /** Bounced messages (hard and soft) by the reason of the bounce that decided their status: reason -> messages. */
  bouncesByReason: Record<string, number>;
  /** Blocked messages by the reason of their latest block: reason -> messages. */
  blockedByReason: Record<string, number>;
  complained: number;
  unsubscribed: number;
  uniqueOpens: number;
  inferredOpens: number;
  totalOpens: number;
  uniqueClicks: number;
  totalClicks: number;
  unsubscribedOpens: number;
  /** The same figures counting only hits of each verdict: reports show all and human side by side. */
  byVerdict: Record<Verdict, EngagementTotals>;
}

export interface LinkClickTotals {
  executionId: number;
  ordinal: number;
  uniqueClicks: number;
  totalClicks: number;
  byVerdict: Record<Verdict, { uniqueClicks: number; totalClicks: number }>;
}

/** Report counters (core/report-counters.ts) by execution: execution id -> counter name -> value. */
export type ExecutionCounters = Map<number, Map<string, number>>;

export interface ReportStore {
  /** Totals recounted from the events in SQL: slow at size, kept to check the counters against. */
  campaignTotals(campaignId: number): Promise<CampaignTotals>;
  linkClickTotals(campaignId: number): Promise<LinkClickTotals[]>;
  /** The counters of a campaign's executions, or of one execution; only those whose name starts with `prefix` when given. */
  counters(of: { campaignId: number } | { executionId: number }, prefix?: string): Promise<ExecutionCounters>;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  secretHash: string;
  createdAt: number;
  revokedAt: number | null;
  /** What the key may do (KEY_SCOPES); keys from before scopes: admin. */
  scope: KeyScope;
  /** When it last authenticated a request, to the minute (API_KEY_USE_RESOLUTION_MS); null: never. */
  lastUsedAt: number | null;
}

/** A signing key as stored: sealed under the secret key, or plain when stored before sealing existed. */
export type StoredSigningKey = { readonly id: number; readonly sealed: SealedSecret } | { readonly id: number; readonly plain: Buffer };

export interface KeyStore {
  signingKeys(): Promise<StoredSigningKey[]>;
  /** Adds a signing key unless one with this id exists (several nodes may start at once). */
  addSigningKey(id: number, sealed: SealedSecret, now: number): Promise<void>;
  /**
   * Replaces the sealed secrets of these keys in one transaction, and empties their plain ones.
   * `onlyPlain` leaves a key that another node sealed meanwhile as that node sealed it.
   */
  resealSigningKeys(keys: readonly { id: number; sealed: SealedSecret }[], options: { onlyPlain: boolean }): Promise<void>;
  addApiKey(record: ApiKeyRecord): Promise<void>;
  findApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** Every API key, revoked ones included, oldest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Revokes a key not revoked yet; false when no such key is in force. */
  revokeApiKey(id: string, now: number): Promise<boolean>;
  /** Records a use at `now` unless the last one recorded is after `staleAt` (one write a minute per key, across nodes). */
  noteApiKeyUse(id: string, now: number, staleAt: number): Promise<void>;
}

/** Where a message stands in the send queue: waiting for an attempt, or done for one of four reasons. */
export const SEND_STATES = ['pending', 'sent', 'bounced', 'expired', 'blocked'] as const;
export type SendState = (typeof SEND_STATES)[number];

export interface QueuedSend {
  messageId: number;
  state: SendState;
  /** Attempts started, one in progress included. */
  attempts: number;
  enqueuedAt: number;
  nextAttemptAt: number;
  /** Until when an attempt holds it; null between attempts. */
  leaseUntil: number | null;
}

/** One attempt's hold on a message: no other attempt (on this node or another) starts before `until`. */
export interface SendLease {
  messageId: number;
  token: string;
  /** This attempt's number, from 1. */
  attempt: number;
  enqueuedAt: number;
  until: number;
}

/** What an attempt leaves the queue entry as: due again at a time, or done. */
export type SendNext = { state: 'pending'; nextAttemptAt: number } | { state: Exclude<SendState, 'pending'> };

/**
 * The send queue, in the database so that retries survive restarts and nodes share it. Every change is
 * one conditional statement (or one transaction), so that two nodes never both hold a message.
 */
export interface SendQueueStore {
  /**
   * Puts a message in the queue, due at `at`: a new entry, a pending one made due sooner, or one that
   * bounced or expired armed again (attempts from 0). A message sent or blocked stays as it is.
   */
  enqueue(messageId: number, at: number): Promise<QueuedSend>;
  get(messageId: number): Promise<QueuedSend | null>;
  /** Pending messages due at `now` that no attempt holds, the longest due first, at most `limit`. */
  due(now: number, limit: number): Promise<number[]>;
  /**
   * Starts an attempt: the message is leased until `now + leaseMs` and the attempt counted, in one
   * conditional statement; null when it is not due, is done, or another attempt holds it.
   */
  lease(messageId: number, now: number, leaseMs: number): Promise<SendLease | null>;
  /** Gives a lease back unused (the attempt did not start: the rate limit was reached): not counted. */
  release(lease: SendLease, now: number): Promise<void>;
  /**
   * Ends an attempt: its events recorded and the entry left as `next`, in one transaction. False when
   * the lease had run out and another attempt took the message meanwhile (the events are recorded all
   * the same: the relay said so).
   */
  /** Writes the attempt's events (with the suppressions they cause) and the entry's next state, in one transaction, if the lease still holds. */
  finish(lease: SendLease, events: readonly NewEvent[], next: SendNext, now: number, suppression: SuppressionSettings): Promise<boolean>;
}

export interface OutgoingMail {
  /** The From header. */
  from: string;
  /** The envelope sender (MAIL FROM): the VERP return path; null: the From address. */
  returnPath: string | null;
  /** The Message-ID header, `<...@...>`. */
  messageId: string;
  /** The DSN envelope id (ENVID) that names the message in delivery status notifications. */
  envelopeId: string;
  to: string[];
  cc: string[];
  subject: string;
  html: string | null;
  text: string | null;
  headers: Record<string, string>;
}

/** A recipient the relay refused while it took the message for the others. */
export interface RefusedRecipient {
  recipient: string;
  code: number | null;
  response: string;
}

/**
 * The relay's answer: accepted (maybe refusing some recipients), refused with a reply code, or no
 * answer at all (`code` null: no connection, a timeout, the connection lost).
 */
export type SendOutcome =
  | { accepted: true; response: string; messageId: string | null; refused?: RefusedRecipient[] }
  | { accepted: false; code: number | null; response: string };

export interface Mailer {
  send(mail: OutgoingMail): Promise<SendOutcome>;
}

/** Whose hits a live feed shows: a campaign's, or a contact's (every campaign's messages to it). */
export type LiveScope = { campaignId: number } | { contactId: number };

/** A human open or click as the live feed shows it (GET /api/campaigns/:id/live, /api/contacts/:id/live). */
export interface LiveHit {
  eventId: number;
  type: 'open' | 'click';
  at: number;
  messageId: number;
  campaignId: number;
  executionId: number;
  contactId: number | null;
  /** The contact's address; null for a message to several recipients. */
  email: string | null;
  link: { ordinal: number; url: string } | null;
  verdict: 'human';
  reasons: string[];
}

export interface LiveFeedStore {
  /** Whether the campaign or the contact exists. */
  scopeExists(scope: LiveScope): Promise<boolean>;
  /**
   * The highest event id at or below which every event that will ever commit is visible now (see
   * storage/settled-events.ts): a feed reads no further, so that it never passes a hit still committing.
   */
  settledEventId(): Promise<number>;
  /** The newest event id visible now (0 without events). */
  newestEventId(): Promise<number>;
  /** Human opens and clicks (no HEAD probes) of the scope with ids in (afterId, upTo], by id, at most `limit`. */
  humanHits(scope: LiveScope, afterId: number, upTo: number, limit: number): Promise<LiveHit[]>;
}

/** Any event as outgoing webhooks carry it. */
export interface OutgoingEvent {
  id: number;
  type: string;
  subtype: string | null;
  reason: string | null;
  at: number;
  messageId: number;
  campaignId: number;
  executionId: number;
  contactId: number | null;
  /** The recipient the event is about: the event's own, else the message's contact's address. */
  recipient: string | null;
  link: { ordinal: number; url: string | null } | null;
  /** For hits: the verdict and its reasons as they stood when delivered. */
  verdict: string | null;
  reasons: string[] | null;
}

/** An outgoing webhook endpoint as listed (never its secret). */
export interface WebhookEndpoint {
  id: number;
  url: string;
  description: string;
  createdAt: number;
  disabledAt: number | null;
  /** The last event id it acknowledged. */
  cursor: number;
  nextAttemptAt: number;
  /** Attempts in a row that failed. */
  failures: number;
}

/** An endpoint's signing secret as stored: sealed under the secret key. */
export interface StoredWebhookEndpoint extends WebhookEndpoint {
  sealed: SealedSecret;
}

/** One attempt to deliver a batch to an endpoint. */
export interface WebhookDelivery {
  id: number;
  endpointId: number;
  at: number;
  firstEventId: number;
  lastEventId: number;
  eventCount: number;
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** One node's hold on an endpoint while it delivers a batch: nobody else delivers it before `until`. */
export interface WebhookLease {
  endpointId: number;
  owner: string;
  until: number;
}

/** What an attempt leaves the endpoint as: its cursor moved (a success) or not, and when it is due again. */
export interface WebhookAttemptEnd {
  cursor: number;
  failures: number;
  nextAttemptAt: number;
  /** The log row; null when there was nothing to deliver. */
  delivery: Omit<WebhookDelivery, 'id' | 'endpointId'> | null;
}

export interface OutgoingWebhookStore {
  /** Writes the endpoint with its secret sealed by `seal` (given the new endpoint's id), in one transaction. */
  createEndpoint(endpoint: { url: string; description: string; cursor: number; createdAt: number }, seal: (id: number) => SealedSecret): Promise<WebhookEndpoint>;
  listEndpoints(): Promise<WebhookEndpoint[]>;
  getEndpoint(id: number): Promise<StoredWebhookEndpoint | null>;
  /** Disables it from `now` on; false when no endpoint has this id. */
  disableEndpoint(id: number, now: number): Promise<boolean>;
  /** Every endpoint's sealed secret, disabled ones included. */
  sealedSecrets(): Promise<{ id: number; sealed: SealedSecret }[]>;
  /** Replaces these endpoints' sealed secrets, in one transaction. */
  resealSecrets(secrets: readonly { id: number; sealed: SealedSecret }[]): Promise<void>;
  /** Deliveries of an endpoint, newest first, with ids before `before` when given. */
  deliveries(endpointId: number, limit: number, before?: number): Promise<WebhookDelivery[]>;
  /** Enabled endpoints due at `now` that no lease holds, the longest due first. */
  dueEndpoints(now: number, limit: number): Promise<number[]>;
  /** Takes the endpoint for one attempt, by one conditional statement; null when not due, disabled or held. */
  lease(endpointId: number, owner: string, now: number, leaseMs: number): Promise<WebhookLease | null>;
  /** Ends the attempt: the endpoint left as `end` and its log row written, in one transaction, if the lease still holds. */
  finish(lease: WebhookLease, end: WebhookAttemptEnd): Promise<boolean>;
  /** Events with ids in (afterId, upTo], by id, at most `limit`. */
  eventsAfter(afterId: number, upTo: number, limit: number): Promise<OutgoingEvent[]>;
  /** The newest event id visible now (0 without events). */
  newestEventId(): Promise<number>;
  /** The highest event id at or below which every event that will ever commit is visible now (storage/settled-events.ts). */
  settledEventId(): Promise<number>;
}

/** A POST to a receiver: its status, or the reason it gave none (refused, timed out). */
export type WebhookResponse = { status: number } | { error: string };

export interface WebhookHttpClient {
  post(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<WebhookResponse>;
}

/** What an API key may do: everything, read reports only, or record delivery events only. */
export const KEY_SCOPES = ['admin', 'reports', 'ingest'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** What a person may do: everything, everything but accounts/keys/settings, or read only. */
export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export interface User {
  id: number;
  /** Lower-cased. */
  email: string;
  name: string;
  role: Role;
  createdAt: number;
}

export interface UserRecord extends User {
  /** The scrypt hash with its parameters and salt (app/passwords.ts). */
  passwordHash: string;
}

export interface SessionRecord {
  /** Hex SHA-256 of the cookie's secret. */
  id: string;
  userId: number;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/** Failed sign-ins counted in a window: how many, and when the oldest counted was. */
export interface FailureCount {
  count: number;
  oldest: number | null;
}

export interface UserStore {
  /** Null when the address is taken. */
  createUser(user: Omit<UserRecord, 'id'>): Promise<User | null>;
  getUser(id: number): Promise<UserRecord | null>;
  findUserByEmail(email: string): Promise<UserRecord | null>;
  /** Every account, by id. */
  listUsers(): Promise<User[]>;
  countAdmins(): Promise<number>;
  /** Null when no such user. */
  updateUser(id: number, changes: Partial<Pick<UserRecord, 'name' | 'role' | 'passwordHash'>>): Promise<User | null>;
  /** Deletes the account with its sessions; false when no such user. */
  deleteUser(id: number): Promise<boolean>;
  createSession(session: SessionRecord): Promise<void>;
  findSession(id: string): Promise<SessionRecord | null>;
  /** Moves last_seen_at to `now` unless it is after `staleAt` (one write a minute per session, across nodes). */
  touchSession(id: string, now: number, staleAt: number): Promise<void>;
  deleteSession(id: string): Promise<void>;
  /** Deletes the sessions unused since `idleBefore` or past their expiry at `now`. */
  deleteExpiredSessions(idleBefore: number, now: number): Promise<void>;
  /** Deletes the user's sessions but `except`; returns how many. */
  deleteUserSessions(userId: number, except?: string): Promise<number>;
  /** Failures since `since` for this address and client, and for this client whatever the address. */
  countFailures(email: string, address: string, since: number): Promise<{ account: FailureCount; client: FailureCount }>;
  /**
   * Records an attempt as a failure until it succeeds (so that attempts made at once count each other),
   * forgets those before `forgetBefore` (the window has passed them), and returns its id.
   */
  recordFailure(email: string, address: string, at: number, forgetBefore: number): Promise<number>;
  /** Forgets one recorded attempt: one refused before its password was checked. */
  forgetFailure(id: number): Promise<void>;
  /** Forgets the failures of this address from this client (a successful sign-in). */
  clearFailures(email: string, address: string): Promise<void>;
}
