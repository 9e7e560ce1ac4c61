/**
 * Data a page loads from the API: loading, then ready or failed; loaded again when its keys change
 * or on reload(). An answer that arrives after the keys changed is dropped, not shown.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export type Resource<T> =
  | { state: 'loading'; data: T | null; error: null; reload: () => void }
  | { state: 'ready'; data: T; error: null; reload: () => void }
  | { state: 'error'; data: T | null; error: Error; reload: () => void };

export function useResource<T>(load: () => Promise<T>, keys: readonly unknown[]): Resource<T> {
  const [state, setState] = useState<{ state: 'loading' | 'ready' | 'error'; data: T | null; error: Error | null }>({ state: 'loading', data: null, error: null });
  const generation = useRef(0);
  const run = useCallback(() => {
    const mine = ++generation.current;
    setState((previous) => ({ state: 'loading', data: previous.data, error: null }));
    load().then(
      (data) => mine === generation.current && setState({ state: 'ready', data, error: null }),
      (error: unknown) => mine === generation.current && setState((previous) => ({ state: 'error', data: previous.data, error: error instanceof Error ? error : new Error(String(error)) })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, keys);
  useEffect(run, [run]);
  return { ...state, reload: run } as Resource<T>;
}
