/**
 * A base URL that tracking URLs are built on (`PUBLIC_URL`, a campaign's tracking base URL): the
 * token paths are appended to it, so anything after its path would end up inside every link.
 */

/** What a base URL must be, said in every refusal. */
export const BASE_URL_EXPECTED = 'an http(s) URL with no query, fragment or credentials, e.g. https://track.example.com';

/**
 * Why `text` cannot be a base URL, or null when it can. A query or fragment would swallow the
 * appended token path; credentials would be handed to every recipient; other schemes are no web page.
 */
export function baseUrlProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `not a URL (expected ${BASE_URL_EXPECTED})`;
  }
  const problem =
    url.protocol !== 'http:' && url.protocol !== 'https:'
      ? `not http(s) but ${url.protocol.slice(0, -1)}`
      : url.username !== '' || url.password !== ''
        ? 'carries credentials'
        : // An empty query or fragment ("https://x/?") parses to nothing but is still there.
          url.search !== '' || text.includes('?')
          ? 'carries a query'
          : url.hash !== '' || text.includes('#')
            ? 'carries a fragment'
            : null;
  return problem && `${problem} (expected ${BASE_URL_EXPECTED})`;
}
