/**
 * Streams one HTTP request to another server and its response back, unchanged: the agent's proxy to
 * its local Ollama and client mode's forwarding to a hub both go through here.
 *
 * - Response bytes pass through chunk by chunk as they arrive, never gathered or re-encoded, so a
 *   stream of NDJSON lines reaches the caller line by line.
 * - Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded; the upstream `Content-Type` is kept.
 * - When the caller goes away (its request's signal aborts, or it cancels the body), the upstream
 *   request is aborted too, so Ollama stops generating for nobody.
 * - `onEnd` is called exactly once, however the exchange ends, which is what in-flight counts need.
 *
 * @module
 */

const HOP_BY_HOP = [
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

/** Options for {@link forward}. */
export interface ForwardOptions {
  /** Request headers to set, replacing the caller's (e.g. `host`). */
  setHeaders?: Record<string, string>;
  /** Request headers not to pass on (e.g. the fleet token in `authorization`). */
  dropHeaders?: readonly string[];
  /** The request body when the caller already read it; otherwise it is streamed. */
  body?: Uint8Array<ArrayBuffer> | null;
  /** Called once when the exchange ends: body finished, failed or cancelled, or fetch failed. */
  onEnd?: () => void;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

function copyHeaders(from: Headers, drop: readonly string[]): Headers {
  const named = (from.get("connection") ?? "").split(",").map((s) => s.trim().toLowerCase());
  const headers = new Headers();
  for (const [name, value] of from) {
    if (HOP_BY_HOP.includes(name) || named.includes(name) || drop.includes(name)) continue;
    headers.append(name, value);
  }
  return headers;
}

/**
 * Sends `request` to `target` and returns the upstream response with its body streamed through.
 *
 * @throws The fetch error when the upstream cannot be reached (after calling `onEnd`).
 */
export async function forward(
  request: Request,
  target: URL,
  options: ForwardOptions = {},
): Promise<Response> {
  const { setHeaders = {}, dropHeaders = [], onEnd = () => {}, fetch: fetcher = fetch } = options;
  const abort = new AbortController();
  const onCallerGone = () => abort.abort(new DOMException("The caller went away", "AbortError"));
  request.signal.addEventListener("abort", onCallerGone, { once: true });
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    request.signal.removeEventListener("abort", onCallerGone);
    onEnd();
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

  const responseHeaders = copyHeaders(upstream.headers, []);
  if (!upstream.body) {
    end();
    return new Response(null, { status: upstream.status, headers: responseHeaders });
  }
  const reader = upstream.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      abort.abort(reason);
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: responseHeaders,
  });
}
