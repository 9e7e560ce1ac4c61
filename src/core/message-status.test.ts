import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decidingReason,
  deriveStatus,
  hasInferredOpen,
  NO_REASON,
  REASON_COUNTS,
  reportFacts,
  STATUS_PRECEDENCE,
  statusKey,
  type StatusEvent,
  type StatusKey,
} from './message-status.js';

type Kind = Omit<StatusEvent, 'at'>;

/** Every kind of event a message can have, as the tracking endpoints and reports record them. */
const KINDS = {
  queued: { type: 'queued' },
  sending: { type: 'sending' },
  sent: { type: 'sent' },
  delivered: { type: 'delivered' },
  deferred: { type: 'deferred' },
  hardBounce: { type: 'bounced', bounceType: 'hard' },
  softBounce: { type: 'bounced', bounceType: 'soft' },
  blocked: { type: 'blocked' },
  complained: { type: 'complained' },
  unsubscribed: { type: 'unsubscribed', method: 'POST' },
  opened: { type: 'opened', method: 'GET' },
  clicked: { type: 'clicked', method: 'GET', linkOrdinal: 1 },
  honeypotClick: { type: 'clicked', method: 'GET', linkOrdinal: 0 },
  probedLink: { type: 'clicked', method: 'HEAD', linkOrdinal: 1 },
  probedPixel: { type: 'opened', method: 'HEAD' },
  unsubscribePage: { type: 'unsubscribe_page', method: 'GET' },
} as const satisfies Record<string, Kind>;
type KindName = keyof typeof KINDS;
const KIND_NAMES = Object.keys(KINDS) as KindName[];

/** The status of a message with one event of each kind alone (besides being queued). */
const ALONE: Record<KindName, StatusKey> = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  deferred: 'deferred',
  hardBounce: 'bounced-hard',
  softBounce: 'bounced-soft',
  blocked: 'blocked',
  complained: 'complained',
  unsubscribed: 'unsubscribed',
  opened: 'opened',
  clicked: 'clicked',
  // Neither the honeypot, a probe nor a look at the unsubscribe page is anyone's engagement.
  honeypotClick: 'queued',
  probedLink: 'queued',
  probedPixel: 'queued',
  unsubscribePage: 'queued',
};

/** The precedence in docs/glossary.md, highest first, written out here to check the code against it. */
const GLOSSARY_ORDER: StatusKey[] = ['complained', 'unsubscribed', 'clicked', 'opened', 'bounced-hard', 'delivered', 'bounced-soft', 'deferred', 'sent', 'sending', 'blocked', 'queued'];
const higher = (a: StatusKey, b: StatusKey) => (GLOSSARY_ORDER.indexOf(a) <= GLOSSARY_ORDER.indexOf(b) ? a : b);

const at = (kind: KindName, time: number): StatusEvent => ({ ...KINDS[kind], at: time });

describe('deriveStatus', () => {
  it('gives each kind of event alone its status', () => {
    for (const kind of KIND_NAMES) expect(statusKey(deriveStatus([at(kind, 1)])), kind).toBe(ALONE[kind]);
    expect(deriveStatus([])).toEqual({ state: 'queued' });
  });

  it('has the precedence of the glossary, and some kind of event reaches each status', () => {
    expect(STATUS_PRECEDENCE.map((s) => s.key)).toEqual(GLOSSARY_ORDER);
    expect(new Set(Object.values(ALONE))).toEqual(new Set(GLOSSARY_ORDER));
  });

  it('for every pair of statuses, gives the higher whichever comes first, at any times', () => {
    const kindOf = (key: StatusKey) => KIND_NAMES.find((k) => ALONE[k] === key)!;
    for (const a of GLOSSARY_ORDER) {
      for (const b of GLOSSARY_ORDER) {
        for (const [ta, tb] of [[1, 2], [2, 1], [1, 1]] as const) {
          const status = statusKey(deriveStatus([at(kindOf(a), ta), at(kindOf(b), tb)]));
          expect(status, `${a} at ${ta}, ${b} at ${tb}`).toBe(higher(a, b));
        }
      }
    }
  });

  it('for every ordered pair of events (a, then b), is the higher of their statuses in the glossary order', () => {
    for (const a of KIND_NAMES) {
      for (const b of KIND_NAMES) {
        const status = deriveStatus([at('queued', 0), at(a, 1), at(b, 2)]);
        expect(statusKey(status), `${a} then ${b}`).toBe(higher(ALONE[a], ALONE[b]));
      }
    }
  });

  it('supersedes the hand-over to the relay with any later fact, and a refused attempt with the hand-over', () => {
    expect(deriveStatus([at('queued', 0), at('sending', 1)])).toEqual({ state: 'sending' });
    expect(deriveStatus([at('sending', 1), at('sent', 2)])).toEqual({ state: 'sent' });
    expect(deriveStatus([at('sending', 1), at('deferred', 2)])).toEqual({ state: 'deferred' });
    expect(deriveStatus([at('sending', 1), at('hardBounce', 2)])).toEqual({ state: 'bounced', bounceType: 'hard' });
    // A duplicate send refused (blocked) while the first one had the message: it went out once.
    expect(deriveStatus([at('sending', 1), { ...at('blocked', 2), reason: 'duplicate' }])).toEqual({ state: 'sending' });
  });

  it('keeps a hard bounce final after a later soft bounce or delivery report', () => {
    expect(deriveStatus([at('sent', 1), at('hardBounce', 2), at('softBounce', 3)])).toEqual({ state: 'bounced', bounceType: 'hard' });
    expect(deriveStatus([at('sent', 1), at('hardBounce', 2), at('delivered', 3)])).toEqual({ state: 'bounced', bounceType: 'hard' });
    // A delivery, before or after, supersedes a soft bounce: the message got there.
    expect(deriveStatus([at('softBounce', 1), at('delivered', 2)])).toEqual({ state: 'delivered' });
    expect(deriveStatus([at('delivered', 1), at('softBounce', 2)])).toEqual({ state: 'delivered' });
  });

  it('does not count a click on the honeypot or a HEAD probe as a click', () => {
    expect(deriveStatus([at('delivered', 1), at('honeypotClick', 2)])).toEqual({ state: 'delivered' });
    expect(deriveStatus([at('delivered', 1), at('probedLink', 2)])).toEqual({ state: 'delivered' });
    expect(deriveStatus([at('opened', 1), at('honeypotClick', 2)])).toEqual({ state: 'opened' });
  });

  it('does not depend on the order events are listed or arrive in', () => {
    const event = fc.record({ kind: fc.constantFrom(...KIND_NAMES), at: fc.integer({ min: 0, max: 100 }) }).map(({ kind, at: time }) => at(kind, time));
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), fc.infiniteStream(fc.double()), (events, stream) => {
        const shuffled = [...events].sort(() => (stream.next().value < 0.5 ? -1 : 1));
        expect(deriveStatus(shuffled)).toEqual(deriveStatus(events));
      }),
    );
  });
});

