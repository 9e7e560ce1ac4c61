/**
 * A contact: its address, attributes and consent; the messages sent to it with their status; the
 * timeline of their events, newest first, with each hit's verdict and reasons; human opens and
 * clicks arriving live are put on top of the timeline.
 */
import { api, type ContactDetail, type ContactMessagesPage, type TimelinePage } from '../api.js';
import { contactLivePath, type LiveHit } from '../api-live.js';
import { dateTime } from '../format.js';
import type { PageProps } from '../page.js';
import { Link } from '../router.js';
import { useResource } from '../use-resource.js';
import { useLiveFeed } from '../components/live-feed.js';
import { ScrollTable } from '../components/scroll-table.js';
import { Empty, Failed, Loaded } from '../components/states.js';
import { usePaged } from '../components/use-paged.js';
import { LoadMore } from '../components/pager.js';

type Message = ContactMessagesPage['rows'][number];
type TimelineEvent = TimelinePage['rows'][number];

const EVENT_WORDS: Record<string, string> = {
  opened: 'Opened',
  clicked: 'Clicked',
  unsubscribe_page: 'Viewed the unsubscribe page',
  unsubscribed: 'Unsubscribed',
  provider_opened: 'Opened (provider tracking)',
  provider_clicked: 'Clicked (provider tracking)',
};
const eventWords = (type: string) => EVENT_WORDS[type] ?? type[0]!.toUpperCase() + type.slice(1);

/** A live hit as a timeline row, so both read the same. */
function liveRow(hit: LiveHit): TimelineEvent {
  return {
    id: hit.eventId,
    messageId: hit.messageId,
    campaignId: hit.campaignId,
    executionId: hit.executionId,
    type: hit.type === 'open' ? 'opened' : 'clicked',
    subtype: null,
    at: hit.at,
    source: hit.type === 'open' ? 'pixel' : 'redirect',
    method: 'GET',
    linkOrdinal: hit.link?.ordinal ?? null,
    url: hit.link?.url ?? null,
    verdict: hit.verdict,
    reasons: hit.reasons,
    reason: null,
  };
}

function Attributes({ detail }: { detail: ContactDetail }) {
  const entries = Object.entries(detail.contact.attributes);
  return (
    <dl class="facts">
      <div>
        <dt>Tracking consent</dt>
        <dd>{detail.contact.consent ? 'Given: hits are kept with their request details' : 'Withheld: hits are kept without IP address, user agent or headers'}</dd>
      </div>
      <div>
        <dt>Known since</dt>
        <dd>{dateTime(detail.contact.createdAt)}</dd>
      </div>
      {entries.map(([name, value]) => (
        <div key={name}>
          <dt>{name}</dt>
          <dd>{typeof value === 'string' ? value : JSON.stringify(value)}</dd>
        </div>
      ))}
    </dl>
  );
}

