/**
 * A message's status and the facts a campaign report counts, derived from its events: never stored,
 * never patched by whoever wrote last. Everything here is defined once, as data where SQL must say
 * the same thing: the report's query (adapters/storage/report-queries.ts) is compiled from
 * EVIDENCE, STATUS_PRECEDENCE, OUTCOME_STATUSES and REASON_EVIDENCE, so a message's status, its
 * place in the report's counts and the reason it is counted under cannot drift apart.
 * docs/glossary.md (Status, Counts) gives the reasons.
 */
import { PROBE_METHOD, type BounceType, type EventSource, type EventType } from './events.js';
// The honeypot link is one no person can see or reach: a hit on it is never a click.
import { HONEYPOT_ORDINAL } from './instrument/honeypot.js';
import { VERDICTS, type Verdict } from './nhi/verdict.js';

export type MessageStatus =
  | { state: 'queued' }
  | { state: 'blocked' }
  | { state: 'sending' }
  | { state: 'sent' }
  | { state: 'deferred' }
  | { state: 'delivered' }
  | { state: 'bounced'; bounceType: BounceType }
  | { state: 'opened' }
  | { state: 'clicked' }
  | { state: 'unsubscribed' }
  | { state: 'complained' };

export interface StatusEvent {
  type: EventType;
  at: number;
  /** HTTP method for hits; null for facts that are not requests to our endpoints. */
  method?: string | null;
  /** Link ordinal for clicks. */
  linkOrdinal?: number | null;
  bounceType?: BounceType | null;
  /** Who was behind a hit (null for other events): engagement is also counted per verdict. */
  verdict?: Verdict | null;
  /** Why, for bounces, deferrals and blocks (events.reason); null when the report did not say. */
  reason?: string | null;
  /** The stored event's id: of two events at the same time, the one recorded later (higher id) is the later. */
  id?: number | null;
  /** Who reported it: a deferral from our own relay ('smtp') is a retry still to come, not the recipient's server deferring. */
  source?: EventSource | null;
}


/**
 * What one event must be to count as evidence. `engagement` excludes probes and, for clicks, the
 * honeypot; a bounce without a type is soft (nothing says it is final).
 */
export interface EventTest {
  type: EventType;
  engagement?: true;
  bounceType?: BounceType;
  /** False: not reported by our own relay (source 'smtp'). */
  fromRelay?: false;
}

/**
 * The source of our own relay's answers. Its 4xx (or silence) means the message waits in our send
 * queue for another attempt: it is still being sent (`sending`), not deferred by the recipient's
 * server, and it is not counted as sent, since the relay has not accepted it.
 */
export const RELAY_SOURCE: EventSource = 'smtp';

const OPEN_HIT: EventTest = { type: 'opened', engagement: true };
const CLICK_HIT: EventTest = { type: 'clicked', engagement: true };
/** An open hit and a click hit as the report counts them (total opens, total clicks, per link). */
export const ENGAGEMENT_HITS = { open: OPEN_HIT, click: CLICK_HIT } as const;

/**
 * What a message can have evidence of: it has it when at least one of its events passes one of the
 * tests. `byVerdict` evidence comes from hits and is also counted per verdict.
 */
export const EVIDENCE = {
  handover: { tests: [{ type: 'sending' }] },
  sentReport: { tests: [{ type: 'sent' }] },
  deliveryReport: { tests: [{ type: 'delivered' }] },
  // A deferral after acceptance: the recipient's server answered 4xx to the relay or provider that holds it.
  deferral: { tests: [{ type: 'deferred', fromRelay: false }] },
  hardBounce: { tests: [{ type: 'bounced', bounceType: 'hard' }] },
  softBounce: { tests: [{ type: 'bounced', bounceType: 'soft' }] },
  block: { tests: [{ type: 'blocked' }] },
  complaint: { tests: [{ type: 'complained' }] },
  unsubscribe: { tests: [{ type: 'unsubscribed' }] },
  // A click is made from the opened message, so it is an open too (an inferred one when no open hit came first).
  open: { tests: [OPEN_HIT, CLICK_HIT], byVerdict: true },
  click: { tests: [CLICK_HIT], byVerdict: true },
} as const satisfies Record<string, { tests: readonly EventTest[]; byVerdict?: true }>;
export type EvidenceName = keyof typeof EVIDENCE;
export type Evidence = Record<EvidenceName, boolean>;
export const EVIDENCE_NAMES = Object.keys(EVIDENCE) as EvidenceName[];

/** Counting scope: all hits, or only the hits of one verdict. */
export type Scope = 'all' | Verdict;
export const SCOPES: readonly Scope[] = ['all', ...VERDICTS];

