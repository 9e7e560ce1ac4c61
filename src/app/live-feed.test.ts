import { afterEach, describe, expect, it } from 'vitest';
import { LiveFeed, MAX_RESUME_HITS } from './live-feed.js';
import type { LiveFeedStore, LiveHit } from './ports.js';

const hit = (eventId: number): LiveHit => ({
  eventId,
  type: 'open',
  at: eventId,
  messageId: 1,
  campaignId: 1,
  executionId: 1,
  contactId: 1,
  email: 'ana@corp.example',
  link: null,
  verdict: 'human',
  reasons: [],
});

/** A store over rows committed so far and a settled id the test moves, as PostgreSQL would. */
function fakeStore() {
  const state = { visible: [] as LiveHit[], settled: 0, polls: 0 };
  const store: LiveFeedStore = {
    scopeExists: async () => true,
    // Read once per poll (and once per subscription).
    settledEventId: async () => {
      state.polls++;
      return state.settled;
    },
    newestEventId: async () => Math.max(0, ...state.visible.map((h) => h.eventId)),
    humanHits: async (_scope, afterId, upTo, limit) => {
      return state.visible
        .filter((h) => h.eventId > afterId && h.eventId <= upTo)
        .sort((a, b) => a.eventId - b.eventId)
        .slice(0, limit);
    },
  };
  return { state, store };
}

/** What a client sees: its stream as `id` lines and hits, as the SSE route writes them. */
function client() {
  const seen: string[] = [];
  return {
    seen,
    listener: { send: (h: LiveHit) => seen.push(`hit ${h.eventId}`), moveTo: (id: number, note?: string) => seen.push(note ? `id ${id} (${note})` : `id ${id}`) },
    hits: () => seen.filter((s) => s.startsWith('hit')).map((s) => Number(s.slice(4))),
  };
}

const feeds: LiveFeed[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
});

function liveFeed(store: LiveFeedStore, pollMs = 2): LiveFeed {
  const feed = new LiveFeed(store, { pollMs, onError: (error) => { throw error; } });
  feeds.push(feed);
  return feed;
}

/** Waits for `n` more polls. */
async function polls(state: { polls: number }, n = 3): Promise<void> {
  const before = state.polls;
  while (state.polls < before + n) await new Promise((resolve) => setTimeout(resolve, 2));
}

describe('LiveFeed', () => {
  it('starts with an id, never sends past the settled id, and sends a hit that committed after a higher one in order, once', async () => {
    const { state, store } = fakeStore();
    state.visible.push(hit(1));
    state.settled = 1;
    const feed = liveFeed(store);
    const ana = client();
    const stop = await feed.subscribe({ campaignId: 1 }, null, ana.listener);
    // Where it starts, before any hit: a drop now resumes from here.
    expect(ana.seen).toEqual(['id 1']);

    // Id 3 committed; id 2, drawn before it, has not: 3 is not settled and waits.
    state.visible.push(hit(3));
    await polls(state);
    expect(ana.hits()).toEqual([]);
    state.visible.push(hit(2));
    state.settled = 3;
    await polls(state);
    expect(ana.seen).toEqual(['id 1', 'hit 2', 'hit 3']);
    await polls(state);
    expect(ana.hits()).toEqual([2, 3]);
    stop();
    expect(feed.scopes).toBe(0);
  });

  it('resumes after an id with exactly the hits missed, and a far-behind client starts from now without holding back the others', async () => {
    const { state, store } = fakeStore();
    for (let id = 1; id <= 5; id++) state.visible.push(hit(id));
    state.settled = 5;
    const feed = liveFeed(store);
    const ana = client();
    await feed.subscribe({ campaignId: 1 }, 2, ana.listener);
    expect(ana.seen).toEqual(['id 2', 'hit 3', 'hit 4', 'hit 5']);

    // Many hits later, a client resumes from the beginning: told it starts from now, sent nothing old.
    for (let id = 6; id <= MAX_RESUME_HITS + 10; id++) state.visible.push(hit(id));
    state.settled = MAX_RESUME_HITS + 10;
    const bob = client();
    await feed.subscribe({ campaignId: 1 }, 0, bob.listener);
    expect(bob.seen).toEqual(['id 0', `id ${MAX_RESUME_HITS + 10} (more than ${MAX_RESUME_HITS} hits since event 0: starting from now)`]);

    // Ana, at the live edge, is sent everything (over several pages) in order, once; Bob only the new one.
    state.visible.push(hit(MAX_RESUME_HITS + 11));
    state.settled = MAX_RESUME_HITS + 11;
    while (ana.hits().length < MAX_RESUME_HITS + 9) await polls(state, 1);
    await polls(state);
    expect(ana.hits()).toEqual(Array.from({ length: MAX_RESUME_HITS + 9 }, (_, i) => i + 3));
    expect(bob.hits()).toEqual([MAX_RESUME_HITS + 11]);
  });

  it('lets a listener that joined behind the head catch up on its own range, then share the scope read', async () => {
    const { state, store } = fakeStore();
    // Polls far apart: Bob's subscription falls between two of them.
    const feed = liveFeed(store, 100);
    const ana = client();
    await feed.subscribe({ campaignId: 1 }, null, ana.listener);
    for (let id = 1; id <= 4; id++) state.visible.push(hit(id));
    state.settled = 4;
    await polls(state, 1);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(ana.hits()).toEqual([1, 2, 3, 4]);
    // Bob resumes from 0 but his reading of the settled id is an older one (2): he joins behind the head (4).
    store.settledEventId = async () => 2;
    const bob = client();
    await feed.subscribe({ campaignId: 1 }, 0, bob.listener);
    expect(bob.hits()).toEqual([1, 2]);
    store.settledEventId = async () => {
      state.polls++;
      return state.settled;
    };
    state.visible.push(hit(5));
    state.settled = 5;
    await polls(state, 2);
    expect(ana.hits()).toEqual([1, 2, 3, 4, 5]);
    expect(bob.hits()).toEqual([1, 2, 3, 4, 5]);
    expect(feed.listeners).toBe(2);
    expect(feed.scopes).toBe(1);
  });
});
