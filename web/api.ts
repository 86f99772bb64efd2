/**
 * The dashboard's only way to the hub: JSON over `fetch`, the session cookie sent by the browser,
 * the CSRF token added to every change, and the hub's error envelope turned into an {@link ApiError}
 * whose message can be shown as it is. A 401 anywhere means the session is gone: listeners of
 * {@link onUnauthorized} send the user back to the login page.
 *
 * @module
 */

import type { CSRF_HEADER as CsrfHeader } from "../shared/dashboard.ts";
import type { ErrorEnvelope } from "../shared/errors.ts";

/** A failed call: the hub's status, code and message. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = "ApiError";
  }
}

/** The contract's header name (web/ takes only types from shared/, hence the copy). */
const CSRF_HEADER: typeof CsrfHeader = "x-csrf-token";

let csrf: string | null = null;
const unauthorized = new Set<() => void>();

/** Sets the token sent with every change (from `Me.csrf`); `null` after logout. */
export function setCsrf(token: string | null): void {
  csrf = token;
}

/** Calls `listener` when a call answers 401; returns the function that stops listening. */
export function onUnauthorized(listener: () => void): () => void {
  unauthorized.add(listener);
  return () => unauthorized.delete(listener);
}

/** Sends a request and parses the JSON answer; throws {@link ApiError} on any failure. */
export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const method = init.method ?? (init.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = { accept: "application/json" };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrf) headers[CSRF_HEADER] = csrf;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: "same-origin",
      signal: init.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK", "The hub cannot be reached");
  }
  if (response.status === 401 && !path.startsWith("/api/auth/")) {
    for (const listener of unauthorized) listener();
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's error page, say. Reported below by status.
  }
  if (!response.ok) {
    const error = (json as Partial<ErrorEnvelope> | null)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? "HTTP",
      error?.message ?? `The hub answered ${response.status} ${response.statusText}`,
    );
  }
  return json as T;
}

/** A query string from the defined values of `params` (`?a=1&b=x`), or `""`. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
