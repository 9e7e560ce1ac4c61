/**
 * The write side of tracking: a batch of hits (and delivery times learnt since) is classified in
 * arrival order, then written in one transaction: new hits with their verdicts, earlier hits whose
 * verdict the new evidence changed as revisions.
 *
 * Everything that crosses into the writer is plain data (`HitWrite`), so the same writer runs either
 * on the event loop that answers the requests or on a thread of its own, with its own database
 * connection (see adapters/writer-thread). The classifier's memory of recent hits lives with the writer.
 */
import { HIT_EVENTS, type HitDetail, type NewEvent, type StoredJudgement, type VerdictRevision } from '../core/events.js';
import { HitClassifier, RETAIN_MS } from '../core/nhi/hit-classifier.js';
import { truncateIp } from '../core/nhi/ip-address.js';
import { selfAddressMatcher } from '../core/nhi/self-addresses.js';
import type { HitFacts, Judgement, MessageFacts } from '../core/nhi/verdict.js';
import type { EventStore, NetworkLookup, RecordedHit } from './ports.js';

/**
 * One request to a tracking endpoint, as the writer needs it: the request (with the full client IP:
 * classification needs it whole, storage may keep it truncated) and what its token points to.
 */
export type HitRecord = Omit<HitFacts, 'networks'> &
  Required<MessageFacts> & {
    /** False when the contact withheld consent: the hit is kept without IP, user agent or headers. */
    consent: boolean;
  };

/** A delivery time learnt after hits were judged: goes through the same queue, so verdicts change in order. */
export interface DeliveryNote {
  messageId: number;
  sentAt: number | null;
  deliveredAt: number | null;
}

export type HitWrite = { kind: 'hit'; hit: HitRecord } | ({ kind: 'delivery' } & DeliveryNote);

export interface HitWriter {
  /**
   * True when `write` only hands the batch over to another thread, which merges the batches it
   * receives into its own commits: the caller then sends each batch as soon as it is formed.
   */
  readonly handsOver?: boolean;
  /**
   * Classifies and durably writes one batch; resolves once it is committed. `now` is the time of the
   * batch (verdict and recording times), from the clock of whoever accepted the hits.
   */
  write(batch: readonly HitWrite[], now: number): Promise<void>;
  close(): Promise<void>;
}

export interface HitWriterOptions {
  /** `truncated` stores IPs as their /24 (IPv4) or /48 (IPv6) network, after classification saw them whole. */
  ipStorage: 'full' | 'truncated';
  /** This writer's name (the node's, NODE_ID), stored with each hit it writes. */
  writerId: string;
  /**
   * Other writers (other nodes) write to the same database: before each batch, the hits they wrote
   * since the last batch are taken in as evidence, so that a burst spread over several nodes is seen.
   */
  shared: boolean;
  /**
   * SELF_ADDRESSES: the sender's own addresses and @domains. Hits taken back from the database
   * (after a restart, or from another node) on messages to them are the sender's, as when recorded.
   */
  selfAddresses: readonly string[];
}

/** The request as stored: nothing identifying without consent, a truncated IP if so configured. */
export function keptRequest(request: Omit<HitDetail, 'linkOrdinal'>, consent: boolean, ipStorage: HitWriterOptions['ipStorage']): Omit<HitDetail, 'linkOrdinal'> {
  if (!consent) return { method: request.method, ip: null, userAgent: null, headers: {} };
  const ip = request.ip && ipStorage === 'truncated' ? truncateIp(request.ip) : request.ip;
  return { method: request.method, ip, userAgent: request.userAgent, headers: request.headers };
}

/** Where a hit's stored row is, once written, and the verdict it was stored with. */
interface HitRef {
  eventId: number | null;
  stored: StoredJudgement | null;
  /**
   * Written by another writer (another node). Its verdict here may change, as evidence for the hits
   * here, but its row is left to its own writer: two nodes updating each other's rows could deadlock.
   */
  foreign?: true;
}

/** Hits taken back into memory at most when the writer starts (the classifier keeps fewer anyway). */
const WARM_LIMIT = 200_000;
/** Other writers' hits taken in before one batch at most: beyond, the oldest are skipped. */
const CATCH_UP_LIMIT = 5_000;

export class ClassifyingHitWriter implements HitWriter {
  readonly #classifier = new HitClassifier<HitRef>();
  readonly #isSelfAddress: (email: string) => boolean;
  /** Other writers' hits up to this id have been taken in. */
  #seenId = 0;

  constructor(
    private readonly events: EventStore,
    private readonly networks: () => NetworkLookup,
    private readonly options: HitWriterOptions,
  ) {
    this.#isSelfAddress = selfAddressMatcher(options.selfAddresses);
  }

  /**
   * Classifies and writes the batch. The classifier's memory changes with the batch only if the batch
   * is written: if anything fails, it is put back as it was (and other writers' hits taken in for the
   * batch are read again with the next), so that hits that were not written are no evidence, and no
   * verdict stays revised in memory that was not revised in the database.
   */
  async write(batch: readonly HitWrite[], now: number): Promise<void> {
    const seenId = this.#seenId;
    this.#classifier.begin();
    try {
      await this.#write(batch, now);
    } catch (error) {
      this.#classifier.rollback();
      this.#seenId = seenId;
      throw error;
    }
    this.#classifier.commit();
  }

