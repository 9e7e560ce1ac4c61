/**
 * Table types for Kysely. One schema for SQLite and PostgreSQL: times are epoch milliseconds in
 * integer (bigint) columns, booleans are 0/1 integers, JSON is stored as text.
 */
import type { Generated, Insertable, Selectable } from 'kysely';

export interface SigningKeysTable {
  id: number;
  /** Base64 of the plain secret, in rows written before migration 0007 until sealed; '' once sealed. */
  secret: string;
  /** The secret sealed under the secret key (base64), null until sealed. */
  sealed: string | null;
  /** Fingerprint of the secret key that sealed it. */
  sealed_by: string | null;
  created_at: number;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  secret_hash: string; // hex SHA-256 of the secret part
  created_at: number;
  revoked_at: number | null;
  /** What the key may do: admin, reports or ingest (migration 0014; older keys: admin). */
  scope: Generated<string>;
  /** When it last authenticated a request, to the minute (migration 0014). */
  last_used_at: number | null;
}

export interface ContactsTable {
  id: Generated<number>;
  email: string; // lower-cased
  attributes: string; // JSON object
  consent: number; // 1 = tracking allowed
  created_at: number;
}

export interface CampaignsTable {
  id: Generated<number>;
  name: string;
  kind: string;
  track_opens: number;
  track_clicks: number;
  tracking_base_url: string | null;
  honeypot: number;
  created_at: number;
  /** 1: its executions may go to one address more than once (migration 0009). */
  allow_duplicates: Generated<number>;
}

export interface ExecutionsTable {
  id: Generated<number>;
  campaign_id: number;
  subject: string;
  html: string | null;
  text: string | null;
  created_at: number;
  /** JSON StoredPlan (core/instrument/stored-plan.ts); null for executions created before migration 0006. */
  plan: string | null;
}

export interface LinkOccurrencesTable {
  execution_id: number;
  ordinal: number;
  part: string;
  url: string;
  raw: string;
  anchor_text: string;
  condition: string | null;
}

export interface MessagesTable {
  id: Generated<number>;
  execution_id: number;
  campaign_id: number;
  contact_id: number | null;
  recipients: string; // JSON {to: string[], cc: string[]}
  recipient_count: number;
  created_at: number;
  consent: number; // 1 = every recipient allowed tracking when the message was created
  /** The Message-ID header, `<token@domain>` (migration 0009); null for older messages until rendered. */
  message_id_header: string | null;
}

/** A message mailsight hands to the relay: one row per message (migration 0009). */
export interface SendQueueTable {
  message_id: number;
  /** pending (an attempt is due at next_attempt_at), or final: sent, bounced, expired, blocked. */
  state: string;
  /** Attempts started, including one in progress. */
  attempts: number;
  enqueued_at: number;
  next_attempt_at: number;
  /** The attempt holding the message (a random token), and until when; null between attempts. */
  lease_token: string | null;
  lease_until: number | null;
  updated_at: number;
}

/** What a message holds so that no later one repeats it (an address in an execution, a deduplication key). */
export interface SendReservationsTable {
  scope: string;
  key: string;
  message_id: number;
  created_at: number;
}

/** The message a request carrying an Idempotency-Key created, per API key. */
export interface IdempotencyKeysTable {
  api_key_id: string;
  key: string;
  fingerprint: string; // hex SHA-256 of the request, canonical JSON
  message_id: number | null;
  created_at: number;
}

export interface EventsTable {
  id: Generated<number>;
  message_id: number;
  campaign_id: number;
  type: string;
  /** hard/soft for bounces, the feedback type for complaints, how for unsubscribes. */
  subtype: string | null;
  /** Lower-cased recipient address the fact is about (migration 0008); null when the message had one. */
  recipient: string | null;
  /** Why, for bounces, deferrals and blocks (migration 0008). */
  reason: string | null;
  at: number;
  source: string;
  link_ordinal: number | null;
  method: string | null;
  ip: string | null;
  user_agent: string | null;
  headers: string | null; // JSON
  detail: string | null; // JSON
  dedupe_key: string | null;
  recorded_at: number;
  verdict: string | null;
  reasons: string | null; // JSON string[]
  verdict_at: number | null;
  anonymous: Generated<number>;
  /** The writer that recorded a hit (one per node and start); null for other events. */
  writer: string | null;
}

export interface VerdictRevisionsTable {
  id: Generated<number>;
  event_id: number;
  previous_verdict: string | null;
  previous_reasons: string | null;
  verdict: string;
  reasons: string;
  at: number;
}

/** The suppression list as it stands: one row per address (lower-cased). */
export interface SuppressionsTable {
  email: string;
  /** One of SUPPRESSION_REASONS (core/suppression-rules.ts). */
  reason: string;
  /** The event source that caused it (api, webhook, dsn, unsubscribe...), or `manual` / `import`. */
  source: string;
  created_at: number;
  /** Null: permanent. Compared with the time of each check: nothing deletes an expired row. */
  expires_at: number | null;
  /** The event that caused it (migration 0010); null for manual entries and imports. */
  event_id: number | null;
  /** Who: `system`, `api-key:<id>`, `cli:<os user>` (migration 0010). */
  actor: string | null;
  note: string | null;
}

/** Every change to the suppression list, written in the transaction that made it (migration 0010). */
export interface SuppressionChangesTable {
  id: Generated<number>;
  email: string;
  action: string; // added | extended | removed
  reason: string;
  /** The entry's expiry after the change (for `removed`, the one it had). */
  expires_at: number | null;
  actor: string;
  note: string | null;
  event_id: number | null;
  at: number;
}