describe('reportFacts', () => {
  const DELIVERED: StatusKey[] = ['complained', 'unsubscribed', 'clicked', 'opened', 'delivered'];
  const UNSENT: StatusKey[] = ['queued', 'sending', 'blocked'];

  it('for every ordered pair of events, puts the message in the counts its status names', () => {
    for (const a of KIND_NAMES) {
      for (const b of KIND_NAMES) {
        const events = [at('queued', 0), at(a, 1), at(b, 2)];
        const key = statusKey(deriveStatus(events));
        const facts = reportFacts(events);
        const engaged = facts.byScope.all;
        const pair = `${a} then ${b} (${key})`;
        expect(facts.status, pair).toBe(key);
        expect(facts.sent, pair).toBe(!UNSENT.includes(key));
        expect(facts.sending, pair).toBe(key === 'sending');
        expect(facts.attempted, pair).toBe(key !== 'queued');
        expect(facts.reason !== null, pair).toBe(['bounced-hard', 'bounced-soft', 'blocked'].includes(key));
        expect(facts.delivered, pair).toBe(DELIVERED.includes(key));
        expect(facts.hardBounced, pair).toBe(key === 'bounced-hard');
        expect(facts.softBounced, pair).toBe(key === 'bounced-soft');
        expect(facts.deferred, pair).toBe(key === 'deferred');
        expect(facts.blocked, pair).toBe(key === 'blocked');
        expect(facts.complained, pair).toBe(key === 'complained');
        if (key === 'unsubscribed') expect(facts.unsubscribed, pair).toBe(true);
        if (facts.unsubscribed) expect(['unsubscribed', 'complained'], pair).toContain(key);
        if (key === 'clicked') expect(engaged.clicked, pair).toBe(true);
        if (engaged.clicked) expect(['clicked', 'unsubscribed', 'complained'], pair).toContain(key);
        if (key === 'opened' || key === 'clicked') expect(engaged.opened, pair).toBe(true);
        if (engaged.opened) expect(['opened', 'clicked', 'unsubscribed', 'complained'], pair).toContain(key);
        expect(engaged.inferredOpen, pair).toBe(hasInferredOpen(events));
        expect(engaged.unsubscribedOpen, pair).toBe(engaged.opened && facts.unsubscribed);
      }
    }
  });

  it('counts engagement per verdict: a message is a human open only for a human hit', () => {
    const facts = reportFacts([at('delivered', 1), { ...at('opened', 2), verdict: 'machine' }, { ...at('clicked', 3), verdict: 'bot' }]);
    expect(facts.byScope.all).toMatchObject({ opened: true, clicked: true });
    expect(facts.byScope.machine).toMatchObject({ opened: true, clicked: false, inferredOpen: false });
    expect(facts.byScope.bot).toMatchObject({ opened: true, clicked: true, inferredOpen: true });
    expect(facts.byScope.human).toMatchObject({ opened: false, clicked: false });
  });
});