export function passes(event: StatusEvent, test: EventTest): boolean {
  if (event.type !== test.type) return false;
  if (test.bounceType !== undefined && (event.bounceType === 'hard' ? 'hard' : 'soft') !== test.bounceType) return false;
  if (test.fromRelay === false && event.source === RELAY_SOURCE) return false;
  if (test.engagement && (event.method === PROBE_METHOD || (event.type === 'clicked' && event.linkOrdinal === HONEYPOT_ORDINAL))) return false;
  return true;
}

/** Whether this evidence comes from hits, and so is also counted per verdict. */
export function isPerVerdict(name: EvidenceName): boolean {
  return 'byVerdict' in EVIDENCE[name];
}

/** The message's evidence; evidence from hits counts only the hits of `scope`. */
export function evidenceOf(events: readonly StatusEvent[], scope: Scope = 'all'): Evidence {
  const evidence = {} as Evidence;
  for (const name of EVIDENCE_NAMES) {
    const tests: readonly EventTest[] = EVIDENCE[name].tests;
    const inScope = (e: StatusEvent) => scope === 'all' || !isPerVerdict(name) || e.verdict === scope;
    evidence[name] = events.some((e) => inScope(e) && tests.some((t) => passes(e, t)));
  }
  return evidence;
}

/** A status as one word, for SQL and tables: bounces carry their type. */
export type StatusKey = Exclude<MessageStatus['state'], 'bounced'> | 'bounced-hard' | 'bounced-soft';

export function statusKey(status: MessageStatus): StatusKey {
  return status.state === 'bounced' ? `bounced-${status.bounceType}` : status.state;
}

export function statusOfKey(key: StatusKey): MessageStatus {
  if (key === 'bounced-hard') return { state: 'bounced', bounceType: 'hard' };
  if (key === 'bounced-soft') return { state: 'bounced', bounceType: 'soft' };
  return { state: key };
}

/**
 * The precedence of statuses, highest first: a message's status is the first one whose evidence it
 * has, whatever order the events came in (reports arrive late and out of order). The reasons, in
 * docs/glossary.md: the recipient's own word (complaint, unsubscribe) tops what it did (click, open);
 * any of these proves the message reached a mailbox, so it tops every bounce; a hard bounce is final
 * over a delivery report, a delivery over a soft bounce (a retry that worked), a soft bounce (retries
 * given up) over a deferral (still retrying), all of them over a bare send; a send (accepted by the
 * relay) over a hand-over to the relay; a hand-over over a block, since a block records an attempt
 * that was refused (a suppressed address, a duplicate send) and the hand-over one that went out.
 */
export const STATUS_PRECEDENCE: readonly { key: StatusKey; evidence: EvidenceName | null }[] = [
  { key: 'complained', evidence: 'complaint' },
  { key: 'unsubscribed', evidence: 'unsubscribe' },
  { key: 'clicked', evidence: 'click' },
  { key: 'opened', evidence: 'open' },
  { key: 'bounced-hard', evidence: 'hardBounce' },
  { key: 'delivered', evidence: 'deliveryReport' },
  { key: 'bounced-soft', evidence: 'softBounce' },
  { key: 'deferred', evidence: 'deferral' },
  { key: 'sent', evidence: 'sentReport' },
  { key: 'sending', evidence: 'handover' },
  { key: 'blocked', evidence: 'block' },
  { key: 'queued', evidence: null },
];

export function statusFromEvidence(evidence: Evidence): MessageStatus {
  const first = STATUS_PRECEDENCE.find((s) => s.evidence === null || evidence[s.evidence])!;
  return statusOfKey(first.key);
}

export function deriveStatus(events: readonly StatusEvent[]): MessageStatus {
  return statusFromEvidence(evidenceOf(events));
}

/**
 * The delivery outcomes a report counts, each the set of statuses it takes in: besides `attempted`
 * and `sent`, every message counts in exactly one of delivered, hard bounced, soft bounced,
 * deferred, sending, blocked, or none (queued, or sent with no report yet). A recipient's open, click, unsubscribe or complaint proves
 * delivery. `sent` is what the relay accepted: a message the relay still holds (`sending`) is not
 * sent yet. `attempted` is every message a send was tried for (all but queued): the blocked rate's
 * denominator, as Mailjet's "sent" counts its blocked messages.
 */
export const OUTCOME_STATUSES = {
  attempted: ['complained', 'unsubscribed', 'clicked', 'opened', 'bounced-hard', 'delivered', 'bounced-soft', 'deferred', 'sent', 'sending', 'blocked'],
  sent: ['complained', 'unsubscribed', 'clicked', 'opened', 'bounced-hard', 'delivered', 'bounced-soft', 'deferred', 'sent'],
  sending: ['sending'],
  delivered: ['complained', 'unsubscribed', 'clicked', 'opened', 'delivered'],
  hardBounced: ['bounced-hard'],
  softBounced: ['bounced-soft'],
  deferred: ['deferred'],
  blocked: ['blocked'],
} as const satisfies Record<string, readonly StatusKey[]>;
export type Outcome = keyof typeof OUTCOME_STATUSES;
export const OUTCOMES = Object.keys(OUTCOME_STATUSES) as Outcome[];

