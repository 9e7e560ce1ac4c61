import type { NetworkMatch } from './network-list.js';

/**
 * Who was behind a hit. Every hit is kept; the verdict says how to count it, and why.
 * - human: a person opened or clicked.
 * - machine: fetched on the reader's behalf without proof of reading (Apple MPP, Gmail prefetch):
 *   it says "delivered to a mailbox that prefetches", not "read".
 * - bot: a scanner, previewer, crawler or HTTP library acting for nobody's attention.
 * - self: the sender's own opens and clicks (its own networks).
 */
export const VERDICTS = ['human', 'machine', 'bot', 'self'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface Judgement {
  verdict: Verdict;
  /** Reason codes of the signals that fired, e.g. `ua:self-named-bot`, `net:apple-mpp`, `burst:multi-link`. */
  reasons: string[];
}

/** A network list that contains the hit's IP (see network-list.ts). */
export type NetworkEvidence = NetworkMatch;

export const HIT_KINDS = ['open', 'click', 'unsubscribe_page'] as const;
export type HitKind = (typeof HIT_KINDS)[number];

/** What the classifier knows about one request to a tracking endpoint. */
export interface HitFacts {
  kind: HitKind;
  at: number;
  method: string;
  ip: string | null;
  userAgent: string | null;
  /** Lower-case names: purpose, sec-purpose, x-purpose, referer, accept-language. */
  headers: Record<string, string>;
  /** Link ordinal of a click; 0 is the honeypot. */
  linkOrdinal: number | null;
  /** Network lists containing the IP, whatever their scope (the classifier applies scope). */
  networks: readonly NetworkEvidence[];
}

/** What the classifier knows about the message a hit belongs to. */
export interface MessageFacts {
  messageId: number;
  campaignId: number;
  sentAt: number | null;
  deliveredAt: number | null;
  /** Trackable links in the message, the honeypot not included. */
  linkCount: number;
  /** The message went to one of the sender's own addresses (SELF_ADDRESSES): its hits are the sender's. */
  selfRecipient?: boolean;
}
