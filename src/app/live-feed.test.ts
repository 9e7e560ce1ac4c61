import { describe, expect, it } from 'vitest';
import { LATE_COMMIT_MS, LiveFeed } from './live-feed.js';
import type { LiveFeedStore, LiveHitRow } from './ports.js';

const row = (eventId: number, recordedAt: number): LiveHitRow => ({
  eventId,
  type: 'open',
  at: recordedAt,
  messageId: 1,
  campaignId: 1,
  executionId: 1,
  contactId: 1,
  email: 'ana@corp.example',
  link: null,
  verdict: 'human',
  reasons: [],
  recordedAt,
});

describe('LiveFeed', () => {
  it('sends a hit that committed after a higher id once, with the highest id sent to resume after, and stops reading past the late-commit window', async () => {
    let now = 1_000_000;
    const visible: LiveHitRow[] = [];
    const reads: number[] = [];
    const store: LiveFeedStore = {
      scopeExists: async () => true,
      newestEventId: async () => 0,
      humanHits: async (_scope, afterId) => {
        reads.push(afterId);
        return visible.filter((r) => r.eventId > afterId).sort((a, b) => a.eventId - b.eventId);
      },
    };
    const feed = new LiveFeed(store, { now: () => now }, { pollMs: 5, onError: (error) => { throw error; } });
    const sent: [number, number][] = [];
    const stop = await feed.subscribe({ campaignId: 1 }, null, { send: (hit, resumeAfter) => sent.push([hit.eventId, resumeAfter]) });
    const polls = async (n = 3) => {
      const before = reads.length;
      while (reads.length < before + n) await new Promise((resolve) => setTimeout(resolve, 5));
    };

    // Id 2 is taken before id 3 but commits after it.
    visible.push(row(1, now), row(3, now));
    await polls();
    visible.push(row(2, now));
    await polls();
    expect(sent).toEqual([[1, 1], [3, 3], [2, 3]]);

    // Once settled, rows are no longer read again.
    now += LATE_COMMIT_MS + 1;
    await polls();
    expect(reads.at(-1)).toBe(3);
    expect(sent).toHaveLength(3);
    stop();
    expect(feed.scopes).toBe(0);
    await feed.close();
  });
});
