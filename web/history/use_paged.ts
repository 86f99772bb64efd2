/**
 * `usePaged(url)`: a newest-first list from the history API, read a page at a time. The first
 * page comes whenever the URL (its filters) changes; `more()` appends the page after the last row
 * with the hub's opaque cursor, so that rows written meanwhile neither repeat nor shift.
 *
 * @module
 */

import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../api.ts";

/** A paged list's state and its "load more". */
export interface Paged<T> {
  items: T[];
  /** Whether the hub has more after the last row. */
  hasMore: boolean;
  loading: boolean;
  error: ApiError | null;
  /** Fetches the next page. */
  more: () => void;
}

function asApiError(error: unknown): ApiError {
  return error instanceof ApiError
    ? error
    : new ApiError(0, "CLIENT", (error as Error)?.message ?? String(error));
}

/**
 * Reads a paged list.
 *
 * @param url A function from the cursor (`null` for the first page) to the page's URL; its
 * identity does not matter, `key` says when the list must start again.
 * @param key Changes when the list's filters do.
 * @param pick Takes the rows and the next cursor out of an answer.
 */
export function usePaged<T, A>(
  url: (cursor: string | null) => string,
  key: string,
  pick: (answer: A) => { items: T[]; next: string | null },
): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const latest = useRef({ url, pick });
  latest.current = { url, pick };
  const controller = useRef<AbortController | null>(null);

  const load = useCallback((cursor: string | null) => {
    controller.current?.abort();
    const c = controller.current = new AbortController();
    setLoading(true);
    setError(null);
    api<A>(latest.current.url(cursor), { signal: c.signal }).then(
      (answer) => {
        const page = latest.current.pick(answer);
        setItems((old) => cursor === null ? page.items : [...old, ...page.items]);
        setNext(page.next);
        setLoading(false);
      },
      (e) => {
        if (c.signal.aborted) return;
        if (cursor === null) setItems([]);
        setError(asApiError(e));
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    load(null);
    return () => controller.current?.abort();
  }, [key]);

  return {
    items,
    hasMore: next !== null,
    loading,
    error,
    more: () => next !== null && load(next),
  };
}
