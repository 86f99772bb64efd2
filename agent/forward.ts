/**
 * Streams one HTTP request to another server and its response back, unchanged: the agent's proxy to
 * its local Ollama and client mode's forwarding to a hub both go through here.
 *
 * - The upstream response body is handed to `Deno.serve` as it is, so Deno pipes it to the caller
 *   natively, chunk by chunk as it arrives: nothing is gathered or re-encoded in JavaScript, and a
 *   stream of NDJSON lines reaches the caller line by line. (Wrapping it in a JavaScript stream
 *   cost about 0.3 ms a request; see BENCHMARKS.md.)
 * - Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; the upstream `Content-Type` is kept.
 * - When the caller goes away, the upstream request is aborted (before the response) or its body
 *   cancelled (during it), so Ollama stops generating for nobody.
 * - `onEnd` is called exactly once, when the exchange is over: the response fully sent or the
 *   caller gone (`completed`, from `Deno.serve`'s handler info), or the upstream unreachable.
 *
 * @module
 */

/** Headers that describe one connection, never the message. */
const HOP_BY_HOP: readonly string[] = [
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
];

/**
 * A copy of `from` without hop-by-hop headers, the headers its `Connection` header names, and
 * those in `drop` (lower case).
 */
function copyHeaders(from: Headers, drop: readonly string[] = []): Headers {
  const connection = from.get("connection");
  const named = connection ? connection.split(",").map((s) => s.trim().toLowerCase()) : [];
  const headers = new Headers();
  for (const [name, value] of from) {
    if (HOP_BY_HOP.includes(name) || drop.includes(name) || named.includes(name)) continue;
    headers.append(name, value);
  }
  return headers;
}

/** Options for {@link forward}. */
export interface ForwardOptions {
  /**
   * Settles when the response has been sent or the caller went away: `Deno.serve`'s
   * `info.completed` for this request.
   */
  completed: Promise<void>;
  /** Request headers to set, replacing the caller's (e.g. `host`). */
  setHeaders?: Record<string, string>;
  /** Request headers not to pass on (e.g. the fleet token in `authorization`). */
  dropHeaders?: readonly string[];
  /** The request body, already read; `undefined` streams the caller's body through. */
  body?: Uint8Array<ArrayBuffer> | null;
  /** Called once when the exchange is over. */
  onEnd?: () => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * Sends `request` to `target` and returns the upstream response, its body streamed through.
 *
 * @throws The fetch error when the upstream cannot be reached (after calling `onEnd`).
 */
export async function forward(
  request: Request,
  target: URL,
  options: ForwardOptions,
): Promise<Response> {
  const { completed, setHeaders = {}, dropHeaders = [], onEnd, fetch: fetcher = fetch } = options;
  const abort = new AbortController();
  const onCallerGone = () => abort.abort(new DOMException("The caller went away", "AbortError"));
  request.signal.addEventListener("abort", onCallerGone, { once: true });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    request.signal.removeEventListener("abort", onCallerGone);
    onEnd?.();
  };

  const headers = copyHeaders(request.headers, [...dropHeaders, "host", "content-length"]);
  // Ask for bytes as they are, so that nothing is decompressed and compressed again on the way.
  headers.set("accept-encoding", "identity");
  for (const [name, value] of Object.entries(setHeaders)) headers.set(name, value);
  const hasBody = request.method !== "GET" && request.method !== "HEAD";

  let upstream: Response;
  try {
    upstream = await fetcher(target, {
      method: request.method,
      headers,
      body: hasBody ? (options.body !== undefined ? options.body : request.body) : null,
      signal: abort.signal,
      redirect: "manual",
    });
  } catch (error) {
    end();
    throw error;
  }
  completed.then(end, end);
  return new Response(upstream.body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: copyHeaders(upstream.headers, []),
  });
}
