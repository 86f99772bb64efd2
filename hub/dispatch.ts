/**
 * A request's life on the data plane after its route handler has read it (ARCHITECTURE.md, "The
 * hub"): route it, wait in the fleet queue if every host that could serve it is saturated, send
 * it to the chosen host (through its agent, or straight to a plain Ollama), retry on the
 * next-best host when that one fails before the first byte, and stream the answer back as it
 * comes. Every answer carries `X-Corral-Host` and `X-Corral-Route`.
 *
 * - Non-streamed answers are handed to `Deno.serve` as they are (piped natively, no JS per chunk).
 * - Streams (NDJSON, SSE) pass through a thin reader that forwards each chunk as it arrives and,
 *   when the host fails mid-stream, appends an error line or event in the endpoint's dialect.
 * - The client's disconnect aborts the upstream request. Only the headers Ollama reads go upstream
 *   (never the client's API key), and only Ollama's own come back.
 *
 * @module
 */

import { type Dialect, errorResponse, streamErrorChunk } from "../shared/dialect.ts";
import { describe } from "../shared/ollama_convert.ts";
import type { HostRecord } from "./host.ts";
import type { InFlightTable } from "./in_flight.ts";
import { type FleetQueue, QueueError, type RetryOutcome } from "./queue.ts";
import type { Registry } from "./registry.ts";
import { route, type RouteChoice, type RoutePurpose, type RouteResult } from "./router.ts";
import type { RequestTrace } from "./request_trace.ts";
import type { RunStats } from "./stats.ts";

/** A host granted to a request, with the function that ends its in-flight count. */
export interface Grant {
  choice: RouteChoice;
  end: () => void;
}

/** What the dispatcher needs; built once by the hub. */
export interface DispatchDeps {
  registry: Registry;
  inFlight: InFlightTable;
  queue: FleetQueue<Grant>;
  stats: RunStats;
  /** The fleet token for agents; `null` in insecure mode. */
  token: string | null;
  /** How many other hosts to try when one fails before the first byte. */
  retries: number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * The routing decision. @default {@link route}; the routing benchmark passes its baselines
   * (least-connections, random) here, so that they run on the same hub, agents and queue.
   */
  route?: RouteFn;
}

/** A routing decision function with {@link route}'s contract. */
export type RouteFn = typeof route;

/** One request to dispatch. */
export interface DispatchRequest {
  /** The model as the client named it and its key; `null` for requests without one. */
  model: { name: string; key: string } | null;
  purpose: RoutePurpose;
  /** A host id or name an admin asked for. */
  pinned: string | null;
  dialect: Dialect;
  /** The Ollama path and query to call upstream, e.g. `/api/chat`. */
  path: string;
  method: string;
  /** The client's headers (hop-by-hop and credentials are dropped here). */
  headers: Headers;
  /** The body, already read (so that a retry can send it again); `null` for none. */
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> | null;
  /** Aborts when the client goes away. */
  signal: AbortSignal;
  /** Settles when the response has been sent or the client went away. */
  completed: Promise<void>;
  /** Renders "no such model" in the endpoint's words. */
  notFound(name: string): Response;
  /** Retry on another host when one fails before the first byte. @default true */
  retry?: boolean;
  /** Where the request went and why, for the request log. */
  trace?: RequestTrace;
  /** The `num_ctx` the request sets, after the fleet policy; `null` or absent: none. */
  numCtx?: number | null;
  /**
   * The body with another `num_ctx`, for a request the router puts on a runner with a larger
   * context than it asked for; without it, the router keeps it to runners of its own context.
   */
  withContext?: (numCtx: number) => Uint8Array<ArrayBuffer>;
}

/**
 * The only request headers passed to a host. A list of what Ollama reads, rather than a list of
 * what to drop: the client's credentials (and anything else) cannot leak by being forgotten, and
 * picking five headers is much cheaper than copying a whole `Headers` (see BENCHMARKS.md).
 */
const FORWARDED_REQUEST = [
  "content-type",
  "accept",
  "user-agent",
  "openai-beta",
  "anthropic-version",
];
/** The only response headers passed back: Ollama sends these, the agent adds `x-corral-error`. */
const FORWARDED_RESPONSE = ["content-type", "content-length", "x-corral-error", "retry-after"];

