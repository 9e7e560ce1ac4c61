/**
 * Settings: the server's running configuration (read only: it comes from the environment at start),
 * the provider webhook endpoints to give each provider, and, for admins, API keys, users and the
 * outgoing webhooks with their delivery logs. Every section loads on its own, so one failing call
 * leaves the others usable.
 */
import { useState } from 'preact/hooks';
import { ApiError, type SessionUser } from '../api.js';
import { adminApi, KEY_SCOPE_MEANS, ROLES, type ApiKey, type KeyScope, type Role, type Settings, type User, type WebhookEndpoint } from '../api-admin.js';
import type { PageProps } from '../page.js';
import { useResource } from '../use-resource.js';
import { count, dateTime } from '../format.js';
import { Empty, Loaded } from '../components/states.js';
import { Pager } from '../components/pager.js';

export function SettingsPage({ user }: PageProps) {
  const admin = user.role === 'admin';
  return (
    <>
      <h1>Settings</h1>
      {admin ? (
        <>
          <ConfigurationSections />
          <KeysSection />
          <UsersSection me={user} />
          <WebhooksSection />
        </>
      ) : (
        <p class="notice">The server's configuration, API keys, users and outgoing webhooks are managed by an admin. Ask one if something here needs to change.</p>
      )}
    </>
  );
}

// --- Configuration and providers ---

const words = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]/g, ' ').replace(/^./, (c) => c.toUpperCase()).replace(/\b(Url|Api|Smtp|Dsn)\b/gi, (w) => w.toUpperCase());

