/** What every behaviour of the traffic model needs: the message being acted on and a hit builder. */
import type { AddressBook } from './networks.js';
import type { Rng } from './prng.js';
import type { HitKind, ScenarioHit, Verdict } from './scenario-schema.js';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export interface MessageContext {
  rng: Rng;
  book: AddressBook;
  linkCount: number;
  honeypot: boolean;
  sentAt: number;
  /** When the mailbox really received it, whether or not a delivery is reported. */
  arrivedAt: number;
  /** How much the campaign appeals to people: multiplies read and click chances. */
  appeal: number;
}

export type Link = number | 'honeypot';

export interface HitSpec {
  at: number;
  kind: HitKind;
  link?: Link;
  method?: 'GET' | 'HEAD';
  ip: string;
  ua: string | null;
  headers?: Record<string, string>;
  truth: Verdict;
}

/** A scenario hit with the keys in the file's order; `link` only on clicks. */
export function makeHit(spec: HitSpec): ScenarioHit {
  return {
    at: Math.round(spec.at),
    kind: spec.kind,
    ...(spec.kind === 'click' ? { link: spec.link ?? 0 } : {}),
    method: spec.method ?? 'GET',
    ip: spec.ip,
    ua: spec.ua,
    headers: spec.headers ?? {},
    truth: spec.truth,
  };
}

/** A link index weighted towards the top of the message, where people click most. */
export function pickLink(rng: Rng, linkCount: number, avoid?: number): number {
  const choices = Array.from({ length: linkCount }, (_, i) => [i === avoid ? 0.05 : 1 / (i + 1), i] as const);
  return rng.weighted(choices);
}
