/**
 * The calls of the suppressions, settings and review pages that api.ts lacks: users, API keys,
 * settings, outgoing webhook endpoints (admin only) and the suppression list's import and removal
 * with a note. Their answers follow the contract the server's access and live-feed modules implement;
 * until their schemas are in api-responses.ts they are typed here.
 */
import { request, get, withQuery, type SuppressionImport, type SuppressionRemoved } from './api.js';

export type Role = 'admin' | 'editor' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'editor', 'viewer'];

export type KeyScope = 'admin' | 'reports' | 'ingest';
export const KEY_SCOPES: readonly { scope: KeyScope; means: string }[] = [
  { scope: 'reports', means: 'read only: reports, campaigns, contacts, suppressions' },
  { scope: 'ingest', means: 'delivery events and provider webhooks only' },
  { scope: 'admin', means: 'everything, users and keys included' },
];

export interface User {
  id: number;
  email: string;
  name: string;
  role: Role;
  createdAt?: number;
}

export interface ApiKey {
  id: number;
  name: string;
  scope: KeyScope;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface CreatedKey {
  id: number;
  key: string;
  name: string;
  scope: KeyScope;
}

/** The running configuration a user may see; never a secret. Its fields are the server's to choose. */
export type Settings = Record<string, unknown>;

export interface WebhookEndpoint {
  id: number;
  url: string;
  description?: string | null;
  createdAt?: number;
  secret?: string;
}

export interface WebhookDelivery {
  id: number;
  at?: number;
  attemptedAt?: number;
  createdAt?: number;
  events?: number | unknown[];
  eventCount?: number;
  status?: number | string | null;
  error?: string | null;
  attempt?: number;
  state?: string;
}

/** A list answer, whichever of `{ <name>: [...] }` or a bare array the server gives. */
function listOf<T>(answer: unknown, name: string): T[] {
  if (Array.isArray(answer)) return answer as T[];
  const list = (answer as Record<string, unknown> | null)?.[name];
  return Array.isArray(list) ? (list as T[]) : [];
}

export const adminApi = {
  users: async () => listOf<User>(await get<unknown>('/api/users'), 'users'),
  addUser: (body: { email: string; name: string; role: Role; password: string }) => request<unknown>('POST', '/api/users', body),
  changeUser: (id: number, body: { role?: Role; name?: string; password?: string }) => request<unknown>('PATCH', `/api/users/${id}`, body),
  removeUser: (id: number) => request<unknown>('DELETE', `/api/users/${id}`),

  keys: async () => listOf<ApiKey>(await get<unknown>('/api/keys'), 'keys'),
  createKey: (body: { name: string; scope: KeyScope }) => request<CreatedKey>('POST', '/api/keys', body),
  revokeKey: (id: number) => request<unknown>('DELETE', `/api/keys/${id}`),

  settings: () => get<Settings>('/api/settings'),

  webhookEndpoints: async () => listOf<WebhookEndpoint>(await get<unknown>('/api/webhook-endpoints'), 'endpoints'),
  addWebhookEndpoint: async (body: { url: string; description?: string }) => {
    const answer = await request<Record<string, unknown>>('POST', '/api/webhook-endpoints', body);
    // The endpoint itself, or wrapped in `endpoint` beside its secret.
    const endpoint = (answer.endpoint ?? answer) as WebhookEndpoint;
    return { ...endpoint, secret: String(answer.secret ?? endpoint.secret ?? '') };
  },
  removeWebhookEndpoint: (id: number) => request<unknown>('DELETE', `/api/webhook-endpoints/${id}`),
  webhookDeliveries: async (id: number) => listOf<WebhookDelivery>(await get<unknown>(`/api/webhook-endpoints/${id}/deliveries`), 'deliveries'),

  /** Removes an address from the suppression list, the note kept in its audit trail. */
  removeSuppression: (email: string, note: string | null) => request<SuppressionRemoved>('DELETE', `/api/suppressions/${encodeURIComponent(email)}`, { note }),
  importSuppressions: (csv: string) => request<SuppressionImport>('POST', '/api/suppressions/import', csv, 'text/csv; charset=utf-8'),
  exportSuppressionsUrl: (all: boolean) => withQuery('/api/suppressions/export.csv', { all: all || undefined }),
  inboundRawUrl: (id: number) => `/api/inbound-reports/${id}/raw`,
};
