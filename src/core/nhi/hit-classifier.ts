/**
 * The classifier: gives every hit a verdict with reasons, and revises earlier verdicts when later
 * hits bring evidence (a burst completed, a honeypot hit, the same IP clicking for many recipients).
 * Pure: time comes from the hits themselves; state is the recent activity it has seen.
 */
import { ALL_LINKS_MIN, ALL_LINKS_WINDOW_MS, BURST_WINDOW_MS, CROSS_RECIPIENT_MIN, CROSS_RECIPIENT_WIDE_WINDOW_MS, HONEYPOT_WINDOW_MS, RAPID_LINKS_MIN, RAPID_LINKS_WINDOW_MS, SCANNER_OPEN_WINDOW_MS, UA_CONSISTENCY_WINDOW_MS, WIDE_BURST_WINDOW_MS, atMachineSpeed, inHoneypotScan, independentSignals, isHoneypotHit, isLinkClick, isProbe, isScannerOpen, showsMachine, withinCrossRecipientWindow } from './burst-rules.js';
import { HitGroups, MAX_KEPT_HITS } from './hit-groups.js';
import { hitSignals, type HitSignals } from './hit-signals.js';
import type { HitFacts, Judgement, MessageFacts } from './verdict.js';

// The memory's bounds, with the memory (hit-groups.ts).
export { MAX_GROUP_HITS, MAX_GROUPS, MAX_KEPT_HITS, RETAIN_MS } from './hit-groups.js';
/** A new hit can change the verdict of earlier hits only this close to it: the widest window above. */
export const REVISION_WINDOW_MS = Math.max(HONEYPOT_WINDOW_MS, CROSS_RECIPIENT_WIDE_WINDOW_MS, SCANNER_OPEN_WINDOW_MS, UA_CONSISTENCY_WINDOW_MS, ALL_LINKS_WINDOW_MS);

export interface ClassifiedHit<R> {
  readonly ref: R;
  readonly hit: HitFacts;
  message: MessageFacts;
  judgement: Judgement;
  signals: HitSignals;
  /**
   * Contextual reasons found for this hit so far. What was seen around a hit stays true when the hits
   * that showed it are forgotten (groups are bounded), so forgetting never revises a verdict.
   */
  context: { certain: string[]; probable: string[] } | null;
}

export interface Observation<R> {
  judgement: Judgement;
  /** Earlier hits whose verdict or reasons changed because of this one. */
  revised: ClassifiedHit<R>[];
}

/** What an earlier hit's verdict rests on, as it stood before a batch first changed it. */
type SavedHit<R> = Pick<ClassifiedHit<R>, 'judgement' | 'context' | 'message' | 'signals'>;

export class HitClassifier<R> {
  readonly #byMessage: HitGroups<number, ClassifiedHit<R>>;
  readonly #byCampaignIp: HitGroups<string, ClassifiedHit<R>>;
  /**
   * Within a batch: each earlier hit the batch changed (judgement, context, message facts, signals),
   * as it was before. Every change to a kept hit goes through #change first; the batch's own new hits
   * need none, as they go with their groups.
   */
  #saved: Map<ClassifiedHit<R>, SavedHit<R>> | null = null;

  /** `maxKeptHits`: hits kept per kind of group (by message, by campaign and IP), MAX_KEPT_HITS unless given. */
  constructor(limits: { maxKeptHits?: number } = {}) {
    this.#byMessage = new HitGroups(limits.maxKeptHits ?? MAX_KEPT_HITS);
    this.#byCampaignIp = new HitGroups(limits.maxKeptHits ?? MAX_KEPT_HITS);
  }

  /** Hits held in memory (each is in its message's group, and a click also in its campaign-and-IP group). */
  get keptHits(): number {
    return this.#byMessage.hits;
  }