/** 300000 reads "5 min", 259200000 "3 d": the configuration's durations are in milliseconds. */
function duration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['min', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size} ${unit}`;
  }
  return `${ms} ms`;
}

/** A setting's name without its unit suffix, and its value in that unit's words. */
function withUnit(name: string, value: unknown): [string, unknown] {
  if (!name.endsWith('Ms')) return [name, value];
  const inWords = (v: unknown) => (typeof v === 'number' ? duration(v) : v);
  return [name.slice(0, -2), Array.isArray(value) ? value.map(inWords) : inWords(value)];
}

function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === '') return <span class="muted">not set</span>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  if (Array.isArray(value)) return value.length === 0 ? <span class="muted">none</span> : <>{value.map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')}</>;
  if (typeof value === 'object') return <ConfigList values={value as Record<string, unknown>} />;
  return <>{String(value)}</>;
}

function ConfigList({ values, label }: { values: Record<string, unknown>; label?: string }) {
  return (
    <dl class="settings" aria-label={label}>
      {Object.entries(values).map((entry) => withUnit(...entry)).map(([name, value]) => (
        <div key={name} style={{ display: 'contents' }}>
          <dt>{words(name)}</dt>
          <dd>
            <Value value={value} />
          </dd>
        </div>
      ))}
    </dl>
  );
}

/** Where the server is reached from outside: its public URL. */
const publicBase = (settings: Settings) => settings.publicUrl.replace(/\/+$/, '');

function ConfigurationSections() {
  const settings = useResource(() => adminApi.settings(), []);
  return (
    <>
      <section aria-labelledby="config-title">
        <h2 id="config-title">Tracking and sending</h2>
        <p class="muted">The server's configuration, read when it started (from its environment); change it there and restart. No secret is shown.</p>
        <Loaded resource={settings} what="the configuration">
          {(data) => <div class="card">{Object.keys(data).length === 0 ? <Empty>The server gave no setting.</Empty> : <ConfigList values={data} label="Configuration" />}</div>}
        </Loaded>
      </section>
      <section aria-labelledby="providers-title">
        <h2 id="providers-title">Providers</h2>
        <Loaded resource={settings} what="the providers">
          {(data) => {
            const providers = data.webhookProviders;
            if (providers.length === 0) return <Empty>No provider webhook is enabled: delivery outcomes come from bounce mail and the API only.</Empty>;
            const base = publicBase(data);
            return (
              <div class="table-scroll">
                <table>
                  <caption>Webhook endpoints to give each provider</caption>
                  <thead>
                    <tr>
                      <th scope="col">Provider</th>
                      <th scope="col">Endpoint URL</th>
                    </tr>
                  </thead>
                  <tbody>
                    {providers.map((provider) => (
                      <tr key={provider}>
                        <td>{provider}</td>
                        <td class="url">
                          <code>{`${base}/webhooks/${provider}`}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            );
          }}
        </Loaded>
      </section>
    </>
  );
}

// --- Shared bits of the admin sections ---

type Outcome = { state: 'idle' } | { state: 'busy' } | { state: 'failed'; message: string };
const failed = (error: unknown): Outcome => ({ state: 'failed', message: error instanceof ApiError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error) });

function OutcomeLine({ outcome }: { outcome: Outcome }) {
  return (
    <p role="status" class={outcome.state === 'failed' ? 'error' : 'muted'}>
      {outcome.state === 'failed' ? outcome.message : outcome.state === 'busy' ? 'Working…' : ''}
    </p>
  );
}

/** A secret the server shows once: the value, a copy button and the warning. */
function ShownOnce({ what, value, onDismiss }: { what: string; value: string; onDismiss: () => void }) {
  const [copied, setCopied] = useState<'no' | 'yes' | 'failed'>('no');
  const copy = () =>
    navigator.clipboard.writeText(value).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <div class="secret" role="region" aria-label={`New ${what}`}>
      <p>
        <strong>Copy the {what} now: it is shown only this once.</strong> Store it somewhere safe; mailsight keeps only a hash of it.
      </p>
      <code>{value}</code>
      <button type="button" onClick={() => void copy()}>
        Copy the {what}
      </button>
      <span role="status">{copied === 'yes' ? 'Copied.' : copied === 'failed' ? 'Could not copy: select it and copy it by hand.' : ''}</span>
      <button type="button" class="secondary" onClick={onDismiss}>
        I have stored it
      </button>
    </div>
  );
}

/** A button that asks once more before doing something that cannot be undone. */
function ConfirmButton({ label, confirmLabel, question, onConfirm }: { label: string; confirmLabel: string; question: string; onConfirm: () => Promise<void> }) {
  const [asking, setAsking] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  if (!asking)
    return (
      <button type="button" class="secondary" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  const run = async () => {
    setOutcome({ state: 'busy' });
    try {
      await onConfirm();
      setAsking(false);
      setOutcome({ state: 'idle' });
    } catch (error) {
      setOutcome(failed(error));
    }
  };
  return (
    <div class="confirm" role="group" aria-label={question}>
      <p>{question}</p>
      <div class="actions">
        <button type="button" class="danger" onClick={() => void run()} disabled={outcome.state === 'busy'} ref={(b) => b?.focus()}>
          {confirmLabel}
        </button>
        <button type="button" class="secondary" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </div>
      <OutcomeLine outcome={outcome} />
    </div>
  );
}

// --- API keys ---

function KeysSection() {
  const keys = useResource(() => adminApi.keys(), []);
  const [name, setName] = useState('');
  const [scope, setScope] = useState<KeyScope>('reports');
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const [created, setCreated] = useState<string | null>(null);
  const create = async (event: Event) => {
    event.preventDefault();
    setOutcome({ state: 'busy' });
    try {
      const key = await adminApi.createKey({ name: name.trim(), scope });
      setCreated(key.key);
      setName('');
      setOutcome({ state: 'idle' });
      keys.reload();
    } catch (error) {
      setOutcome(failed(error));
    }
  };
  return (
    <section aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <Loaded resource={keys} what="the API keys">
        {(list) => (list.length === 0 ? <Empty>No API key yet.</Empty> : <KeyTable keys={list} onRevoked={keys.reload} />)}
      </Loaded>
      <h3 id="key-new-title">New key</h3>
      <form class="inline card phone-stack" onSubmit={(event) => void create(event)} aria-labelledby="key-new-title">
        <label>
          Name
          <input required value={name} maxLength={100} onInput={(event) => setName(event.currentTarget.value)} placeholder="e.g. CRM export" />
        </label>
        <label>
          Scope
          <select value={scope} onChange={(event) => setScope(event.currentTarget.value as KeyScope)}>
            {Object.entries(KEY_SCOPE_MEANS).map(([scope, means]) => (
              <option key={scope} value={scope}>
                {scope}: {means}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={outcome.state === 'busy'}>
          Create the key
        </button>
        <OutcomeLine outcome={outcome} />
      </form>
      {created && <ShownOnce what="API key" value={created} onDismiss={() => setCreated(null)} />}
    </section>
  );
}

function KeyTable({ keys, onRevoked }: { keys: ApiKey[]; onRevoked: () => void }) {
  return (
    <div class="table-scroll">
      <table>
        <caption>API keys</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scope</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => (
            <tr key={key.id}>
              <td>{key.name}</td>
              <td>{key.scope}</td>
              <td>{dateTime(key.createdAt)}</td>
              <td>{key.lastUsedAt === null ? 'never' : dateTime(key.lastUsedAt)}</td>
              <td>
                {key.revokedAt !== null ? (
                  <span class="badge-state bad">revoked {dateTime(key.revokedAt)}</span>
                ) : (
                  <ConfirmButton
                    label={`Revoke ${key.name}`}
                    confirmLabel={`Revoke ${key.name} now`}
                    question={`Revoke the key “${key.name}”? Whatever uses it is refused from now on; this cannot be undone.`}
                    onConfirm={async () => {
                      await adminApi.revokeKey(key.id);
                      onRevoked();
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// --- Users ---

function UsersSection({ me }: { me: SessionUser }) {
  const users = useResource(() => adminApi.users(), []);
  const [form, setForm] = useState({ email: '', name: '', role: 'viewer' as Role, password: '' });
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const add = async (event: Event) => {
    event.preventDefault();
    setOutcome({ state: 'busy' });
    try {
      await adminApi.addUser({ ...form, email: form.email.trim(), name: form.name.trim() });
      setForm({ email: '', name: '', role: 'viewer', password: '' });
      setOutcome({ state: 'idle' });
      users.reload();
    } catch (error) {
      setOutcome(failed(error));
    }
  };
  return (
    <section aria-labelledby="users-title">
      <h2 id="users-title">Users</h2>
      <p class="muted">Admins manage everything; editors change campaigns and suppressions; viewers only read.</p>
      <Loaded resource={users} what="the users">
        {(list) => (list.length === 0 ? <Empty>No user yet.</Empty> : <UserTable users={list} me={me} onChanged={users.reload} />)}
      </Loaded>
      <h3 id="user-new-title">Add a user</h3>
      <form class="inline card phone-stack" onSubmit={(event) => void add(event)} aria-labelledby="user-new-title">
        <label>
          Email
          <input type="email" required autoComplete="off" value={form.email} onInput={(event) => setForm({ ...form, email: event.currentTarget.value })} />
        </label>
        <label>
          Name
          <input required value={form.name} onInput={(event) => setForm({ ...form, name: event.currentTarget.value })} />
        </label>
        <label>
          Role
          <select value={form.role} onChange={(event) => setForm({ ...form, role: event.currentTarget.value as Role })}>
            {ROLES.map((role) => (
              <option key={role} value={role}>
                {role}
              </option>
            ))}
          </select>
        </label>
        <label>
          Password
          <input type="password" required minLength={12} autoComplete="new-password" value={form.password} onInput={(event) => setForm({ ...form, password: event.currentTarget.value })} />
        </label>
        <button type="submit" disabled={outcome.state === 'busy'}>
          Add the user
        </button>
        <OutcomeLine outcome={outcome} />
      </form>
    </section>
  );
}

function UserTable({ users, me, onChanged }: { users: User[]; me: SessionUser; onChanged: () => void }) {
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const changeRole = async (user: User, role: Role) => {
    setOutcome({ state: 'busy' });
    try {
      await adminApi.changeUser(user.id, { role });
      setOutcome({ state: 'idle' });
      onChanged();
    } catch (error) {
      setOutcome(failed(error));
    }
  };
  return (
    <>
      <div class="table-scroll">
        <table>
          <caption>Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Remove</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td>
                  {user.name}
                  {user.id === me.id && <span class="muted"> (you)</span>}
                </td>
                <td>{user.email}</td>
                <td>
                  <select aria-label={`Role of ${user.email}`} value={user.role} disabled={user.id === me.id} onChange={(event) => void changeRole(user, event.currentTarget.value as Role)}>
                    {ROLES.map((role) => (
                      <option key={role} value={role}>
                        {role}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  {user.id === me.id ? (
                    <span class="muted">another admin can</span>
                  ) : (
                    <ConfirmButton
                      label={`Remove ${user.email}`}
                      confirmLabel={`Remove ${user.email} now`}
                      question={`Remove ${user.email}? Their sessions end at once.`}
                      onConfirm={async () => {
                        await adminApi.removeUser(user.id);
                        onChanged();
                      }}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <OutcomeLine outcome={outcome} />
    </>
  );
}

// --- Outgoing webhooks ---

function WebhooksSection() {
  const endpoints = useResource(() => adminApi.webhookEndpoints(), []);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [outcome, setOutcome] = useState<Outcome>({ state: 'idle' });
  const [secret, setSecret] = useState<string | null>(null);
  const add = async (event: Event) => {
    event.preventDefault();
    setOutcome({ state: 'busy' });
    try {
      const endpoint = await adminApi.addWebhookEndpoint({ url: url.trim(), ...(description.trim() ? { description: description.trim() } : {}) });
      setSecret(endpoint.secret ?? null);
      setUrl('');
      setDescription('');
      setOutcome({ state: 'idle' });
      endpoints.reload();
    } catch (error) {
      setOutcome(failed(error));
    }
  };
  return (
    <section aria-labelledby="hooks-title">
      <h2 id="hooks-title">Outgoing webhooks</h2>
      <p class="muted">
        Every event is posted to each endpoint as JSON, signed in the <code>Mailsight-Signature</code> header (HMAC-SHA256 with the endpoint's secret), and retried with backoff until it is accepted.
      </p>
      <Loaded resource={endpoints} what="the webhook endpoints">
        {(list) =>
          list.length === 0 ? (
            <Empty>No endpoint yet.</Empty>
          ) : (
            <ul class="stack plain">
              {list.map((endpoint) => (
                <li key={endpoint.id} class="card">
                  <Endpoint endpoint={endpoint} onRemoved={endpoints.reload} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <h3 id="hook-new-title">Add an endpoint</h3>
      <form class="inline card phone-stack" onSubmit={(event) => void add(event)} aria-labelledby="hook-new-title">
        <label>
          URL
          <input type="url" required value={url} placeholder="https://" onInput={(event) => setUrl(event.currentTarget.value)} />
        </label>
        <label>
          Description
          <input value={description} onInput={(event) => setDescription(event.currentTarget.value)} />
        </label>
        <button type="submit" disabled={outcome.state === 'busy'}>
          Add the endpoint
        </button>
        <OutcomeLine outcome={outcome} />
      </form>
      {secret && <ShownOnce what="signing secret" value={secret} onDismiss={() => setSecret(null)} />}
    </section>
  );
}

/** An endpoint's state: deleted, retrying after failures, or active. */
function EndpointState({ endpoint }: { endpoint: WebhookEndpoint }) {
  if (endpoint.disabledAt !== null) return <span class="badge-state bad">deleted {dateTime(endpoint.disabledAt)}</span>;
  if (endpoint.failures > 0)
    return (
      <span class="badge-state warn">
        retrying at {dateTime(endpoint.nextAttemptAt)} after {count(endpoint.failures)} {endpoint.failures === 1 ? 'failure' : 'failures'}
      </span>
    );
  return <span class="badge-state good">active</span>;
}

function Endpoint({ endpoint, onRemoved }: { endpoint: WebhookEndpoint; onRemoved: () => void }) {
  const [showLog, setShowLog] = useState(false);
  const deleted = endpoint.disabledAt !== null;
  return (
    <>
      <h3 class="endpoint-url">{endpoint.url}</h3>
      <p>
        <EndpointState endpoint={endpoint} />
      </p>
      {endpoint.description && <p class="muted">{endpoint.description}</p>}
      <div class="actions">
        <button type="button" class="secondary" aria-expanded={showLog} onClick={() => setShowLog(!showLog)}>
          {showLog ? 'Hide' : 'Show'} the delivery log
        </button>
        {/* A deleted endpoint keeps its log; there is nothing left to delete. */}
        {!deleted && (
          <ConfirmButton
            label="Delete"
            confirmLabel={`Delete ${endpoint.url}`}
            question={`Delete the endpoint ${endpoint.url}? Nothing more is sent to it.`}
            onConfirm={async () => {
              await adminApi.removeWebhookEndpoint(endpoint.id);
              onRemoved();
            }}
          />
        )}
      </div>
      {showLog && <DeliveryLog endpoint={endpoint} />}
    </>
  );
}

function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [after, setAfter] = useState<string | null>(null);
  const log = useResource(() => adminApi.webhookDeliveries(endpoint.id, after), [endpoint.id, after]);
  return (
    <Loaded resource={log} what="the delivery log">
      {({ deliveries, next }) =>
        deliveries.length === 0 ? (
          <Empty>{after ? 'No older delivery.' : 'Nothing delivered yet.'}</Empty>
        ) : (
          <>
            <div class="table-scroll">
              <table>
                <caption>
                  Deliveries to {endpoint.url}, newest first{after ? ' (older page)' : ''}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col" class="num">
                      Events
                    </th>
                    <th scope="col">Status</th>
                    <th scope="col">Error</th>
                  </tr>
                </thead>
                <tbody>
                  {deliveries.map((d) => (
                    <tr key={d.id}>
                      <td>{dateTime(d.at)}</td>
                      <td class="num">{count(d.eventCount)}</td>
                      <td>
                        {d.statusCode ?? 'no answer'}
                        {d.attempt > 1 ? ` (attempt ${d.attempt})` : ''}
                      </td>
                      <td>{d.error ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label={`Pages of the delivery log of ${endpoint.url}`} after={after} next={next} onPage={setAfter} />
          </>
        )
      }
    </Loaded>
  );
}
