/**
 * The dashboard's one way to the server: the JSON API, typed by the same zod schemas the server
 * checks its answers against (type imports only: no schema code reaches the browser). Errors carry
 * the API's code and message; a 401 sends the browser to the sign-in page.
 */
import type { z } from 'zod';
import type * as R from '../../src/adapters/http/api-responses.js';

type Out<T extends z.ZodType> = z.infer<T>;

export type Campaign = Out<typeof R.Campaign>;
export type CampaignList = Out<typeof R.CampaignList>;
export type Execution = Out<typeof R.Execution>;
export type CampaignReport = Out<typeof R.CampaignReport>;
export type ExecutionHotClicks = Out<typeof R.ExecutionHotClicks>;
export type CampaignHotClicks = Out<typeof R.CampaignHotClicks>;
export type DrillPage = Out<typeof R.DrillPage>;
export type DrillRow = Out<typeof R.DrillRow>;
export type ContactList = Out<typeof R.ContactList>;
export type ContactDetail = Out<typeof R.ContactDetail>;
export type TimelinePage = Out<typeof R.TimelinePage>;
export type ContactMessagesPage = Out<typeof R.ContactMessagesPage>;
export type SuppressionList = Out<typeof R.SuppressionList>;
export type SuppressionDetail = Out<typeof R.SuppressionDetail>;
export type SuppressionAdded = Out<typeof R.SuppressionAdded>;
export type SuppressionRemoved = Out<typeof R.SuppressionRemoved>;
export type SuppressionImport = Out<typeof R.SuppressionImport>;
export type InboundReportList = Out<typeof R.InboundReportList>;
export type CampaignOverview = Out<typeof R.CampaignOverview>;

/** Who is signed in (the session API). */
export type SessionUser = Out<typeof R.SessionUser>;
export type SessionInfo = Out<typeof R.SessionInfo>;
export type LiveHit = Out<typeof R.LiveHit>;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The session's CSRF token, sent with every request that changes something. */
let csrfToken: string | null = null;
export const setCsrfToken = (token: string | null) => void (csrfToken = token);

export type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

/** `path?query` with empty values left out and arrays as repeated parameters. */
export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}${path.includes('?') ? '&' : '?'}${search}` : path;
}

export async function request<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = contentType;
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  const data = text && response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as unknown) : text;
  if (!response.ok) {
    const error = (typeof data === 'object' && data !== null ? data : {}) as { error?: string; message?: string };
    if (response.status === 401 && !path.startsWith('/api/session')) signInAgain();
    throw new ApiError(response.status, error.error ?? `HTTP_${response.status}`, error.message ?? response.statusText);
  }
  return data as T;
}

/** The session ended (expired, signed out elsewhere): back to the sign-in page, then here again. */
function signInAgain(): void {
  const next = location.pathname + location.search;
  location.assign(`/sign-in?next=${encodeURIComponent(next)}`);
}

export const get = <T>(path: string, query?: Query) => request<T>('GET', withQuery(path, query));

export const api = {
  session: () => get<SessionInfo>('/api/session'),
  signIn: (email: string, password: string) => request<SessionInfo>('POST', '/api/session', { email, password }),
  signOut: (everywhere = false) => request<unknown>('DELETE', withQuery('/api/session', { everywhere: everywhere || undefined })),

  campaigns: () => get<CampaignList>('/api/campaigns'),
  campaignOverview: (query: Query = {}) => get<CampaignOverview>('/api/campaigns/overview', query),
  campaignReport: (id: number) => get<CampaignReport>(`/api/campaigns/${id}/report`),
  executionReport: (id: number) => get<CampaignReport>(`/api/executions/${id}/report`),
  execution: (id: number) => get<Execution>(`/api/executions/${id}`),
  executionHotClicks: (id: number, view: Query = {}) => get<ExecutionHotClicks>(`/api/executions/${id}/hot-clicks`, view),
  campaignHotClicks: (id: number) => get<CampaignHotClicks>(`/api/campaigns/${id}/hot-clicks`),

  /** A report's list of the messages behind a figure: the API path the report gave, next page after `after`. */
  drill: (path: string, after?: string | null, limit?: number) => get<DrillPage>(withQuery(path, { after, limit })),
  contacts: (query: Query = {}) => get<ContactList>('/api/contacts', query),
  contact: (id: number) => get<ContactDetail>(`/api/contacts/${id}`),
  contactTimeline: (id: number, after?: string | null) => get<TimelinePage>(`/api/contacts/${id}/timeline`, { after }),
  contactMessages: (id: number, after?: string | null) => get<ContactMessagesPage>(`/api/contacts/${id}/messages`, { after }),

  suppressions: (query: Query = {}) => get<SuppressionList>('/api/suppressions', query),
  suppression: (email: string) => get<SuppressionDetail>(`/api/suppressions/${encodeURIComponent(email)}`),
  addSuppression: (body: { email: string; reason?: string; note?: string; expiresAt?: number | null }) => request<SuppressionAdded>('POST', '/api/suppressions', body),
  inboundReports: (query: Query = {}) => get<InboundReportList>('/api/inbound-reports', query),
};