  /**
   * Opens a batch: what the observations, absorptions and delivery notes that follow change is kept,
   * until `commit` lets it stand or `rollback` takes it all back (the batch's hits were not written:
   * they must be no evidence, and no verdict may stay revised that was not revised where it is stored).
   * Costs a copy of each group and hit the batch changes, when it first changes it.
   */
  begin(): void {
    if (this.#saved !== null) throw new Error('a batch is already open: commit it or roll it back first');
    this.#saved = new Map();
    this.#byMessage.begin();
    this.#byCampaignIp.begin();
  }

  commit(): void {
    this.#saved = null;
    this.#byMessage.commit();
    this.#byCampaignIp.commit();
  }

  /** Forgets the batch's hits and puts every hit and group it changed back as it was before `begin`. */
  rollback(): void {
    if (this.#saved === null) throw new Error('no batch is open');
    for (const [e, before] of this.#saved) Object.assign(e, before);
    this.#saved = null;
    this.#byMessage.rollback();
    this.#byCampaignIp.rollback();
  }

  /** Within a batch, keeps `e` as it was before the batch first changed it. */
  #change(e: ClassifiedHit<R>): void {
    if (this.#saved === null || this.#saved.has(e)) return;
    const context = e.context && { certain: [...e.context.certain], probable: [...e.context.probable] };
    this.#saved.set(e, { judgement: e.judgement, context, message: e.message, signals: e.signals });
  }

  observe(ref: R, hit: HitFacts, message: MessageFacts): Observation<R> {
    const entry = this.#entry(ref, hit, message, { verdict: 'human', reasons: [] });
    const revised = this.#take(entry, true);
    return { judgement: entry.judgement, revised };
  }

  /**
   * A hit another writer judged (another node on the same database): taken in with its verdict as it
   * stands, as evidence about the hits here. Returns the hits here whose verdict it changed.
   */
  absorb(ref: R, hit: HitFacts, message: MessageFacts, judgement: Judgement): ClassifiedHit<R>[] {
    return this.#take(this.#entry(ref, hit, message, judgement), false);
  }

  #entry(ref: R, hit: HitFacts, message: MessageFacts, judgement: Judgement): ClassifiedHit<R> {
    return { ref, hit, message: this.#shared(message), signals: hitSignals(hit, message), judgement, context: null };
  }

  /** Adds `entry` to its groups, judges it when asked, and judges again the hits it can change. */
  #take(entry: ClassifiedHit<R>, judge: boolean): ClassifiedHit<R>[] {
    const { hit } = entry;
    const { own, cross } = this.#add(entry);

    // No other hit's verdict depends on an open (opens only ever look at clicks): only the open itself is judged.
    if (hit.kind === 'open') {
      if (judge) entry.judgement = this.#judge(entry);
      return [];
    }
    // A new hit only ever adds evidence of a machine, so a bot stays a bot: only the others are judged again...
    const affected: ClassifiedHit<R>[] = [];
    for (const group of [own, cross]) {
      for (const e of group) {
        const judged = e === entry ? judge : e.judgement.verdict !== 'bot';
        if (judged && Math.abs(e.hit.at - hit.at) <= REVISION_WINDOW_MS && !affected.includes(e)) affected.push(e);
      }
    }
    const revised = this.#rejudge(affected, entry);
    // ...and bots that belong to a burst the new hit completes are told so, to show why.
    for (const member of this.#burstMembers(entry, own, cross)) if (!revised.includes(member)) revised.push(member);
    return revised;
  }

  /**
   * Earlier bot hits that form a burst with `entry` and did not carry that burst's reason yet: the
   * reason is added. A cheap walk of the two groups, instead of judging every bot again; the burst
   * rules are the ones judging applies (the functions below the class).
   */
  #burstMembers(entry: ClassifiedHit<R>, own: readonly ClassifiedHit<R>[], cross: readonly ClassifiedHit<R>[]): ClassifiedHit<R>[] {
    const reasons = entry.judgement.reasons;
    const marks: [ClassifiedHit<R>, string][] = [];
    const mark = (members: readonly ClassifiedHit<R>[], reason: string, belongs: (o: ClassifiedHit<R>) => boolean) => {
      for (const o of members) if (o !== entry && o.judgement.verdict === 'bot' && !o.judgement.reasons.includes(reason) && belongs(o)) marks.push([o, reason]);
    };
    if (reasons.includes('burst:multi-link')) mark(own, 'burst:multi-link', (o) => atMachineSpeed(o, entry));
    if (entry.context?.certain.includes('burst:cross-recipient')) mark(cross, 'burst:cross-recipient', (o) => withinCrossRecipientWindow(entry, o));
    if (isHoneypotHit(entry)) mark(own, 'honeypot', (o) => inHoneypotScan(o, entry));
    mark(own, 'burst:scanner-open', (o) => isScannerOpen(o, entry));
    const changed: ClassifiedHit<R>[] = [];
    for (const [member, reason] of marks) {
      this.#change(member);
      member.context ??= { certain: [], probable: [] };
      if (!member.context.certain.includes(reason)) member.context.certain.push(reason);
      member.judgement = this.#judge(member);
      if (!changed.includes(member)) changed.push(member);
    }
    return changed;
  }

  /**
   * Takes an already judged hit back into memory as it stands, without judging anything (after a
   * restart: later hits see it in their bursts, and it can be revised as before).
   */
  remember(ref: R, hit: HitFacts, message: MessageFacts, judgement: Judgement): void {
    this.#add(this.#entry(ref, hit, message, judgement));
  }

  /** Adds a new hit to its groups (a click with an IP to its campaign-and-IP group too); returns them. */
  #add(entry: ClassifiedHit<R>): { own: ClassifiedHit<R>[]; cross: ClassifiedHit<R>[] } {
    const { hit, message } = entry;
    const own = this.#byMessage.add(message.messageId, entry);
    const cross = hit.kind !== 'open' && hit.ip ? this.#byCampaignIp.add(crossKey(message.campaignId, hit.ip), entry) : [];
    return { own, cross };
  }

  /** The message facts already kept for this message when they are the same: one object for its hits. */
  #shared(message: MessageFacts): MessageFacts {
    const kept = this.#byMessage.get(message.messageId);
    const last = kept?.[kept.length - 1]?.message;
    const same =
      last &&
      last.campaignId === message.campaignId &&
      last.sentAt === message.sentAt &&
      last.deliveredAt === message.deliveredAt &&
      last.linkCount === message.linkCount &&
      (last.selfRecipient ?? false) === (message.selfRecipient ?? false);
    return same ? last : message;
  }

