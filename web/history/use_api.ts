/**
 * `useApi(path)`: a GET through `web/api.ts` as component state, fetched again when the path
 * changes, the previous request aborted. While a new answer is on its way the last one stays, so
 * that charts are redrawn rather than blanked; a failure clears it.
 *
 * @module
 */

import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api.ts";

/** A GET's state: the last answer, the error of the last try, and whether one is on its way. */
export interface ApiState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
}

/**
 * Fetches `path` (nothing when it is `null`) and again whenever it or `reload` changes.
 *
 * @param path An `/api/...` path with its query string.
 * @param reload Any value; changing it fetches again (a refresh button's counter).
 */
export function useApi<T>(path: string | null, reload: unknown = 0): ApiState<T> {
  const [state, setState] = useState<ApiState<T>>({ data: null, error: null, loading: !!path });
  useEffect(() => {
    if (path === null) {
      setState({ data: null, error: null, loading: false });
      return;
    }
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api<T>(path, { signal: controller.signal }).then(
      (data) => setState({ data, error: null, loading: false }),
      (error) => {
        if (controller.signal.aborted) return;
        const failure = error instanceof ApiError
          ? error
          : new ApiError(0, "CLIENT", (error as Error)?.message ?? String(error));
        setState({ data: null, error: failure, loading: false });
      },
    );
    return () => controller.abort();
  }, [path, reload]);
  return state;
}
