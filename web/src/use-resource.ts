/**
 * Data a page loads from the API: loading, then ready or failed; loaded again when its keys change
 * or on reload(). An answer that arrives after the keys changed is dropped, not shown.
 *
 * New keys start from nothing (the previous campaign's report never shows under the next one's
 * address); reload() keeps what is shown while it asks again, and when that fails the data stays,
 * with the failure beside it in `reloadError`, rather than the page giving way to an error.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Resource<T> =
  | { state: 'loading'; data: null; error: null; reloadError: null; reload: () => void }
  | { state: 'ready'; data: T; error: null; reloadError: Error | null; reload: () => void }
  | { state: 'error'; data: null; error: Error; reloadError: null; reload: () => void };

/** What is known for one set of keys. */
type Snapshot<T> =
  | { keys: readonly unknown[]; state: 'loading' }
  | { keys: readonly unknown[]; state: 'ready'; data: T; reloadError: Error | null }
  | { keys: readonly unknown[]; state: 'error'; error: Error };

const sameKeys = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((key, i) => Object.is(key, b[i]));
const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));

export function useResource<T>(load: () => Promise<T>, keys: readonly unknown[]): Resource<T> {
  const [snapshot, setSnapshot] = useState<Snapshot<T>>({ keys, state: 'loading' });
  const generation = useRef(0);
  const fetch = useCallback(
    (keep: boolean) => {
      const mine = ++generation.current;
      const kept = (previous: Snapshot<T>) => keep && previous.state === 'ready' && sameKeys(previous.keys, keys);
      setSnapshot((previous) => (kept(previous) ? previous : { keys, state: 'loading' }));
      load().then(
        (data) => mine === generation.current && setSnapshot({ keys, state: 'ready', data, reloadError: null }),
        (error: unknown) =>
          mine === generation.current && setSnapshot((previous) => (kept(previous) ? { ...(previous as Snapshot<T> & { state: 'ready' }), reloadError: asError(error) } : { keys, state: 'error', error: asError(error) })),
      );
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    keys,
  );
  useEffect(() => fetch(false), [fetch]);
  const reload = useCallback(() => fetch(true), [fetch]);

  // Until the effect above asks for the new keys' data, the snapshot is still the old keys': not shown.
  if (!sameKeys(snapshot.keys, keys) || snapshot.state === 'loading') return { state: 'loading', data: null, error: null, reloadError: null, reload };
  if (snapshot.state === 'error') return { state: 'error', data: null, error: snapshot.error, reloadError: null, reload };
  return { state: 'ready', data: snapshot.data, error: null, reloadError: snapshot.reloadError, reload };
}