function Messages({ contactId, first }: { contactId: number; first: ContactMessagesPage }) {
  const list = usePaged<Message>((after) => api.contactMessages(contactId, after), [contactId], first);
  return (
    <section aria-labelledby="messages-title">
      <h2 id="messages-title">Messages</h2>
      {list.rows.length === 0 ? (
        <Empty>No message was sent to this contact.</Empty>
      ) : (
        <ScrollTable label="Messages sent to this contact">
          <table>
            <caption class="visually-hidden">Messages sent to this contact, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Campaign</th>
                <th scope="col">Execution</th>
                <th scope="col">Subject</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((m) => (
                <tr key={m.messageId}>
                  <td>
                    <Link href={`/campaigns/${m.campaignId}`}>{m.campaignName}</Link>
                  </td>
                  <td>
                    <Link href={`/campaigns/${m.campaignId}?execution=${m.executionId}`}>#{m.executionId}</Link>
                  </td>
                  <td class="subject">{m.subject}</td>
                  <td class="when">{dateTime(m.createdAt)}</td>
                  <td>
                    <span class={`status ${m.status}`}>{m.status}</span>
                    {m.reason && <span class="muted"> ({m.reason})</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {list.error && <Failed error={list.error} retry={list.retry} />}
      <LoadMore list={list} what="messages" />
    </section>
  );
}

function EventItem({ event }: { event: TimelineEvent }) {
  const probe = event.method === 'HEAD';
  return (
    <li class={`event ${event.type}`}>
      <div class="event-head">
        <strong>{eventWords(event.type)}</strong>
        {event.subtype && <span> ({event.subtype})</span>}{' '}
        <time dateTime={new Date(event.at).toISOString()}>{dateTime(event.at)}</time>
        {event.verdict && <span class={`verdict ${event.verdict}`}>{event.verdict}</span>}
        {probe && <span class="verdict probe">probe (HEAD), not counted</span>}
      </div>
      <div class="event-detail">
        {event.url && (
          <div>
            Link {event.linkOrdinal === 0 ? '0 (the honeypot: no person can see it)' : event.linkOrdinal}: <span class="url">{event.url}</span>
          </div>
        )}
        {event.reason && <div>Reason: {event.reason}</div>}
        {event.reasons.length > 0 && <div class="muted">Why {event.verdict ?? 'so'}: {event.reasons.join(', ')}</div>}
        <div class="muted">
          <Link href={`/campaigns/${event.campaignId}?execution=${event.executionId}`}>Execution #{event.executionId}</Link>, message #{event.messageId}, from {event.source}
        </div>
      </div>
    </li>
  );
}

function Timeline({ contactId, first }: { contactId: number; first: TimelinePage }) {
  const list = usePaged<TimelineEvent>((after) => api.contactTimeline(contactId, after), [contactId], first);
  // From the newest event the first page shows (0 when it shows none: every hit of the contact is new).
  const live = useLiveFeed(contactLivePath(contactId), (hit) => list.prepend(liveRow(hit)), Math.max(0, ...first.rows.map((r) => r.id)));
  // A live hit can also come in the first page when it arrived while the page loaded: shown once.
  const seen = new Set<number>();
  const rows = list.rows.filter((r) => !seen.has(r.id) && seen.add(r.id));
  return (
    <section aria-labelledby="timeline-title">
      <h2 id="timeline-title">
        Timeline <span class={`live-state ${live.state}`}>{live.state === 'live' ? 'live' : live.state === 'connecting' ? 'connecting…' : 'live updates unavailable; trying again shortly'}</span>
      </h2>
      {rows.length === 0 ? (
        <Empty>Nothing has happened to this contact's messages yet.</Empty>
      ) : (
        <ol class="timeline" aria-label="Events, newest first" aria-live="polite">
          {rows.map((e) => (
            <EventItem key={e.id} event={e} />
          ))}
        </ol>
      )}
      {list.error && <Failed error={list.error} retry={list.retry} />}
      <LoadMore list={list} what="events" />
    </section>
  );
}

export function ContactPage({ route }: PageProps) {
  const contactId = Number(route.params.id);
  const valid = Number.isInteger(contactId) && contactId > 0;
  const detail = useResource(() => (valid ? api.contact(contactId) : Promise.reject(new Error(`"${route.params.id}" is not a contact number.`))), [contactId]);
  return (
    <>
      {detail.data === null && <h1>Contact #{route.params.id}</h1>}
      <Loaded resource={detail} what="the contact">
        {(d) => (
          <>
            <header class="page-head">
              <h1>{d.contact.email}</h1>
              <p class="muted">
                Contact #{d.contact.id} · <Link href="/contacts">All contacts</Link>
              </p>
            </header>
            <section aria-labelledby="about-title">
              <h2 id="about-title">About</h2>
              <Attributes detail={d} />
            </section>
            <Messages contactId={d.contact.id} first={d.messages} />
            <Timeline contactId={d.contact.id} first={d.timeline} />
          </>
        )}
      </Loaded>
    </>
  );
}