  /**
   * Learns the message's send or delivery time after some of its hits were judged: a click that
   * turns out to predate delivery was made in transit. Returns the hits whose verdict changed.
   */
  noteDelivery(messageId: number, times: { sentAt: number | null; deliveredAt: number | null }): ClassifiedHit<R>[] {
    const own = this.#byMessage.get(messageId);
    if (!own) return [];
    for (const e of own) {
      this.#change(e);
      // A note may carry one fact alone (the other time null): the earliest time known of each stands.
      e.message = { ...e.message, sentAt: earliest(e.message.sentAt, times.sentAt), deliveredAt: earliest(e.message.deliveredAt, times.deliveredAt) };
      e.signals = hitSignals(e.hit, e.message);
    }
    const affected = new Set(own);
    for (const e of own) {
      if (e.hit.kind !== 'open' && e.hit.ip) for (const o of this.#byCampaignIp.get(crossKey(e.message.campaignId, e.hit.ip)) ?? []) affected.add(o);
    }
    return this.#rejudge([...affected], null);
  }

  #rejudge(affected: readonly ClassifiedHit<R>[], fresh: ClassifiedHit<R> | null): ClassifiedHit<R>[] {
    const revised: ClassifiedHit<R>[] = [];
    // Opens depend on the clicks' verdicts (scanner opens), so clicks are judged first.
    for (const opens of [false, true]) {
      for (const e of affected) {
        if ((e.hit.kind === 'open') !== opens) continue;
        if (e !== fresh) this.#change(e);
        const next = this.#judge(e);
        if (e !== fresh && !sameJudgement(e.judgement, next)) revised.push(e);
        e.judgement = next;
      }
    }
    return revised;
  }

