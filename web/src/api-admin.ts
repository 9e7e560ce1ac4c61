/**
 * The calls of the suppressions, settings and review pages that api.ts lacks: users, API keys,
 * settings, outgoing webhook endpoints (admin only) and the suppression list's import and removal
 * with a note, typed by the server's response schemas (type imports only).
 */
import type { z } from 'zod';
import type * as R from '../../src/adapters/http/api-responses.js';
import type { KeyScope, Role } from '../../src/app/ports.js';
import { request, get, withQuery, type SuppressionImport, type SuppressionRemoved } from './api.js';

type Out<T extends z.ZodType> = z.infer<T>;

// The server's own lists (ports.ts is pure: types and constants), so a new role or scope cannot be missed here.
export { ROLES, type Role, type KeyScope } from '../../src/app/ports.js';

/** What a key of each scope may do: one entry per scope (the type checks it), least first, the order the form offers them in. */
export const KEY_SCOPE_MEANS: Readonly<Record<KeyScope, string>> = {
  reports: 'read only: reports, campaigns, contacts, suppressions',
  ingest: 'delivery events and provider webhooks only',
  admin: 'everything, users and keys included',
};

export type User = Out<typeof R.UserRecord>;
export type ApiKey = Out<typeof R.ApiKeyInfo>;
export type CreatedKey = Out<typeof R.CreatedApiKey>;
/** The running configuration a user may see; never a secret. */
export type Settings = Out<typeof R.Settings>;
export type WebhookEndpoint = Out<typeof R.WebhookEndpoint>;
export type CreatedWebhookEndpoint = Out<typeof R.CreatedWebhookEndpoint>;
export type WebhookDelivery = Out<typeof R.WebhookDelivery>;

export const adminApi = {
  users: async () => (await get<Out<typeof R.UserList>>('/api/users')).users,
  addUser: (body: { email: string; name: string; role: Role; password: string }) => request<User>('POST', '/api/users', body),
  changeUser: (id: number, body: { role?: Role; name?: string; password?: string }) => request<User>('PATCH', `/api/users/${id}`, body),
  removeUser: (id: number) => request<unknown>('DELETE', `/api/users/${id}`),

  keys: async () => (await get<Out<typeof R.ApiKeyList>>('/api/keys')).keys,
  createKey: (body: { name: string; scope: KeyScope }) => request<CreatedKey>('POST', '/api/keys', body),
  revokeKey: (id: string) => request<unknown>('DELETE', `/api/keys/${id}`),

  settings: () => get<Settings>('/api/settings'),

  webhookEndpoints: async () => (await get<Out<typeof R.WebhookEndpointList>>('/api/webhook-endpoints')).endpoints,
  addWebhookEndpoint: (body: { url: string; description?: string }) => request<CreatedWebhookEndpoint>('POST', '/api/webhook-endpoints', body),
  removeWebhookEndpoint: (id: number) => request<unknown>('DELETE', `/api/webhook-endpoints/${id}`),
  /** A page of an endpoint's delivery log, newest first; `after` is the previous page's `next`. */
  webhookDeliveries: (id: number, after: string | null) => get<Out<typeof R.WebhookDeliveryPage>>(`/api/webhook-endpoints/${id}/deliveries`, { after }),

  /** Removes an address from the suppression list, the note kept in its audit trail. */
  removeSuppression: (email: string, note: string | null) => request<SuppressionRemoved>('DELETE', `/api/suppressions/${encodeURIComponent(email)}`, { note }),
  importSuppressions: (csv: string) => request<SuppressionImport>('POST', '/api/suppressions/import', csv, 'text/csv; charset=utf-8'),
  exportSuppressionsUrl: (all: boolean) => withQuery('/api/suppressions/export.csv', { all: all || undefined }),
  inboundRawUrl: (id: number) => `/api/inbound-reports/${id}/raw`,
};