describe('hasInferredOpen', () => {
  it('is true for a click with no open before it', () => {
    expect(hasInferredOpen([at('clicked', 5)])).toBe(true);
    expect(hasInferredOpen([at('clicked', 5), at('opened', 6)])).toBe(true);
    expect(hasInferredOpen([at('opened', 4), at('clicked', 5)])).toBe(false);
    expect(hasInferredOpen([at('opened', 5), at('clicked', 5)])).toBe(false);
    expect(hasInferredOpen([at('opened', 4)])).toBe(false);
    expect(hasInferredOpen([at('probedLink', 5)])).toBe(false);
    expect(hasInferredOpen([at('honeypotClick', 5)])).toBe(false);
  });
});

describe('decidingReason', () => {
  const bounce = (hard: boolean, time: number, reason: string | null, id?: number): StatusEvent => ({ type: 'bounced', bounceType: hard ? 'hard' : 'soft', at: time, reason, ...(id === undefined ? {} : { id }) });
  const block = (time: number, reason: string | null, id?: number): StatusEvent => ({ type: 'blocked', at: time, reason, ...(id === undefined ? {} : { id }) });
  const reasonOf = (events: StatusEvent[]) => decidingReason(events, statusKey(deriveStatus(events)));

  it('is the reason of the latest hard bounce when the status is a hard bounce, whatever soft bounces came after', () => {
    expect(reasonOf([bounce(true, 1, 'mailboxfull'), bounce(true, 3, 'userunknown'), bounce(false, 5, 'systemerror')])).toBe('userunknown');
    expect(reasonOf([bounce(true, 3, 'userunknown'), bounce(true, 1, 'hostunknown')])).toBe('userunknown');
    expect(reasonOf([bounce(false, 9, 'mailboxfull'), bounce(true, 2, 'hasmoved')])).toBe('hasmoved');
  });

  it('is the reason of the latest soft bounce when the status is a soft bounce', () => {
    expect(reasonOf([bounce(false, 1, 'mailboxfull'), bounce(false, 2, 'expired'), { type: 'deferred', at: 3, reason: 'toomanyconn' }])).toBe('expired');
    expect(reasonOf([bounce(false, 4, 'mailboxfull'), bounce(false, 2, 'expired')])).toBe('mailboxfull');
  });

  it('is the reason of the latest block when the status is blocked', () => {
    expect(reasonOf([block(1, 'unsubscribed'), block(2, 'duplicate-key')])).toBe('duplicate-key');
    expect(reasonOf([block(2, 'hard-bounce'), block(1, 'complained')])).toBe('hard-bounce');
  });

  it('at the same time, takes the event recorded later (the higher id), else the later in the list', () => {
    expect(reasonOf([bounce(true, 5, 'userunknown', 8), bounce(true, 5, 'hostunknown', 7)])).toBe('userunknown');
    expect(reasonOf([bounce(true, 5, 'hostunknown', 7), bounce(true, 5, 'userunknown', 8)])).toBe('userunknown');
    expect(reasonOf([block(5, 'complained'), block(5, 'duplicate')])).toBe('duplicate');
  });

  it(`is '${NO_REASON}' when the deciding event gives none, even if an earlier one did`, () => {
    expect(reasonOf([bounce(true, 1, 'userunknown'), bounce(true, 2, null)])).toBe(NO_REASON);
    expect(reasonOf([block(1, null)])).toBe(NO_REASON);
  });

  it('is null for a status no bounce or block decided', () => {
    expect(reasonOf([bounce(false, 1, 'mailboxfull'), at('delivered', 2)])).toBeNull();
    expect(reasonOf([bounce(true, 1, 'userunknown'), at('opened', 2)])).toBeNull();
    expect(reasonOf([block(1, 'duplicate'), at('sending', 2)])).toBeNull();
    expect(decidingReason([bounce(true, 1, 'userunknown')], 'sent')).toBeNull();
  });

  it('counts bounces (hard and soft) and blocks by reason: the statuses REASON_COUNTS names', () => {
    expect(REASON_COUNTS).toEqual({ bouncesByReason: ['bounced-hard', 'bounced-soft'], blockedByReason: ['blocked'] });
  });

  it('does not depend on the order the events are listed in, given their ids', () => {
    const reasons = fc.constantFrom(null, 'userunknown', 'mailboxfull', 'expired', 'duplicate');
    const event = fc
      .record({ kind: fc.constantFrom('hard', 'soft', 'block', 'delivered', 'sending'), at: fc.integer({ min: 0, max: 3 }), reason: reasons })
      .map(({ kind, at: time, reason }): Omit<StatusEvent, 'id'> =>
        kind === 'block' ? { type: 'blocked', at: time, reason } : kind === 'delivered' || kind === 'sending' ? { type: kind, at: time } : { type: 'bounced', bounceType: kind, at: time, reason },
      );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 8 }), fc.infiniteStream(fc.double()), (listed, stream) => {
        const events = listed.map((e, id) => ({ ...e, id }));
        const shuffled = [...events].sort(() => (stream.next().value < 0.5 ? -1 : 1));
        expect(reasonOf(shuffled)).toBe(reasonOf(events));
      }),
    );
  });
});