/** Engagement facts of one scope: what the report's unique figures count. */
export interface EngagementFacts {
  opened: boolean;
  clicked: boolean;
  /** Clicked with no open hit at or before the first click: the open is known only from the click. */
  inferredOpen: boolean;
  /** Opened and unsubscribed: the unsubscribe rate's numerator, so it is a subset of its denominator. */
  unsubscribedOpen: boolean;
}

/**
 * The statuses that one kind of event decides, with the evidence whose event gives the reason the
 * message is counted under: the latest such event (by time, then by id), since it is the one that
 * decided the status (a hard bounce after soft ones; the last of several refused attempts).
 */
export const REASON_EVIDENCE = {
  'bounced-hard': 'hardBounce',
  'bounced-soft': 'softBounce',
  blocked: 'block',
} as const satisfies Partial<Record<StatusKey, EvidenceName>>;
export type StatusWithReason = keyof typeof REASON_EVIDENCE;

/** The report's counts by reason, each over the statuses it takes in: reason -> messages. */
export const REASON_COUNTS = {
  bouncesByReason: ['bounced-hard', 'bounced-soft'],
  blockedByReason: ['blocked'],
} as const satisfies Record<string, readonly StatusWithReason[]>;
export type ReasonCount = keyof typeof REASON_COUNTS;
export const REASON_COUNT_NAMES = Object.keys(REASON_COUNTS) as ReasonCount[];

/**
 * The reason a message is counted under when its deciding event gives none (a bounce reported
 * without one, a block written before blocks carried one): the bounce taxonomy's word for "nothing
 * known" (core/outcomes/reasons.ts), so that the counts by reason still add up to the outcome.
 */
export const NO_REASON = 'undefined';

export function hasReason(key: StatusKey): key is StatusWithReason {
  return key in REASON_EVIDENCE;
}

/** Later in time; at the same time, recorded later (higher id), else later in the list. */
export function isLater(candidate: StatusEvent, than: StatusEvent): boolean {
  if (candidate.at !== than.at) return candidate.at > than.at;
  return (candidate.id ?? -Infinity) >= (than.id ?? -Infinity);
}

/** The reason of the event that decided this status (REASON_EVIDENCE), or null for a status without one. */
export function decidingReason(events: readonly StatusEvent[], key: StatusKey): string | null {
  if (!hasReason(key)) return null;
  const tests: readonly EventTest[] = EVIDENCE[REASON_EVIDENCE[key]].tests;
  let deciding: StatusEvent | null = null;
  for (const e of events) if (tests.some((t) => passes(e, t)) && (deciding === null || isLater(e, deciding))) deciding = e;
  return deciding === null ? null : (deciding.reason ?? NO_REASON);
}

/** The facts a campaign report sums for one message: each count is the number of messages with the fact. */
export type ReportFacts = Record<Outcome, boolean> & { complained: boolean; unsubscribed: boolean } & {
  status: StatusKey;
  /** The reason it is counted under in the counts by reason (REASON_COUNTS); null when its status has none. */
  reason: string | null;
  byScope: Record<Scope, EngagementFacts>;
};

export function isInferredOpen(firstOpenAt: number | null, firstClickAt: number | null): boolean {
  return firstClickAt !== null && (firstOpenAt === null || firstOpenAt > firstClickAt);
}

function firstAt(events: readonly StatusEvent[], test: EventTest, scope: Scope): number | null {
  let first: number | null = null;
  for (const e of events) if (passes(e, test) && (scope === 'all' || e.verdict === scope) && (first === null || e.at < first)) first = e.at;
  return first;
}

export function engagementFacts(events: readonly StatusEvent[], scope: Scope): EngagementFacts {
  const evidence = evidenceOf(events, scope);
  return {
    opened: evidence.open,
    clicked: evidence.click,
    inferredOpen: isInferredOpen(firstAt(events, OPEN_HIT, scope), firstAt(events, CLICK_HIT, scope)),
    unsubscribedOpen: evidence.open && evidence.unsubscribe,
  };
}

/** A click with no open at or before it implies an open the pixel did not see (images off, or cached). */
export function hasInferredOpen(events: readonly StatusEvent[]): boolean {
  return engagementFacts(events, 'all').inferredOpen;
}

export function reportFacts(events: readonly StatusEvent[]): ReportFacts {
  const evidence = evidenceOf(events);
  const key = statusKey(statusFromEvidence(evidence));
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, (OUTCOME_STATUSES[o] as readonly StatusKey[]).includes(key)])) as Record<Outcome, boolean>;
  const byScope = Object.fromEntries(SCOPES.map((s) => [s, engagementFacts(events, s)])) as Record<Scope, EngagementFacts>;
  return { ...outcomes, complained: evidence.complaint, unsubscribed: evidence.unsubscribe, status: key, reason: decidingReason(events, key), byScope };
}
