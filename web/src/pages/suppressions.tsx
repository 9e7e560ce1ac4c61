/**
 * The suppression list: addresses mail is not sent to, filtered by reason, state and prefix, a page
 * at a time; one address's audit trail; add, remove (with a note, after a confirmation), import and
 * export CSV. Editors and admins change it; viewers only see it (the API refuses them anyway).
 * The address holds the filters and the open trail: `?reason=&state=&prefix=&after=&email=`.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type SuppressionImport } from '../api.js';
import { adminApi } from '../api-admin.js';
import { SUPPRESSION_REASONS } from '../../../src/core/suppression-rules.js';
import type { PageProps } from '../page.js';
import { setQuery } from '../router.js';
import { useResource } from '../use-resource.js';
import { Pager } from '../components/pager.js';
import { count, dateTime } from '../format.js';
import { Empty, Loaded } from '../components/states.js';

const STATES = ['active', 'expired', 'all'] as const;
/** A page of the list. */
const PAGE_SIZE = 50;
const DAY_MS = 24 * 60 * 60 * 1000;

export function SuppressionsPage({ route, user }: PageProps) {
  const q = route.query;
  const filters = { reason: q.get('reason') ?? '', state: q.get('state') ?? 'active', prefix: q.get('prefix') ?? '', after: q.get('after') ?? '' };
  const canChange = user.role === 'admin' || user.role === 'editor';
  const list = useResource(() => api.suppressions({ ...filters, limit: PAGE_SIZE }), [filters.reason, filters.state, filters.prefix, filters.after]);
  const [removing, setRemoving] = useState<string | null>(null);
  const open = q.get('email');

  return (
    <>
      <section aria-labelledby="suppressions-title">
        <h1 id="suppressions-title">Suppressions</h1>
        <p class="muted">Addresses mailsight does not send to: hard bounces, complaints, unsubscribes and the ones added by hand or imported.</p>
        {!canChange && <p class="notice">You can see the list; an editor or an admin can change it.</p>}
        <Filters filters={filters} />
        {open && <AuditTrail email={open} />}
        <Loaded resource={list} what="the suppression list">
          {(data) =>
            data.suppressions.length === 0 ? (
              <Empty>{filters.after ? 'No more addresses.' : 'No address matches these filters.'}</Empty>
            ) : (
              <>
                <div class="table-scroll">
                  <table>
                    <caption>Suppressed addresses ({filters.state === 'all' ? 'active and expired' : filters.state})</caption>
                    <thead>
                      <tr>
                        <th scope="col">Address</th>
                        <th scope="col">Reason</th>
                        <th scope="col">Source</th>
                        <th scope="col">Since</th>
                        <th scope="col">Expires</th>
                        <th scope="col">Note</th>
                        {canChange && <th scope="col">Change</th>}
                      </tr>
                    </thead>
                    <tbody>
                      {data.suppressions.map((s) => (
                        <tr key={s.email}>
                          <td>
                            <button type="button" class="link" onClick={() => setQuery({ email: s.email })} aria-label={`Audit trail of ${s.email}`}>
                              {s.email}
                            </button>
                            {!s.active && <span class="badge-state"> expired</span>}
                          </td>
                          <td>{s.reason}</td>
                          <td>{s.source}</td>
                          <td>{dateTime(s.createdAt)}</td>
                          <td>{s.expiresAt === null ? 'never' : dateTime(s.expiresAt)}</td>
                          <td>{s.note ?? ''}</td>
                          {canChange && (
                            <td>
                              {s.active && (
                                <button type="button" class="secondary" onClick={() => setRemoving(s.email)} aria-label={`Remove ${s.email}`}>
                                  Remove
                                </button>
                              )}
                            </td>
                          )}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                <Pager label="Pages of the list" after={filters.after || null} next={data.next} onPage={(after) => setQuery({ after })} />
              </>
            )
          }
        </Loaded>
        {removing && (
          <RemoveConfirm
            email={removing}
            onDone={() => {
              setRemoving(null);
              list.reload();
            }}
          />
        )}
      </section>
      {canChange && (
        <section aria-labelledby="add-title">
          <h2 id="add-title">Add an address</h2>
          <AddForm onAdded={list.reload} />
        </section>
      )}
      <section aria-labelledby="csv-title">
        <h2 id="csv-title">CSV files</h2>
        <p class="actions">
          <a class="button" href={adminApi.exportSuppressionsUrl(false)}>
            Export the active list
          </a>
          <a class="button" href={adminApi.exportSuppressionsUrl(true)}>
            Export every entry, expired too
          </a>
        </p>
        {canChange && <ImportForm onImported={list.reload} />}
      </section>
    </>
  );
}

function Filters({ filters }: { filters: { reason: string; state: string; prefix: string } }) {
  const [prefix, setPrefix] = useState(filters.prefix);
  return (
    <form
      class="inline card phone-stack"
      aria-label="Filter the list"
      onSubmit={(event) => {
        event.preventDefault();
        setQuery({ prefix: prefix.trim() || null, after: null });
      }}
    >
      <label>
        Reason
        <select value={filters.reason} onChange={(event) => setQuery({ reason: event.currentTarget.value || null, after: null })}>
          <option value="">Any reason</option>
          {SUPPRESSION_REASONS.map((reason) => (
            <option key={reason} value={reason}>
              {reason}
            </option>
          ))}
        </select>
      </label>
      <label>
        State
        <select value={filters.state} onChange={(event) => setQuery({ state: event.currentTarget.value === 'active' ? null : event.currentTarget.value, after: null })}>
          {STATES.map((state) => (
            <option key={state} value={state}>
              {state}
            </option>
          ))}
        </select>
      </label>
      <label>
        Address starts with
        <input type="search" value={prefix} onInput={(event) => setPrefix(event.currentTarget.value)} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** A change's outcome: nothing yet, in flight, done (with what to say), or failed. */
type Outcome = { state: 'idle' } | { state: 'busy' } | { state: 'done'; message: string } | { state: 'failed'; message: string };

const failure = (error: unknown): Outcome => ({ state: 'failed', message: error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error) });

function OutcomeLine({ outcome }: { outcome: Outcome }) {
  return (
    <p role="status" class={outcome.state === 'failed' ? 'error' : 'muted'}>
      {outcome.state === 'failed' ? outcome.message : outcome.state === 'done' ? outcome.message : outcome.state === 'busy' ? 'Working…' : ''}
    </p>
  );
}

function RemoveConfirm({ email, onDone }: { email: string; onDone: () => void }) {
  const [note, setNote] = useState('');
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const remove = async (event: Event) => {
    event.preventDefault();
    setOutcome({ state: 'busy' });
    try {
      await adminApi.removeSuppression(email, note.trim() || null);
      onDone();
    } catch (error) {
      setOutcome(failure(error));
    }
  };
  return (
    <form class="confirm stack" aria-labelledby="remove-title" onSubmit={(event) => void remove(event)}>
      <h2 id="remove-title">Remove {email} from the list?</h2>
      <p>Mail will be sent to this address again. The removal and its note stay in the audit trail.</p>
      <label>
        Note (why)
        <input value={note} maxLength={1000} onInput={(event) => setNote(event.currentTarget.value)} ref={(input) => input?.focus()} />
      </label>
      <div class="actions">
        <button type="submit" class="danger" disabled={outcome.state === 'busy'}>
          Remove {email}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Cancel
        </button>
      </div>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

function AuditTrail({ email }: { email: string }) {
  const detail = useResource(() => api.suppression(email), [email]);
  const heading = useRef<HTMLHeadingElement>(null);
  // Opened from a row far up the list: bring it into view, and the keyboard's focus with it.
  useEffect(() => heading.current?.focus(), [email]);
  return (
    <section aria-labelledby="trail-title" class="card">
      <h2 id="trail-title" tabIndex={-1} ref={heading}>
        Audit trail of {email}
      </h2>
      <button type="button" class="link" onClick={() => setQuery({ email: null })}>
        Close the trail
      </button>
      <Loaded resource={detail} what={`the trail of ${email}`}>
        {(data) => (
          <>
            <p>
              {data.suppression === null
                ? 'Not on the list now.'
                : data.suppression.active
                  ? `Suppressed now (${data.suppression.reason}), ${data.suppression.expiresAt === null ? 'permanently' : `until ${dateTime(data.suppression.expiresAt)}`}.`
                  : `Expired on ${dateTime(data.suppression.expiresAt)}.`}
            </p>
            {data.history.length === 0 ? (
              <Empty>No change recorded.</Empty>
            ) : (
              <div class="table-scroll">
                <table>
                  <caption>Every change to {email}, oldest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Change</th>
                      <th scope="col">Reason</th>
                      <th scope="col">Expiry after</th>
                      <th scope="col">By</th>
                      <th scope="col">Note</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.history.map((change) => (
                      <tr key={change.id}>
                        <td>{dateTime(change.at)}</td>
                        <td>{change.action}</td>
                        <td>{change.reason}</td>
                        <td>{change.expiresAt === null ? 'never' : dateTime(change.expiresAt)}</td>
                        <td>{change.actor}</td>
                        <td>{change.note ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Loaded>
    </section>
  );
}

function AddForm({ onAdded }: { onAdded: () => void }) {
  const [email, setEmail] = useState('');
  const [reason, setReason] = useState('manual');
  const [note, setNote] = useState('');
  const [days, setDays] = useState('');
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const submit = async (event: Event) => {
    event.preventDefault();
    const expiryDays = days.trim() === '' ? null : Number(days);
    if (expiryDays !== null && (!Number.isInteger(expiryDays) || expiryDays < 1)) return setOutcome({ state: 'failed', message: 'Expiry: a whole number of days from 1, or empty for a permanent entry.' });
    setOutcome({ state: 'busy' });
    try {
      const added = await api.addSuppression({ email: email.trim(), reason, note: note.trim() || undefined, expiresAt: expiryDays === null ? null : Date.now() + expiryDays * DAY_MS });
      const said = { added: 'added', extended: 'already there: its entry now lasts longer', unchanged: 'already there, for as long or longer: unchanged' }[added.result];
      setOutcome({ state: 'done', message: `${added.suppression.email}: ${said}.` });
      setEmail('');
      setNote('');
      onAdded();
    } catch (error) {
      setOutcome(failure(error));
    }
  };
  return (
    <form class="inline card phone-stack" onSubmit={(event) => void submit(event)} aria-labelledby="add-title">
      <label>
        Email address
        <input type="email" required value={email} onInput={(event) => setEmail(event.currentTarget.value)} autoComplete="off" />
      </label>
      <label>
        Reason
        <select value={reason} onChange={(event) => setReason(event.currentTarget.value)}>
          {SUPPRESSION_REASONS.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <label>
        Note
        <input value={note} maxLength={1000} onInput={(event) => setNote(event.currentTarget.value)} />
      </label>
      <label>
        Expires after (days; empty: never)
        <input type="number" min={1} step={1} value={days} onInput={(event) => setDays(event.currentTarget.value)} />
      </label>
      <button type="submit" disabled={outcome.state === 'busy'}>
        Add
      </button>
      <OutcomeLine outcome={outcome} />
    </form>
  );
}

function ImportForm({ onImported }: { onImported: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const [result, setResult] = useState<SuppressionImport | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!file) return setOutcome({ state: 'failed', message: 'Choose a CSV file first.' });
    setOutcome({ state: 'busy' });
    setResult(null);
    try {
      const imported = await adminApi.importSuppressions(await file.text());
      setResult(imported);
      setOutcome({ state: 'done', message: `Imported ${file.name}.` });
      onImported();
    } catch (error) {
      setOutcome(failure(error));
    }
  };
  return (
    <form class="stack card" onSubmit={(event) => void submit(event)} aria-labelledby="import-title">
      <h3 id="import-title">Import a CSV file</h3>
      <p class="muted">UTF-8, with the header <code>email,reason,expires_at,note</code> (as the export of the active list writes it). All or nothing: a wrong row is named and nothing is imported.</p>
      <label>
        CSV file
        <input type="file" accept=".csv,text/csv" onChange={(event) => setFile(event.currentTarget.files?.[0] ?? null)} />
      </label>
      <div class="actions">
        <button type="submit" disabled={outcome.state === 'busy'}>
          Import
        </button>
      </div>
      <OutcomeLine outcome={outcome} />
      {result && (
        <dl class="settings" aria-label="Import result">
          <dt>Rows read</dt>
          <dd>{count(result.rows)}</dd>
          <dt>Added</dt>
          <dd>{count(result.added)}</dd>
          <dt>Extended</dt>
          <dd>{count(result.extended)}</dd>
          <dt>Unchanged</dt>
          <dd>{count(result.unchanged)}</dd>
        </dl>
      )}
    </form>
  );
}