function pick(from: Headers, names: readonly string[]): Headers {
  const headers = new Headers();
  for (const name of names) {
    const value = from.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
}
const STREAM_TYPES = /^(application\/x-ndjson|text\/event-stream)/;
/** Statuses worth another host: the agent cannot reach its Ollama, or Ollama failed or is full. */
const RETRIABLE = new Set([500, 502, 503, 504]);

let seq = 0;

/** The URL and headers for sending a request to `host`. */
export function upstreamRequest(
  host: HostRecord,
  request: Pick<DispatchRequest, "path" | "headers" | "model">,
  token: string | null,
): { url: string; headers: Headers } {
  const headers = pick(request.headers, FORWARDED_REQUEST);
  headers.set("accept-encoding", "identity");
  if (host.kind === "agent") {
    if (token) headers.set("authorization", `Bearer ${token}`);
    if (request.model) headers.set("x-corral-model", request.model.name);
    return { url: `${host.url}/ollama${request.path}`, headers };
  }
  return { url: `${host.url}${request.path}`, headers };
}

function failureResponse(request: DispatchRequest, result: Extract<RouteResult, { ok: false }>) {
  if (result.failure === "not-found" && request.model) return request.notFound(request.model.name);
  const status = result.failure === "no-hosts" ? 503 : 404;
  const headers: Record<string, string> = status === 503 ? { "retry-after": "5" } : {};
  return errorResponse(request.dialect, status, result.message, headers);
}

/** Passes a stream through chunk by chunk; a failure mid-stream becomes an error in `dialect`. */
function guardStream(
  body: ReadableStream<Uint8Array>,
  dialect: Dialect,
  hostName: string,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (error) {
        const message = `host "${hostName}" failed mid-stream: ${describe(error)}`;
        controller.enqueue(encoder.encode(streamErrorChunk(dialect, message)));
        controller.close();
      }
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** Routes, queues, sends and retries one request; always resolves to a response. */
export async function dispatch(deps: DispatchDeps, request: DispatchRequest): Promise<Response> {
  const { registry, inFlight, queue, stats } = deps;
  const fetcher = deps.fetch ?? fetch;
  const key = request.model?.key ?? null;
  const exclude = new Set<string>();
  const maxAttempts = request.pinned || request.retry === false ? 1 : 1 + deps.retries;
  let lastFailure = "";

  const decideWith = deps.route ?? route;
  const numCtx = request.numCtx ?? null;
  if (key !== null && request.purpose === "inference" && !request.pinned) {
    stats.recordArrival(key, numCtx);
  }
  const decide = () =>
    decideWith(registry.routeHosts(), inFlight, {
      model: key,
      purpose: request.purpose,
      exclude,
      pinned: request.pinned,
      seq: seq++,
      numCtx,
      shareLarger: request.withContext !== undefined,
    }, stats);

  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (request.trace) request.trace.attempts = attempt;
    const result = decide();
    if (!result.ok) {
      if (lastFailure) {
        return errorResponse(request.dialect, 502, `every host failed: ${lastFailure}`);
      }
      return failureResponse(request, result);
    }

    let grant: Grant;
    let queuedMs = 0;
    if (result.choice.wait && key !== null) {
      const queuedAt = performance.now();
      const retry = (): RetryOutcome<Grant> => {
        const again = decide();
        if (!again.ok) {
          return { type: "failed", error: new RouteFailedError(failureResponse(request, again)) };
        }
        if (again.choice.wait) return { type: "wait" };
        const { choice } = again;
        const end = inFlight.begin(choice.host.id, key, choice.context ?? null);
        return { type: "granted", value: { choice, end } };
      };
      try {
        grant = await queue.wait(key, retry, request.signal);
        queuedMs = performance.now() - queuedAt;
      } catch (error) {
        if (error instanceof RouteFailedError) return error.response;
        if (!(error instanceof QueueError)) throw error;
        if (error.reason === "aborted") return new Response(null, { status: 499 });
        const message = error.reason === "full"
          ? "server busy, please try again.  maximum pending requests exceeded"
          : `server busy: ${error.message}`;
        const retryAfter = Math.max(1, Math.ceil(stats.expectedRunMs(key) / 1000));
        return errorResponse(request.dialect, 503, message, { "retry-after": String(retryAfter) });
      }
    } else {
      const { choice } = result;
      grant = { choice, end: inFlight.begin(choice.host.id, key, choice.context ?? null) };
    }

    const { choice, end } = grant;
    const host = registry.get(choice.host.id);
    if (!host) {
      end();
      exclude.add(choice.host.id);
      continue;
    }
    const { url, headers } = upstreamRequest(host, request, deps.token);
    // On a runner with a larger context than it asked for, the request says that context, or
    // Ollama would reload the runner for it.
    const sent = choice.shared && request.withContext
      ? request.withContext(choice.context!)
      : request.body;
    const started = performance.now();
    let upstream: Response;
    try {
      upstream = await fetcher(url, {
        method: request.method,
        headers,
        body: sent,
        signal: request.signal,
        redirect: "manual",
      });
    } catch (error) {
      end();
      if (request.signal.aborted) return new Response(null, { status: 499 });
      lastFailure = `${host.name}: ${describe(error)}`;
      exclude.add(host.id);
      if (request.body instanceof ReadableStream) break;
      continue;
    }
    if (
      RETRIABLE.has(upstream.status) && attempt < maxAttempts &&
      !(request.body instanceof ReadableStream)
    ) {
      const text = await upstream.text().catch(() => "");
      end();
      lastFailure = `${host.name}: HTTP ${upstream.status} ${text.slice(0, 200)}`.trim();
      exclude.add(host.id);
      continue;
    }

    const ttfbMs = performance.now() - started;
    if (
      (choice.reason === "on-disk" || choice.reason === "reload") && upstream.ok && key !== null
    ) {
      const size = choice.host.onDisk.get(key)?.size;
      if (size) registry.recordLoad(host.id, size, ttfbMs);
    }
    // Ending the count frees the slot, and the hub pumps the fleet queue on every end.
    request.completed.finally(() => {
      if (key !== null && request.purpose === "inference") {
        stats.recordRun(key, performance.now() - started, host.id);
      }
      end();
    });

    const routeLabel = describeRoute(choice, numCtx);
    if (request.trace) {
      request.trace.hostId = host.id;
      request.trace.route = routeLabel;
      request.trace.queuedMs = queuedMs > 0 ? queuedMs : null;
    }
    const responseHeaders = pick(upstream.headers, FORWARDED_RESPONSE);
    responseHeaders.set("x-corral-host", host.name);
    responseHeaders.set("x-corral-route", routeLabel);
    if (attempt > 1) responseHeaders.set("x-corral-attempts", String(attempt));
    if (queuedMs > 0) responseHeaders.set("x-corral-queued-ms", queuedMs.toFixed(0));
    const streaming = STREAM_TYPES.test(upstream.headers.get("content-type") ?? "");
    let body: ReadableStream<Uint8Array> | null = upstream.body;
    if (streaming && body) {
      responseHeaders.delete("content-length");
      body = guardStream(body, request.dialect, host.name);
    }
    return new Response(body as BodyInit | null, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: responseHeaders,
    });
  }
  return errorResponse(request.dialect, 502, `every host failed: ${lastFailure}`);
}

/**
 * What was decided, as `X-Corral-Route` and the request log say it: the reason, then the
 * runner's context (and the one asked for, when it shares a larger one) and, for a load, its
 * predicted size and what it evicts, e.g. `on-disk; ctx=8192; load=6.3GB; evicts=gemma3:12b`.
 *
 * @param numCtx The context the request asked for, if any.
 */
export function describeRoute(choice: RouteChoice, numCtx: number | null = null): string {
  let label: string = choice.reason;
  if (choice.context !== undefined) label += `; ctx=${choice.context}`;
  if (choice.shared && numCtx !== null) label += `; asked=${numCtx}`;
  const load = choice.load;
  if (load) {
    label += `; load=${(load.bytes / 1e9).toFixed(1)}GB`;
    if (load.evicts.length > 0) label += `; evicts=${load.evicts.join(",")}`;
    if (load.blocked) label += "; waits-for-busy";
    if (load.spills) label += "; spills-to-ram";
  }
  return label;
}

/** Carries a rendered failure out of the queue. */
class RouteFailedError extends Error {
  constructor(readonly response: Response) {
    super("no host");
  }
}
