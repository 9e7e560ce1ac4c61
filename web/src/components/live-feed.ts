/**
 * A live feed of human opens and clicks (server-sent events, `event: hit`). The browser's
 * EventSource reconnects by itself after a dropped connection, sending Last-Event-ID so that
 * nothing is lost or repeated; when the server refuses the stream outright (an error answer, no
 * feed at that address) EventSource gives up, so this tries again later, resuming after the last
 * event seen.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { withQuery } from '../api.js';
import type { LiveHit } from '../api-live.js';

/** Newest hits kept on screen: the feed is a glance at what is happening, the report has the rest. */
export const LIVE_HITS_SHOWN = 30;
/** Wait before asking again for a stream the server refused, in ms: long enough not to hammer it. */
const RETRY_AFTER_MS = 10_000;

export type LiveState = 'connecting' | 'live' | 'unavailable';

export interface LiveFeed {
  state: LiveState;
  /** Newest first, at most LIVE_HITS_SHOWN. */
  hits: LiveHit[];
}

/**
 * Follows the feed at `path` (null: none) while mounted; `onHit` is called for every new hit.
 * `after`: the newest event id the page already shows, so that a hit recorded between the page's
 * load and the stream's start is sent too (null: from when the stream starts).
 */
export function useLiveFeed(path: string | null, onHit?: (hit: LiveHit) => void, after: number | null = null): LiveFeed {
  const [feed, setFeed] = useState<LiveFeed>({ state: 'connecting', hits: [] });
  const onHitRef = useRef(onHit);
  onHitRef.current = onHit;

  useEffect(() => {
    setFeed({ state: 'connecting', hits: [] });
    if (!path) return;
    let source: EventSource | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    let lastEventId: string | null = after === null ? null : String(after);
    let stopped = false;

    const connect = () => {
      source = new EventSource(withQuery(path, { lastEventId }), { withCredentials: true });
      source.onopen = () => setFeed((f) => ({ ...f, state: 'live' }));
      source.addEventListener('hit', (event) => {
        const message = event as MessageEvent<string>;
        let hit: LiveHit;
        try {
          hit = JSON.parse(message.data) as LiveHit;
        } catch {
          return; // not a hit we can read: skipped rather than breaking the feed
        }
        if (message.lastEventId) lastEventId = message.lastEventId;
        setFeed((f) => ({ state: 'live', hits: [hit, ...f.hits.filter((h) => h.eventId !== hit.eventId)].slice(0, LIVE_HITS_SHOWN) }));
        onHitRef.current?.(hit);
      });
      source.onerror = () => {
        // CONNECTING: the browser is already reconnecting (with Last-Event-ID). CLOSED: it gave up.
        setFeed((f) => ({ ...f, state: source?.readyState === EventSource.CONNECTING ? 'connecting' : 'unavailable' }));
        if (source?.readyState === EventSource.CLOSED && !stopped) {
          source = null;
          retry = setTimeout(connect, RETRY_AFTER_MS);
        }
      };
    };
    connect();
    return () => {
      stopped = true;
      source?.close();
      if (retry) clearTimeout(retry);
    };
    // `after` is read when the path changes only: a page reloading its data keeps the stream it has.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path]);

  return feed;
}

/** Calls `action` at most once every `intervalMs`, the last call of a burst included (run at the end of the wait). */
export function useThrottled(action: () => void, intervalMs: number): () => void {
  const actionRef = useRef(action);
  actionRef.current = action;
  const state = useRef<{ last: number; timer: ReturnType<typeof setTimeout> | null }>({ last: 0, timer: null });
  useEffect(() => () => void (state.current.timer && clearTimeout(state.current.timer)), []);
  return () => {
    const s = state.current;
    if (s.timer) return;
    const wait = Math.max(0, s.last + intervalMs - Date.now());
    s.timer = setTimeout(() => {
      s.timer = null;
      s.last = Date.now();
      actionRef.current();
    }, wait);
  };
}
