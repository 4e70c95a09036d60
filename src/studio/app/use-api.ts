import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.js';

/** The state of one API read: loading, its data, or its error. */
export type Loaded<T> = { state: 'loading' } | { state: 'ok'; data: T } | { state: 'error'; error: ApiError | Error };

/** Reads `path` (again whenever it changes); null reads nothing. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [loaded, setLoaded] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    if (path === null) return undefined;
    let live = true;
    setLoaded({ state: 'loading' });
    getJson<T>(path).then(
      (data) => live && setLoaded({ state: 'ok', data }),
      (error: Error) => live && setLoaded({ state: 'error', error }),
    );
    return () => {
      live = false;
    };
  }, [path]);
  return loaded;
}
