/**
 * Mail kept for review: inbound reports (bounces, complaints, replies) that could not be matched to
 * a message or did not become events, with what each reported and its raw mail. The address holds
 * the filter and the page: `?state=&after=`.
 */
import { api } from '../api.js';
import { INBOUND_STATES, type InboundState } from '../../../src/core/inbound-states.js';
import { adminApi } from '../api-admin.js';
import type { PageProps } from '../page.js';
import { setQuery } from '../router.js';
import { useResource } from '../use-resource.js';
import { Pager } from '../components/pager.js';
import { count, dateTime } from '../format.js';
import { Empty, Loaded } from '../components/states.js';

/** What each state of an inbound report means: one entry per state the server has (INBOUND_STATES). */
const MEANS: Record<InboundState, string> = {
  unmatched: 'a report about a message mailsight cannot find',
  unparseable: 'mail that could not be read as a report',
  'not-a-report': 'mail that is not a bounce or complaint',
  'auth-failure': 'a report that failed authentication',
  'auto-reply': 'an automatic reply (out of office): the message was delivered',
  'not-spam': 'a “not spam” report',
};
/** A page of the list. */
const PAGE_SIZE = 50;

export function ReviewPage({ route }: PageProps) {
  const state = route.query.get('state') ?? '';
  const after = route.query.get('after') ?? '';
  const reports = useResource(() => api.inboundReports({ state, after, limit: PAGE_SIZE }), [state, after]);
  return (
    <section aria-labelledby="review-title">
      <h1 id="review-title">Review</h1>
      <p class="muted">Mail received on the bounce address or from a provider that did not become events: kept here, with its raw mail, for a person to look at.</p>
      <form class="inline card phone-stack" aria-label="Filter the reports" onSubmit={(event) => event.preventDefault()}>
        <label>
          State
          <select value={state} onChange={(event) => setQuery({ state: event.currentTarget.value || null, after: null })}>
            <option value="">Every state</option>
            {INBOUND_STATES.map((s) => (
              <option key={s} value={s}>
                {s}: {MEANS[s]}
              </option>
            ))}
          </select>
        </label>
      </form>
      <Loaded resource={reports} what="the reports kept for review">
        {(data) =>
          data.reports.length === 0 ? (
            <Empty>{after ? 'No more reports.' : state ? `No report in state “${state}”.` : 'Nothing to review: every report received became events.'}</Empty>
          ) : (
            <>
              <div class="table-scroll">
                <table>
                  <caption>Reports kept for review{state ? ` (${state})` : ''}</caption>
                  <thead>
                    <tr>
                      <th scope="col">Received</th>
                      <th scope="col">From</th>
                      <th scope="col">State</th>
                      <th scope="col">Why it is here</th>
                      <th scope="col">What it reported</th>
                      <th scope="col">Raw mail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.reports.map((report) => (
                      <tr key={report.id}>
                        <td>{dateTime(report.receivedAt)}</td>
                        <td>{report.origin}</td>
                        <td>
                          <span class="badge-state">{report.state}</span>
                        </td>
                        <td>{report.reason}</td>
                        <td>
                          <Outcomes outcomes={report.outcomes} />
                        </td>
                        <td>
                          {report.rawBytes === null ? (
                            <span class="muted">none (a webhook)</span>
                          ) : (
                            <a href={adminApi.inboundRawUrl(report.id)} aria-label={`Raw mail of report ${report.id} (${count(report.rawBytes)} bytes)`}>
                              Raw mail ({count(report.rawBytes)} bytes)
                            </a>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager label="Pages of the reports" after={after || null} next={data.next} onPage={(page) => setQuery({ after: page })} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

/** What a report said, one line an outcome: its kind, recipient and time, the rest as given. */
function Outcomes({ outcomes }: { outcomes: Record<string, unknown>[] | null }) {
  if (!outcomes || outcomes.length === 0) return <span class="muted">nothing readable</span>;
  return (
    <ul class="outcomes">
      {outcomes.map((outcome, i) => {
        const { kind, recipient, at, ...rest } = outcome;
        const details = Object.entries(rest)
          .filter(([, value]) => value !== null && value !== undefined && !(typeof value === 'object' && Object.values(value as object).every((v) => v === null)))
          .map(([name, value]) => `${name}: ${typeof value === 'object' ? readable(value as object) : String(value)}`);
        return (
          <li key={i}>
            <strong>{String(kind ?? 'outcome')}</strong>
            {recipient ? ` for ${String(recipient)}` : ''}
            {typeof at === 'number' ? `, ${dateTime(at)}` : ''}
            {details.length > 0 && <div class="muted small">{details.join(' · ')}</div>}
          </li>
        );
      })}
    </ul>
  );
}

/** An object's set fields as `name value, ...`: the nulls of a reference say nothing. */
const readable = (value: object): string =>
  Object.entries(value)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([name, v]) => `${name} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
