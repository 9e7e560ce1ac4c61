import { describe, expect, it } from 'vitest';
import { drillQuery, drillSelection, DrillListError, reportLists } from './drill-down.js';
import { flagBit } from './report-counters.js';

describe('drill-down lists', () => {
  it('selects by status for outcomes, by flag for engagement, by link for a link occurrence', () => {
    expect(drillSelection({ figure: 'delivered', scope: 'all' })).toEqual({ by: 'status', statuses: ['complained', 'unsubscribed', 'clicked', 'opened', 'delivered'] });
    expect(drillSelection({ figure: 'hard-bounced', scope: 'all', reason: 'userunknown' })).toEqual({ by: 'status', statuses: ['bounced-hard'], reason: 'userunknown' });
    expect(drillSelection({ figure: 'opened', scope: 'human' })).toEqual({ by: 'flag', bit: flagBit('opened:human') });
    expect(drillSelection({ figure: 'complained', scope: 'all' })).toEqual({ by: 'flag', bit: flagBit('complained') });
    expect(drillSelection({ figure: 'link', scope: 'bot', ordinal: 3 })).toEqual({ by: 'link', ordinal: 3, scope: 'bot' });
    expect(drillSelection({ figure: 'messages', scope: 'all' })).toEqual({ by: 'all' });
  });

  it('refuses what a figure does not take, naming it', () => {
    expect(() => drillSelection({ figure: 'opened', scope: 'all', reason: 'x' })).toThrow(new DrillListError('figure opened has no reasons: reason applies to bounced, hard-bounced, soft-bounced, blocked'));
    expect(() => drillSelection({ figure: 'link', scope: 'all' })).toThrow(/figure link needs ordinal/);
    expect(() => drillSelection({ figure: 'delivered', scope: 'all', ordinal: 2 })).toThrow(/ordinal applies to figure link/);
    expect(() => drillSelection({ figure: 'opened', scope: 'robots' as never })).toThrow(/scope must be one of all, human/);
  });

  it('names every figure of a report with its list, all and human side by side', () => {
    const lists = Object.fromEntries(reportLists({ bouncesByReason: { userunknown: 2 }, blockedByReason: { unsubscribed: 1 } }).map(([key, l]) => [key, drillQuery(l)]));
    expect(lists['opened:human']).toBe('figure=opened&scope=human');
    expect(lists['opened']).toBe('figure=opened');
    expect(lists['bounced:userunknown']).toBe('figure=bounced&reason=userunknown');
    expect(lists['blocked:unsubscribed']).toBe('figure=blocked&reason=unsubscribed');
    expect(lists['delivered']).toBe('figure=delivered');
    expect(Object.keys(lists)).not.toContain('link');
  });
});
