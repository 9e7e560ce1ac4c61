import { describe, expect, it } from 'vitest';
import { deriveStatus, hasInferredOpen, type StatusEvent } from './message-status.js';

const ev = (type: StatusEvent['type'], at: number, extra: Partial<StatusEvent> = {}): StatusEvent => ({ type, at, ...extra });

describe('deriveStatus', () => {
  it('follows queued < sent < delivered < opened < clicked whatever order events arrive in', () => {
    expect(deriveStatus([])).toEqual({ state: 'queued' });
    expect(deriveStatus([ev('queued', 1)])).toEqual({ state: 'queued' });
    expect(deriveStatus([ev('sent', 2), ev('queued', 1)])).toEqual({ state: 'sent' });
    expect(deriveStatus([ev('delivered', 3), ev('sent', 2)])).toEqual({ state: 'delivered' });
    expect(deriveStatus([ev('opened', 4), ev('delivered', 3)])).toEqual({ state: 'opened' });
    expect(deriveStatus([ev('clicked', 5), ev('opened', 4), ev('delivered', 3)])).toEqual({ state: 'clicked' });
    // A late delivery report does not move a clicked message back.
    expect(deriveStatus([ev('clicked', 5), ev('delivered', 9)])).toEqual({ state: 'clicked' });
  });

  it('does not count a HEAD on a link as a click', () => {
    expect(deriveStatus([ev('delivered', 1), ev('clicked', 2, { method: 'HEAD' })])).toEqual({ state: 'delivered' });
  });

  it('keeps a hard bounce final and lets a later delivery supersede a soft one', () => {
    expect(deriveStatus([ev('sent', 1), ev('bounced', 2, { bounceType: 'hard' }), ev('delivered', 3)])).toEqual({ state: 'bounced', bounceType: 'hard' });
    expect(deriveStatus([ev('sent', 1), ev('bounced', 2, { bounceType: 'soft' })])).toEqual({ state: 'bounced', bounceType: 'soft' });
    expect(deriveStatus([ev('sent', 1), ev('bounced', 2, { bounceType: 'soft' }), ev('delivered', 3)])).toEqual({ state: 'delivered' });
  });

  it('shows deferred until a final outcome arrives', () => {
    expect(deriveStatus([ev('sent', 1), ev('deferred', 2)])).toEqual({ state: 'deferred' });
    expect(deriveStatus([ev('sent', 1), ev('deferred', 2), ev('delivered', 3)])).toEqual({ state: 'delivered' });
  });

  it('puts complaints and unsubscribes above engagement', () => {
    expect(deriveStatus([ev('clicked', 1), ev('unsubscribed', 2)])).toEqual({ state: 'unsubscribed' });
    expect(deriveStatus([ev('unsubscribed', 1), ev('complained', 2)])).toEqual({ state: 'complained' });
  });

  it('marks a message that was never sent because of suppression as blocked', () => {
    expect(deriveStatus([ev('queued', 1), ev('blocked', 1)])).toEqual({ state: 'blocked' });
  });
});

describe('hasInferredOpen', () => {
  it('is true for a click with no open before it', () => {
    expect(hasInferredOpen([ev('clicked', 5)])).toBe(true);
    expect(hasInferredOpen([ev('clicked', 5), ev('opened', 6)])).toBe(true);
    expect(hasInferredOpen([ev('opened', 4), ev('clicked', 5)])).toBe(false);
    expect(hasInferredOpen([ev('opened', 4)])).toBe(false);
    expect(hasInferredOpen([ev('clicked', 5, { method: 'HEAD' })])).toBe(false);
  });
});