  /**
   * Judges `e` from its signals and the hits around it; its caller sets the judgement. Its context may
   * grow here: an earlier hit goes through #change before.
   */
  #judge(e: ClassifiedHit<R>): Judgement {
    const s = e.signals;
    if (s.self.length > 0) return { verdict: 'self', reasons: unique(s.self) };
    const context = this.#remember(e, this.#contextual(e));
    const certain = unique([...s.certainBot, ...context.certain]);
    const probable = unique([...s.probableBot, ...s.cloud, ...context.probable]);
    if (certain.length > 0) return { verdict: 'bot', reasons: [...certain, ...probable] };
    if (e.hit.kind === 'open' && s.machine.length > 0) return { verdict: 'machine', reasons: unique(s.machine) };
    // A probable signal alone never decides; two independent ones do, unless a person is evident.
    if (independentSignals(probable) >= 2 && s.human.length === 0) return { verdict: 'bot', reasons: probable };
    return { verdict: 'human', reasons: unique([...s.human, ...probable]) };
  }

  /** Adds what was just found around `e` to what was found before; returns the whole. */
  #remember(e: ClassifiedHit<R>, found: { certain: string[]; probable: string[] }): { certain: string[]; probable: string[] } {
    if (e.context === null) {
      if (found.certain.length === 0 && found.probable.length === 0) return found;
      e.context = { certain: [], probable: [] };
    }
    const { certain, probable } = e.context;
    for (const r of found.certain) if (!certain.includes(r)) certain.push(r);
    for (const r of found.probable) if (!probable.includes(r)) probable.push(r);
    // Burst reasons describe one observation at different strengths: the stronger one stands alone.
    const shown = probable.filter((r) => !(r === 'burst:fast-links' && certain.includes('burst:multi-link')) && !(r === 'burst:rapid-links' && probable.includes('burst:all-links')));
    return { certain, probable: shown };
  }

  /**
   * Signals from the hits around `e`. Groups are small (MAX_GROUP_HITS), and this runs for every hit
   * a new hit can affect, so it walks each group once, without building intermediate lists.
   */
  #contextual(e: ClassifiedHit<R>): { certain: string[]; probable: string[] } {
    const certain: string[] = [];
    const probable: string[] = [];
    const own = this.#byMessage.get(e.message.messageId) ?? [];
    const at = e.hit.at;
    const ip = e.hit.ip;
    const isOpen = e.hit.kind === 'open';
    const linkClick = isLinkClick(e);
    const probe = linkClick && isProbe(e);

    let honeypot = false;
    let multiLink = false;
    let uaInconsistent = false;
    let scannerOpen = false;
    // Distinct link ordinals around e, with the distance of the closest click on each.
    const ordinals: number[] = [];
    const distances: number[] = [];
    for (const o of own) {
      const distance = Math.abs(o.hit.at - at);
      if (o !== e && inHoneypotScan(e, o)) honeypot = true;
      if (linkClick && isLinkClick(o)) {
        const ordinal = o.hit.linkOrdinal!;
        const known = ordinals.indexOf(ordinal);
        if (known < 0) {
          ordinals.push(ordinal);
          distances.push(distance);
        } else if (distance < distances[known]!) distances[known] = distance;
        if (ordinal !== e.hit.linkOrdinal) {
          if (atMachineSpeed(e, o)) multiLink = true;
          // A person's browser keeps its user agent from one link to the next; a scanner may rotate it.
          // Probes (HEAD, self-named tools) are left out: a gateway's probe often precedes the person's click.
          if (!probe && distance <= UA_CONSISTENCY_WINDOW_MS && o.hit.ip === ip && !isProbe(o) && o.hit.userAgent !== e.hit.userAgent) uaInconsistent = true;
        }
      }
      if (isScannerOpen(e, o)) scannerOpen = true;
    }

    if (honeypot) certain.push('honeypot');
    if (linkClick) {
      const linksWithin = (ms: number) => distances.reduce((n, d) => (d <= ms ? n + 1 : n), 0);
      if (multiLink) certain.push('burst:multi-link');
      else if (linksWithin(BURST_WINDOW_MS) >= 2 || linksWithin(WIDE_BURST_WINDOW_MS) >= 3) probable.push('burst:fast-links');
      if (e.message.linkCount >= ALL_LINKS_MIN && linksWithin(ALL_LINKS_WINDOW_MS) >= e.message.linkCount) probable.push('burst:all-links');
      else if (linksWithin(RAPID_LINKS_WINDOW_MS) >= RAPID_LINKS_MIN) probable.push('burst:rapid-links');
      if (uaInconsistent) probable.push('ua:inconsistent');
    }

    if (!isOpen && ip) {
      const group = this.#byCampaignIp.get(crossKey(e.message.campaignId, ip)) ?? [];
      const recipients: number[] = [];
      let machine = false;
      for (const o of group) {
        if (!withinCrossRecipientWindow(e, o)) continue;
        if (!recipients.includes(o.message.messageId)) recipients.push(o.message.messageId);
        if (showsMachine(o)) machine = true;
      }
      // A scanner's burst carries its marks on some click (no Accept-Language, an outdated browser, a
      // gateway's network, a click soon after or before delivery...): it is certain. Colleagues behind
      // one NAT, each in a browser hours after delivery, show none: their burst alone decides nothing.
      if (recipients.length >= CROSS_RECIPIENT_MIN) (machine ? certain : probable).push('burst:cross-recipient');
    }

    if (scannerOpen) certain.push('burst:scanner-open');
    return { certain, probable };
  }
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
}

/** The group of one campaign's clicks from one IP. */
function crossKey(campaignId: number, ip: string): string {
  return `${campaignId}|${ip}`;
}

function unique(reasons: readonly string[]): string[] {
  return [...new Set(reasons)];
}

function sameJudgement(a: Judgement, b: Judgement): boolean {
  return a.verdict === b.verdict && a.reasons.length === b.reasons.length && a.reasons.every((r, i) => r === b.reasons[i]);
}
