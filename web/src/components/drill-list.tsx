/**
 * The messages (and their contacts) behind a report's figure: the API path the report gave for it,
 * a page at a time, with the count loaded so far and "all N shown" once the list has ended, so
 * the count can be compared with the figure.
 */
import { api, type DrillRow } from '../api.js';
import { csvPath, isListPath } from '../api-live.js';
import { count, dateTime } from '../format.js';
import { Link } from '../router.js';
import { ScrollTable } from './scroll-table.js';
import { Empty, Failed } from './states.js';
import { usePaged } from './use-paged.js';
import { LoadMore } from './pager.js';

/** Rows asked for per page: a screenful or two, well under the API's maximum. */
const DRILL_PAGE_SIZE = 100;

const campaignOf = (path: string) => /^\/api\/campaigns\/([0-9]+)\//.exec(path)?.[1];

export function DrillList({ path, label }: { path: string; label: string }) {
  const valid = isListPath(path);
  const list = usePaged<DrillRow>((after) => (valid ? api.drill(path, after, DRILL_PAGE_SIZE) : Promise.reject(new Error('This is not the address of a report list.'))), [path]);
  const campaignId = campaignOf(path) ?? (list.rows[0] ? String(list.rows[0].campaignId) : undefined);
  const title = `Contacts: ${label || 'a report figure'}`;

  return (
    <section aria-labelledby="drill-title">
      <h1 id="drill-title">{title}</h1>
      <p class="drill-actions">
        {campaignId && <Link href={`/campaigns/${campaignId}`}>Back to the campaign</Link>}
        {valid && (
          <a href={csvPath(path)} download>
            Download the whole list as CSV
          </a>
        )}
        <Link href="/contacts">All contacts</Link>
      </p>
      <p class="drill-count" role="status" aria-live="polite">
        {list.loading && list.rows.length === 0
          ? 'Loading the list…'
          : list.more
            ? `${count(list.rows.length)} shown so far; more to load.`
            : list.error
              ? `${count(list.rows.length)} shown.`
              : `All ${count(list.rows.length)} shown.`}
      </p>
      {list.error && <Failed error={list.error} retry={valid ? list.retry : undefined} />}
      {!list.loading && !list.error && list.rows.length === 0 && <Empty>No message counts toward this figure.</Empty>}
      {list.rows.length > 0 && (
        <ScrollTable label={`Table of the messages counted as ${label || "this figure"}`}>
          <table class="drill">
            <caption class="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                <th scope="col">Execution</th>
                <th scope="col">Status</th>
                <th scope="col">Reason</th>
                <th scope="col">Provider</th>
                <th scope="col">Created</th>
                <th scope="col">First open</th>
                <th scope="col">First click</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((r) => (
                <tr key={r.messageId}>
                  <td>{r.contactId ? <Link href={`/contacts/${r.contactId}`}>{r.email}</Link> : <span title="a message to several recipients">{r.email}</span>}</td>
                  <td>#{r.executionId}</td>
                  <td>
                    <span class={`status ${r.status}`}>{r.status}</span>
                  </td>
                  <td>{r.reason ?? <span class="muted">–</span>}</td>
                  <td>{r.provider}</td>
                  <td>{dateTime(r.createdAt)}</td>
                  <td>{dateTime(r.firstOpenAt)}</td>
                  <td>{dateTime(r.firstClickAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <LoadMore list={list} />
    </section>
  );
}
