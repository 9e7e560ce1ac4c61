/**
 * A message's status, derived from its events by a pure function: never stored, never patched by
 * whoever wrote last. Order of progress: queued < sent < delivered < opened < clicked; the failure
 * and opt-out outcomes are described in docs/glossary.md.
 */
import type { BounceType, EventType } from './events.js';

export type MessageStatus =
  | { state: 'queued' }
  | { state: 'blocked' }
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
  /** HTTP method for hits; a HEAD on a link is a probe, not a click. */
  method?: string | null;
  bounceType?: BounceType | null;
}

/** Whether a hit counts as engagement: HEAD requests only probe a link and never open or click. */
export function isEngagement(event: Pick<StatusEvent, 'type' | 'method'>): boolean {
  return (event.type === 'opened' || event.type === 'clicked') && event.method !== 'HEAD';
}

export function deriveStatus(events: readonly StatusEvent[]): MessageStatus {
  const counted = events.filter((e) => (e.type === 'opened' || e.type === 'clicked' ? isEngagement(e) : true));
  const has = (type: EventType) => counted.some((e) => e.type === type);
  const sorted = [...events].sort((a, b) => a.at - b.at);

  // A complaint and an opt-out are the recipient's last word on the message, whatever came before.
  if (has('complained')) return { state: 'complained' };
  if (has('unsubscribed')) return { state: 'unsubscribed' };
  if (has('clicked')) return { state: 'clicked' };
  if (has('opened')) return { state: 'opened' };

  const lastBounce = sorted.filter((e) => e.type === 'bounced').at(-1);
  if (lastBounce) {
    // A hard bounce is final; a soft bounce is superseded by a later delivery (a retry that worked).
    const deliveredAfter = sorted.some((e) => e.type === 'delivered' && e.at > lastBounce.at);
    if (lastBounce.bounceType === 'hard' || !deliveredAfter) return { state: 'bounced', bounceType: lastBounce.bounceType ?? 'soft' };
  }
  if (has('delivered')) return { state: 'delivered' };
  if (has('deferred')) return { state: 'deferred' };
  if (has('sent')) return { state: 'sent' };
  if (has('blocked')) return { state: 'blocked' };
  return { state: 'queued' };
}

/** A click with no open before it implies an open the pixel did not see (images off, or cached). */
export function hasInferredOpen(events: readonly StatusEvent[]): boolean {
  const firstClick = events.filter((e) => e.type === 'clicked' && isEngagement(e)).reduce<number | null>((min, e) => (min === null || e.at < min ? e.at : min), null);
  if (firstClick === null) return false;
  return !events.some((e) => e.type === 'opened' && isEngagement(e) && e.at <= firstClick);
}