/** A report that did not become events: kept for review (migration 0011). */
export interface InboundReportsTable {
  id: Generated<number>;
  /** What makes the same report stored once: a hash of the raw mail, or the reporter's id of an outcome. */
  digest: string;
  received_at: number;
  /** Where it came from: 'smtp', 'file', 'webhook:<provider>'. */
  origin: string;
  /** unparseable | unmatched | auth-failure | auto-reply | not-a-report */
  state: string;
  reason: string;
  outcomes: string | null; // JSON ReportedOutcome[]
  /** The raw mail, base64 (mail may hold any byte); null for webhook outcomes. */
  raw: string | null;
}

/** A provider's id for a message (migration 0011). */
export interface MessageRefsTable {
  provider: string;
  ref: string;
  message_id: number;
}

export interface WebhookNoncesTable {
  scope: string;
  value: string;
  expires_at: number;
}

/** A named report counter of an execution (migration 0012, core/report-counters.ts). */
export interface ReportCountersTable {
  execution_id: number;
  name: string;
  /** A counter is the sum of its shards' rows (migration 0012). */
  shard: number;
  campaign_id: number;
  value: number;
}

/** A message's status, deciding reason, provider and engagement flags, kept with the counters (migration 0012). */
export interface MessageFactsTable {
  message_id: number;
  campaign_id: number;
  execution_id: number;
  provider: string;
  status: string;
  reason: string | null;
  /** Bits of core/report-counters.ts flagBit. */
  flags: number;
}

/** A message's core/report-counters.ts MessageState, as JSON (migration 0012). */
export interface MessageStatesTable {
  message_id: number;
  state: string;
}

/** A domain's MX hosts and the mailbox provider they name (migration 0012). */
export interface MailDomainsTable {
  domain: string;
  provider: string;
  /** The MX host names, space-separated; '' when the lookup found none or failed. */
  mx: string;
  checked_at: number;
}

export interface ReportCounterStateTable {
  id: number;
  /** When the counters were last rebuilt from the events; null: never, they must be before use. */
  rebuilt_at: number | null;
}

export interface Database {
  signing_keys: SigningKeysTable;
  api_keys: ApiKeysTable;
  contacts: ContactsTable;
  campaigns: CampaignsTable;
  executions: ExecutionsTable;
  link_occurrences: LinkOccurrencesTable;
  messages: MessagesTable;
  events: EventsTable;
  suppressions: SuppressionsTable;
  suppression_changes: SuppressionChangesTable;
  verdict_revisions: VerdictRevisionsTable;
  send_queue: SendQueueTable;
  send_reservations: SendReservationsTable;
  idempotency_keys: IdempotencyKeysTable;
  inbound_reports: InboundReportsTable;
  message_refs: MessageRefsTable;
  webhook_nonces: WebhookNoncesTable;
  report_counters: ReportCountersTable;
  message_facts: MessageFactsTable;
  message_states: MessageStatesTable;
  report_counter_state: ReportCounterStateTable;
  mail_domains: MailDomainsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  users: UsersTable;
  sessions: SessionsTable;
  sign_in_failures: SignInFailuresTable;
}

export type EventRow = Selectable<EventsTable>;
export type NewEventRow = Insertable<EventsTable>;
export type NewVerdictRevisionRow = Insertable<VerdictRevisionsTable>;
export type CampaignRow = Selectable<CampaignsTable>;
export type ExecutionRow = Selectable<ExecutionsTable>;
export type LinkRow = Selectable<LinkOccurrencesTable>;
export type MessageRow = Selectable<MessagesTable>;
export type ContactRow = Selectable<ContactsTable>;
export type SuppressionRow = Selectable<SuppressionsTable>;
export type SuppressionChangeRow = Selectable<SuppressionChangesTable>;

/** A URL that receives every event, signed with its secret (migration 0015). */
export interface WebhookEndpointsTable {
  id: Generated<number>;
  url: string;
  description: string;
  /** The signing secret sealed under the secret key (base64), with the endpoint id as associated data. */
  secret_sealed: string;
  /** Fingerprint of the secret key that sealed it. */
  secret_sealed_by: string;
  created_at: number;
  /** Set when deleted: nothing is delivered to it after, its log stays. */
  disabled_at: number | null;
  /** The last event id the endpoint acknowledged (2xx); it receives the events after. */
  cursor: number;
  next_attempt_at: number;
  /** Attempts in a row that failed: the backoff's exponent; 0 after a success. */
  failures: number;
  /** The attempt delivering it now (a random token) and until when; null between attempts. */
  lease_owner: string | null;
  lease_until: number | null;
}

/** One attempt to deliver a batch of events to an endpoint (migration 0015). */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  endpoint_id: number;
  at: number;
  first_event_id: number;
  last_event_id: number;
  event_count: number;
  /** The attempt's number for this batch, from 1 (failures before it + 1). */
  attempt: number;
  /** The receiver's status; null when it did not answer (refused, timed out). */
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

/** An account that signs in to the dashboard (migration 0014). */
export interface UsersTable {
  id: Generated<number>;
  email: string; // lower-cased, unique
  name: string;
  role: string; // admin, editor or viewer
  /** `scrypt$N$r$p$salt$hash` (base64url salt and hash): the parameters travel with the hash. */
  password_hash: string;
  created_at: number;
}

/** A signed-in browser (migration 0014). */
export interface SessionsTable {
  /** Hex SHA-256 of the cookie's secret: the secret itself is never stored. */
  id: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  /** Last request seen, to the minute: the idle expiry counts from it. */
  last_seen_at: number;
  /** The absolute expiry, whatever the use. */
  expires_at: number;
}

/** One failed sign-in, shared by every node (migration 0014). */
export interface SignInFailuresTable {
  id: Generated<number>;
  email: string; // lower-cased, as typed: unknown addresses are counted too
  address: string; // the client address
  at: number;
}
