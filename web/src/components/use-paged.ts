/**
 * Rows loaded a page at a time (keyset pages: each answer's `next` is the next request's `after`),
 * never more than the pages asked for. Starts again from the first page when its keys change; an
 * answer that arrives after that is dropped.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Page<R> {
  rows: R[];
  next: string | null;
}

export interface Paged<R> {
  rows: R[];
  /** More rows exist after these. */
  more: boolean;
  /** Loading the first page or the next one. */
  loading: boolean;
  error: Error | null;
  loadMore: () => void;
  /** Tries the failed request again (the first page, or the next). */
  retry: () => void;
  /** Puts a row first, for a live feed's new events. */
  prepend: (row: R) => void;
}

export function usePaged<R>(load: (after: string | null) => Promise<Page<R>>, keys: readonly unknown[], first?: Page<R> | null): Paged<R> {
  const [state, setState] = useState<{ rows: R[]; next: string | null; loading: boolean; error: Error | null; started: boolean }>({
    rows: first?.rows ?? [],
    next: first?.next ?? null,
    loading: !first,
    error: null,
    started: Boolean(first),
  });
  const generation = useRef(0);
  const nextRef = useRef<string | null>(first?.next ?? null);

  const fetchPage = useCallback(
    (after: string | null, append: boolean) => {
      const mine = generation.current;
      setState((s) => ({ ...s, loading: true, error: null }));
      load(after).then(
        (page) => {
          if (mine !== generation.current) return;
          nextRef.current = page.next;
          setState((s) => ({ rows: append ? [...s.rows, ...page.rows] : page.rows, next: page.next, loading: false, error: null, started: true }));
        },
        (error: unknown) => mine === generation.current && setState((s) => ({ ...s, loading: false, error: error instanceof Error ? error : new Error(String(error)) })),
      );
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    keys,
  );

  useEffect(() => {
    generation.current += 1;
    if (first) {
      nextRef.current = first.next;
      setState({ rows: first.rows, next: first.next, loading: false, error: null, started: true });
      return;
    }
    nextRef.current = null;
    setState({ rows: [], next: null, loading: true, error: null, started: false });
    fetchPage(null, false);
  }, [fetchPage, first]);

  return {
    rows: state.rows,
    more: state.next !== null,
    loading: state.loading,
    error: state.error,
    loadMore: () => !state.loading && nextRef.current !== null && fetchPage(nextRef.current, true),
    retry: () => (state.started ? fetchPage(nextRef.current, true) : fetchPage(null, false)),
    prepend: (row: R) => setState((s) => ({ ...s, rows: [row, ...s.rows] })),
  };
}
