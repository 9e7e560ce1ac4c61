/**
 * Contacts. With `?list=<API path>&label=`: the contacts behind one of a report's figures
 * (DrillList). Without: every contact with a status column per chosen campaign (the three newest by
 * default), searchable by address, sortable and filterable by a campaign's status, a page at a time.
 */
import { useState } from 'preact/hooks';
import { api, type Campaign, type ContactList } from '../api.js';
import { count } from '../format.js';
import type { PageProps } from '../page.js';
import { Link, setQuery } from '../router.js';
import { useResource } from '../use-resource.js';
import { STATUS_PRECEDENCE } from '../../../src/core/message-status.js';
import { DrillList } from '../components/drill-list.js';
import { ScrollTable } from '../components/scroll-table.js';
import { Empty, Failed, Loaded } from '../components/states.js';
import { usePaged } from '../components/use-paged.js';
import { LoadMore } from '../components/pager.js';

/** Status columns shown when none are chosen: the newest campaigns, the ones people look at. */
const DEFAULT_COLUMNS = 3;
/** The API's limit on status columns (MAX_CAMPAIGN_COLUMNS). */
const MAX_COLUMNS = 10;
/** Contacts per page: a screenful or two. */
const PAGE_SIZE = 50;

type Row = ContactList['rows'][number];

const newestFirst = (a: Campaign, b: Campaign) => b.createdAt - a.createdAt || b.id - a.id;

function chosenColumns(query: URLSearchParams, campaigns: Campaign[]): number[] {
  const asked = query.get('campaigns');
  if (asked === null) return [...campaigns].sort(newestFirst).slice(0, DEFAULT_COLUMNS).map((c) => c.id);
  const known = new Set(campaigns.map((c) => c.id));
  return asked
    .split(',')
    .map(Number)
    .filter((id) => known.has(id))
    .slice(0, MAX_COLUMNS);
}

function statusFilters(query: URLSearchParams, columns: number[]): Record<string, string> {
  const filters: Record<string, string> = {};
  for (const id of columns) {
    const value = query.get(`status[${id}]`);
    if (value) filters[`status[${id}]`] = value;
  }
  return filters;
}

function ColumnChooser({ campaigns, columns }: { campaigns: Campaign[]; columns: number[] }) {
  const toggle = (id: number, on: boolean) => {
    const next = on ? [...columns, id] : columns.filter((c) => c !== id);
    setQuery({ campaigns: next.join(','), sort: null });
  };
  return (
    <fieldset class="columns-chooser">
      <legend>Status columns (campaigns, at most {MAX_COLUMNS})</legend>
      {[...campaigns].sort(newestFirst).map((c) => (
        <label key={c.id} class="check">
          <input type="checkbox" checked={columns.includes(c.id)} disabled={!columns.includes(c.id) && columns.length >= MAX_COLUMNS} onChange={(e) => toggle(c.id, (e.currentTarget as HTMLInputElement).checked)} />
          {c.name}
        </label>
      ))}
    </fieldset>
  );
}

