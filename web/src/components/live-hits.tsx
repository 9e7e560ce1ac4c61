/** The hits of a live feed as they arrive, newest first, with the state of the connection. */
import type { LiveHit } from '../api-live.js';
import { dateTime } from '../format.js';
import { Link } from '../router.js';
import type { LiveFeed, LiveState } from './live-feed.js';

const STATE_TEXT: Record<LiveState, string> = {
  connecting: 'connecting…',
  live: 'live',
  unavailable: 'live updates unavailable; trying again shortly',
};

function HitLine({ hit, showContact }: { hit: LiveHit; showContact: boolean }) {
  return (
    <li>
      <span class={`hit-type ${hit.type}`}>{hit.type === 'open' ? 'Opened' : 'Clicked'}</span>{' '}
      {showContact && (hit.contactId ? <Link href={`/contacts/${hit.contactId}`}>{hit.email}</Link> : <span>{hit.email}</span>)}
      {hit.link && (
        <span class="hit-link">
          {' '}
          {showContact ? 'on ' : ''}
          <span class="url">{hit.link.url}</span>
        </span>
      )}{' '}
      <time class="muted" dateTime={new Date(hit.at).toISOString()}>
        {dateTime(hit.at)}
      </time>
    </li>
  );
}

export function LiveHits({ feed, title, showContact = true }: { feed: LiveFeed; title: string; showContact?: boolean }) {
  return (
    <section class="live card" aria-labelledby="live-title">
      <h2 id="live-title">
        {title} <span class={`live-state ${feed.state}`}>{STATE_TEXT[feed.state]}</span>
      </h2>
      <ul class="live-hits" aria-live="polite" aria-label="Human opens and clicks as they arrive, newest first">
        {feed.hits.map((hit) => (
          <HitLine key={hit.eventId} hit={hit} showContact={showContact} />
        ))}
      </ul>
      {feed.hits.length === 0 && <p class="muted">No human open or click since this page was opened.</p>}
    </section>
  );
}
