/** The small pages of the tracking links (unsubscribe, not found, unavailable). Plain HTML, no script, nothing loaded from elsewhere. */
import { createHash } from 'node:crypto';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The pages' one inline style; the Content-Security-Policy allows it by its hash, and nothing else. */
const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#c0392b;color:#fff;cursor:pointer}`;
const STYLE_HASH = `'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`;

/**
 * Headers of every page: a page reached from an email must not be framed (clickjacking the
 * unsubscribe button), sniffed as something else, or tell the destination where the person came
 * from. The policy allows the inline style (by hash) and the confirm page's form, which posts to
 * the page's own URL; no script, image, font or frame at all.
 */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': `default-src 'none'; style-src ${STYLE_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
} as const;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head><body>${body}</body></html>
`;
}

/** A GET only shows this: link scanners follow every link, so unsubscribing takes a person's click. */
export function confirmPage(action: string): string {
  return page(
    'Unsubscribe',
    `<h1>Unsubscribe</h1>
<p>Do you want to stop receiving these emails?</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click"><input type="hidden" name="via" value="page">
<button type="submit">Unsubscribe</button>
</form>`,
  );
}

export function donePage(): string {
  return page('Unsubscribed', '<h1>You are unsubscribed</h1><p>You will not receive these emails any more.</p>');
}

/** When the server cannot answer for a moment (its database is unreachable): the link itself is fine. */
export function unavailablePage(): string {
  return page('Try again', '<h1>Please try again in a moment</h1><p>This link works, but the server could not answer just now.</p>');
}

/** A link that leads nowhere: an invalid token, or a URL mangled on its way (the path is never repeated back). */
export function notFoundPage(): string {
  return page('Not found', '<h1>Link not found</h1><p>This link is not valid. It may have been copied incompletely.</p>');
}

/** What a click on the honeypot link (hidden from people) gets: an empty page. */
export function emptyPage(): string {
  return '<!doctype html><title></title>';
}
