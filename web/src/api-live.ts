/**
 * What the dashboard needs from the API besides api.ts: the live feeds' message shape and
 * addresses, and the addresses of a report's lists (a figure's contacts page, its CSV file).
 */

/** One human open or click as the live feeds send it (`event: hit`, this as its data), typed by the server's schema. */
export type { LiveHit } from './api.js';

export const campaignLivePath = (campaignId: number) => `/api/campaigns/${campaignId}/live`;
export const contactLivePath = (contactId: number) => `/api/contacts/${contactId}/live`;

/** The dashboard page listing the contacts behind a figure: the report's API path for it and what it counts. */
export const drillHref = (apiPath: string, label: string) => `/contacts?list=${encodeURIComponent(apiPath)}&label=${encodeURIComponent(label)}`;

/** The same list as a CSV file: `.csv` before the query (the API's export of a list). */
export function csvPath(apiPath: string): string {
  const q = apiPath.indexOf('?');
  return q < 0 ? `${apiPath}.csv` : `${apiPath.slice(0, q)}.csv${apiPath.slice(q)}`;
}

/** Only report list paths are fetched from a `list` parameter: an address bar cannot point the page elsewhere. */
export const isListPath = (path: string) => /^\/api\/(campaigns|executions)\/[1-9][0-9]*\/contacts\?[^#]*$/.test(path);
