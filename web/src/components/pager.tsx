/**
 * The pages of a list the API pages by cursor: each answer's `next` is the `after` of the page that
 * follows, so the pager goes forward, or back to the first page (there is no cursor for "previous").
 */

export function Pager({ label, after, next, onPage }: { label: string; after: string | null; next: string | null; onPage: (after: string | null) => void }) {
  if (!after && !next) return null;
  return (
    <nav class="pager" aria-label={label}>
      {after && (
        <button type="button" class="secondary" onClick={() => onPage(null)}>
          First page
        </button>
      )}
      {next && (
        <button type="button" class="secondary" onClick={() => onPage(next)}>
          Next page
        </button>
      )}
    </nav>
  );
}

/** The button under a list that grows a page at a time (usePaged): none once every row is shown. */
export function LoadMore({ list, what = '' }: { list: { more: boolean; loading: boolean; loadMore: () => void }; what?: string }) {
  if (!list.more) return null;
  return (
    <button type="button" onClick={list.loadMore} disabled={list.loading}>
      {list.loading ? 'Loading…' : `Load more${what ? ` ${what}` : ''}`}
    </button>
  );
}