/** The search form: its fields start from the address's query and apply only when submitted. */
function Filters({ campaigns, columns, query }: { campaigns: Map<number, Campaign>; columns: number[]; query: URLSearchParams }) {
  const [q, setQ] = useState(query.get('q') ?? '');
  const [sort, setSort] = useState(query.get('sort') ?? '');
  const [statuses, setStatuses] = useState<Record<number, string>>(() => Object.fromEntries(columns.map((id) => [id, query.get(`status[${id}]`) ?? ''])));
  const submit = (event: Event) => {
    event.preventDefault();
    const changes: Record<string, string | null> = { q: q.trim() || null, sort: sort || null };
    for (const id of columns) changes[`status[${id}]`] = statuses[id] || null;
    setQuery(changes);
  };
  const name = (id: number) => campaigns.get(id)?.name ?? `campaign ${id}`;
  return (
    <form class="inline filters" role="search" aria-label="Find contacts" onSubmit={submit}>
      <div class="control">
        <label for="contact-q">Address starts with</label>
        <input id="contact-q" type="search" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} autocomplete="off" />
      </div>
      <div class="control">
        <label for="contact-sort">Sort by</label>
        <select id="contact-sort" value={sort} onChange={(e) => setSort((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">Address</option>
          {columns.map((id) => (
            <option key={id} value={String(id)}>
              Status in {name(id)}
            </option>
          ))}
        </select>
      </div>
      {columns.map((id) => (
        <div class="control" key={id}>
          <label for={`contact-status-${id}`}>Only status in {name(id)}</label>
          <select id={`contact-status-${id}`} value={statuses[id] ?? ''} onChange={(e) => setStatuses({ ...statuses, [id]: (e.currentTarget as HTMLSelectElement).value })}>
            <option value="">Any</option>
            {STATUS_PRECEDENCE.map((s) => (
              <option key={s.key} value={s.key}>
                {s.key}
              </option>
            ))}
          </select>
        </div>
      ))}
      <button type="submit">Show</button>
    </form>
  );
}

function ContactTable({ campaigns, query }: { campaigns: Campaign[]; query: URLSearchParams }) {
  const columns = chosenColumns(query, campaigns);
  const byId = new Map(campaigns.map((c) => [c.id, c]));
  const sortParam = query.get('sort');
  const sort = sortParam && columns.includes(Number(sortParam)) ? sortParam : undefined;
  const q = query.get('q') ?? undefined;
  const filters = statusFilters(query, columns);
  const ask = { campaigns: columns.join(','), sort, q, ...filters, limit: PAGE_SIZE };
  const list = usePaged<Row>((after) => api.contacts({ ...ask, after }), [JSON.stringify(ask)]);

  return (
    <>
      <ColumnChooser campaigns={campaigns} columns={columns} />
      <Filters key={query.toString()} campaigns={byId} columns={columns} query={query} />
      <p role="status" aria-live="polite" class="drill-count">
        {list.loading && list.rows.length === 0 ? 'Loading contacts…' : `${count(list.rows.length)} ${list.rows.length === 1 ? 'contact' : 'contacts'} shown${list.more ? '; more to load' : ''}.`}
      </p>
      {list.error && <Failed error={list.error} retry={list.retry} />}
      {!list.loading && !list.error && list.rows.length === 0 && <Empty>{q || Object.keys(filters).length > 0 ? 'No contact matches.' : 'No contact yet: contacts are created with the messages sent to them.'}</Empty>}
      {list.rows.length > 0 && (
        <ScrollTable label="Contacts and their status in each campaign">
          <table class="statuses">
            <caption class="visually-hidden">Contacts and their status in each chosen campaign</caption>
            <thead>
              <tr>
                <th scope="col">Contact</th>
                {columns.map((id) => (
                  <th scope="col" key={id}>
                    {byId.get(id)?.name ?? `Campaign ${id}`}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {list.rows.map((r) => (
                <tr key={r.contact.id}>
                  <th scope="row">
                    <Link href={`/contacts/${r.contact.id}`}>{r.contact.email}</Link>
                  </th>
                  {columns.map((id) => {
                    const s = r.statuses[String(id)];
                    return (
                      <td key={id}>
                        {s ? (
                          <>
                            <span class={`status ${s.status}`}>{s.status}</span>
                            {s.reason && <span class="muted"> ({s.reason})</span>}
                          </>
                        ) : (
                          <span class="muted">not sent</span>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <LoadMore list={list} />
    </>
  );
}

export function ContactsPage({ route }: PageProps) {
  const listPath = route.query.get('list');
  const campaigns = useResource(() => (listPath ? Promise.resolve(null) : api.campaigns()), [Boolean(listPath)]);
  if (listPath) return <DrillList path={listPath} label={route.query.get('label') ?? ''} />;
  return (
    <section aria-labelledby="contacts-title">
      <h1 id="contacts-title">Contacts</h1>
      <Loaded resource={campaigns} what="the campaigns">
        {(data) => (data ? <ContactTable campaigns={data.campaigns} query={route.query} /> : null)}
      </Loaded>
    </section>
  );
}
