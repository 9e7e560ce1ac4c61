import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, HIT_EVENT_TYPES, HIT_EVENTS, HIT_KIND_OF_EVENT_TYPE } from './events.js';
import { HIT_KINDS } from './nhi/verdict.js';

describe('hit event types', () => {
  it('are derived from the one table of hit kinds, and lead back to their kind', () => {
    expect(HIT_EVENT_TYPES).toEqual(['opened', 'clicked', 'unsubscribe_page']);
    for (const kind of HIT_KINDS) {
      expect(EVENT_TYPES).toContain(HIT_EVENTS[kind].type);
      expect(HIT_KIND_OF_EVENT_TYPE.get(HIT_EVENTS[kind].type)).toBe(kind);
    }
    // Events that are not hits have no hit kind.
    expect(HIT_KIND_OF_EVENT_TYPE.has('delivered')).toBe(false);
    expect(HIT_KIND_OF_EVENT_TYPE.has('unsubscribed')).toBe(false);
  });
});
