/**
 * Where the dashboard goes after signing in: the `next` it was sent with, resolved as the browser
 * would resolve it, and followed only when it stays on this site. A check of the text alone is not
 * enough: `/\evil.example` or `/\t/evil.example` look like paths but resolve to another origin.
 */
export function nextPath(next: string | null, origin: string): string {
  let target: URL;
  try {
    target = new URL(next ?? '/', origin);
  } catch {
    return '/';
  }
  // Never back to the sign-in page itself (a loop), never elsewhere.
  if (target.origin !== origin || target.pathname.startsWith('/sign-in')) return '/';
  return target.pathname + target.search + target.hash;
}
