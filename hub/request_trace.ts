/**
 * What the data plane learns about a request while handling it, for the request log: the client's
 * key, the model, and where and why it was routed. The hub makes one per request; the auth check,
 * the route that reads the body and the dispatcher fill it in as they go.
 *
 * @module
 */

/** A request's trace; every field stays `null` (or 1) until someone learns it. */
export interface RequestTrace {
  /** The client key's name (never the key). */
  apiKey: string | null;
  /** The model as the client named it. */
  model: string | null;
  /** The host that answered (its id), after the last attempt. */
  hostId: string | null;
  /** Why the router chose it (`loaded`, `on-disk`, …). */
  route: string | null;
  /** Hosts tried. */
  attempts: number;
  /** Time spent waiting in the fleet queue. */
  queuedMs: number | null;
}

/** An empty trace. */
export function newTrace(): RequestTrace {
  return { apiKey: null, model: null, hostId: null, route: null, attempts: 1, queuedMs: null };
}