  async #write(batch: readonly HitWrite[], now: number): Promise<void> {
    const latest = new Map<HitRef, Judgement>();
    if (this.options.shared) await this.#catchUp(now, latest);
    const hits: { record: HitRecord; ref: HitRef }[] = [];
    for (const item of batch) {
      if (item.kind === 'delivery') {
        for (const r of this.#classifier.noteDelivery(item.messageId, item)) latest.set(r.ref, r.judgement);
        continue;
      }
      const record = item.hit;
      const ref: HitRef = { eventId: null, stored: null };
      hits.push({ record, ref });
      // The record carries the message's facts as well as the request's.
      const observation = this.#classifier.observe(ref, this.#facts(record, record.ip), record);
      latest.set(ref, observation.judgement);
      for (const r of observation.revised) latest.set(r.ref, r.judgement);
    }
    const events = hits.map(({ record, ref }) => this.#event(record, { ...latest.get(ref)!, at: now }));
    // Hits written earlier whose verdict changed; hits of this batch are simply written as they now stand.
    const revised: [HitRef, VerdictRevision][] = [];
    for (const [ref, judgement] of latest) {
      if (ref.eventId === null || ref.foreign || sameJudgement(ref.stored, judgement)) continue;
      revised.push([ref, { eventId: ref.eventId, previous: ref.stored, next: { ...judgement, at: now } }]);
    }
    const ids = await this.events.appendHits(
      events,
      revised.map(([, revision]) => revision),
      now,
    );
    hits.forEach(({ ref }, i) => {
      ref.eventId = ids[i]!;
      ref.stored = events[i]!.judgement!;
    });
    for (const [ref, revision] of revised) ref.stored = revision.next;
  }

  async close(): Promise<void> {}

  /**
   * Takes the hits recorded since `since` back into the classifier's memory, as they were judged, so
   * that a burst that began before a restart is still seen whole. Stored IPs may be truncated or
   * missing (anonymous hits): such hits count only within their message, never across recipients.
   * Returns how many hits were taken back.
   */
  async warm(since: number, limit = WARM_LIMIT): Promise<number> {
    const hits = await this.events.recentHits(since, limit);
    // With other writers on the database, only this writer's own rows may be revised by it.
    for (const h of hits) this.#classifier.remember(...this.#recorded(h, this.options.shared && h.writer !== this.options.writerId));
    // Other writers' hits are taken in from the newest id on: those before it were just read.
    if (this.options.shared) this.#seenId = (await this.events.otherWritersHits(this.#seenId, this.options.writerId, 0)).upTo;
    return hits.length;
  }

  /** Takes in the hits other writers recorded since the last batch; the verdicts here they change go into `latest`. */
  async #catchUp(now: number, latest: Map<HitRef, Judgement>): Promise<void> {
    const { hits, upTo } = await this.events.otherWritersHits(this.#seenId, this.options.writerId, CATCH_UP_LIMIT);
    this.#seenId = upTo;
    for (const h of hits) {
      // Older than the classifier keeps: no window reaches it.
      if (now - h.at > RETAIN_MS) continue;
      for (const r of this.#classifier.absorb(...this.#recorded(h, true))) latest.set(r.ref, r.judgement);
    }
  }

  /** A recorded hit as the classifier takes it: its stored verdict, and its IP only when stored whole. */
  #recorded(h: RecordedHit, foreign: boolean): [HitRef, HitFacts, MessageFacts, Judgement] {
    const facts = this.#facts(h, this.options.ipStorage === 'full' ? h.ip : null);
    const stored = h.judgement;
    const ref: HitRef = foreign ? { eventId: h.eventId, stored, foreign } : { eventId: h.eventId, stored };
    const message: MessageFacts = {
      messageId: h.messageId,
      campaignId: h.campaignId,
      sentAt: h.sentAt,
      deliveredAt: h.deliveredAt,
      linkCount: h.linkCount,
      selfRecipient: h.contactEmail !== null && this.#isSelfAddress(h.contactEmail),
    };
    return [ref, facts, message, { verdict: stored.verdict, reasons: stored.reasons }];
  }

  /** What the classifier knows of a hit, from the request or from its stored row; `ip` only when exact. */
  #facts(hit: Omit<HitFacts, 'ip' | 'networks'>, ip: string | null): HitFacts {
    return {
      kind: hit.kind,
      at: hit.at,
      method: hit.method,
      ip,
      userAgent: hit.userAgent,
      headers: hit.headers,
      linkOrdinal: hit.linkOrdinal,
      networks: ip ? this.networks().match(ip) : [],
    };
  }

  /** What is stored of a hit: nothing identifying without consent, a truncated IP if so configured. */
  #event(record: HitRecord, judgement: StoredJudgement): NewEvent {
    const kept = keptRequest(record, record.consent, this.options.ipStorage);
    return {
      messageId: record.messageId,
      campaignId: record.campaignId,
      type: HIT_EVENTS[record.kind].type,
      at: record.at,
      source: HIT_EVENTS[record.kind].source,
      hit: { ...kept, linkOrdinal: record.linkOrdinal },
      anonymous: !record.consent,
      judgement,
      writer: this.options.writerId,
    };
  }
}

function sameJudgement(stored: StoredJudgement | null, next: Judgement): boolean {
  return stored !== null && stored.verdict === next.verdict && stored.reasons.length === next.reasons.length && stored.reasons.every((r, i) => r === next.reasons[i]);
}
