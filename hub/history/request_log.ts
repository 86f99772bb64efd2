/**
 * The request log's side of the data plane: {@link meterResponse} passes a response body through
 * unchanged while counting its bytes, timing its first and last chunk and keeping its first and
 * last few kilobytes; when the body ends (or the client hangs up) {@link requestRow} turns that,
 * the request and its {@link RequestTrace} into one `request_logs` row for the writer's queue.
 * {@link withRequestLog} puts the two around the data plane. Nothing here waits for the database.
 *
 * @module
 */

import { dialectOf, errorResponse } from "../../shared/dialect.ts";
import { describe } from "../../shared/ollama_convert.ts";
import { newTrace, type RequestTrace } from "../request_trace.ts";
import { uuidv7 } from "./ids.ts";
import type { RequestLogRow } from "./tables.ts";
import { parseUsage } from "./usage_parse.ts";

const HEAD_BYTES = 2048;
const TAIL_BYTES = 8192;
const STREAM_TYPES = /^(application\/x-ndjson|text\/event-stream)/;

/** What passing a body through measured. */
export interface Metered {
  bytes: number;
  /** `performance.now()` at the first chunk, or `null` for an empty body. */
  firstByteAt: number | null;
  /** `performance.now()` when the body ended or was abandoned. */
  endedAt: number;
  /** The first bytes, when the body was longer than the tail; else empty. */
  head: Uint8Array;
  /** The last bytes (the whole body when it was short). */
  tail: Uint8Array;
  /** The client went away before the end. */
  abandoned: boolean;
}

/** Keeps the first {@link HEAD_BYTES} and the last {@link TAIL_BYTES} of a byte stream. */
class Ends {
  head = new Uint8Array(0);
  #tail: Uint8Array[] = [];
  #tailBytes = 0;

  add(chunk: Uint8Array): void {
    if (this.head.length < HEAD_BYTES) {
      const take = chunk.subarray(0, HEAD_BYTES - this.head.length);
      const head = new Uint8Array(this.head.length + take.length);
      head.set(this.head);
      head.set(take, this.head.length);
      this.head = head;
    }
    this.#tail.push(chunk);
    this.#tailBytes += chunk.length;
    while (this.#tail.length > 1 && this.#tailBytes - this.#tail[0]!.length >= TAIL_BYTES) {
      this.#tailBytes -= this.#tail.shift()!.length;
    }
  }

  tail(): Uint8Array {
    const all = new Uint8Array(this.#tailBytes);
    let offset = 0;
    for (const chunk of this.#tail) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return all.subarray(Math.max(0, all.length - TAIL_BYTES));
  }
}

/** What is measured of a response of which no byte was sent. */
function nothingSent(abandoned: boolean): Metered {
  const empty = new Uint8Array(0);
  return {
    bytes: 0,
    firstByteAt: null,
    endedAt: performance.now(),
    head: empty,
    tail: empty,
    abandoned,
  };
}

/** Whole answers up to this size are read at once rather than passed through chunk by chunk. */
const WHOLE_LIMIT = 8 * 1024 * 1024;

/**
 * The same response, its body measured; `onDone` runs once, when the body has been sent or
 * abandoned (at once for a response without a body).
 *
 * A stream (NDJSON, SSE) passes through a meter chunk by chunk, so that every line still leaves as
 * it arrives. A whole answer (JSON, text) of known modest size is read in one go instead: the
 * client gets nothing before its last byte anyway, and one native read costs far less than
 * JavaScript per chunk (BENCHMARKS.md, "History"); its first byte is then its last.
 */
export async function meterResponse(
  response: Response,
  onDone: (metered: Metered) => void,
): Promise<Response> {
  const source = response.body;
  if (!source) {
    onDone(nothingSent(false));
    return response;
  }
  const length = Number(response.headers.get("content-length") ?? 0);
  if (!STREAM_TYPES.test(response.headers.get("content-type") ?? "") && length <= WHOLE_LIMIT) {
    const init = {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    };
    let body: Uint8Array<ArrayBuffer>;
    try {
      body = await response.bytes();
    } catch (error) {
      onDone(nothingSent(true));
      throw error;
    }
    const now = performance.now();
    onDone({
      bytes: body.length,
      firstByteAt: body.length > 0 ? now : null,
      endedAt: now,
      head: body.length > TAIL_BYTES ? body.subarray(0, HEAD_BYTES) : new Uint8Array(0),
      tail: body.subarray(Math.max(0, body.length - TAIL_BYTES)),
      abandoned: false,
    });
    return new Response(body, init);
  }
  const reader = source.getReader();
  const ends = new Ends();
  let bytes = 0;
  let firstByteAt: number | null = null;
  let done = false;
  const finish = (abandoned: boolean) => {
    if (done) return;
    done = true;
    const tail = ends.tail();
    onDone({
      bytes,
      firstByteAt,
      endedAt: performance.now(),
      head: bytes > tail.length ? ends.head : new Uint8Array(0),
      tail,
      abandoned,
    });
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        finish(true);
        controller.error(error);
        return;
      }
      if (result.done) {
        controller.close();
        finish(false);
        return;
      }
      firstByteAt ??= performance.now();
      bytes += result.value.length;
      ends.add(result.value);
      controller.enqueue(result.value);
    },
    cancel(reason) {
      finish(true);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/** The request as it arrived. */
export interface RequestFacts {
  /** `Date.now()` when it arrived. */
  time: number;
  /** `performance.now()` when it arrived. */
  startedAt: number;
  method: string;
  /** The path, without the query. */
  endpoint: string;
  client: string | null;
  /** `Content-Length`, when the client sent one. */
  bytesIn: number | null;
}

const decoder = new TextDecoder();

/** One `request_logs` row from what was learnt about a request and its response. */
export function requestRow(
  hub: string,
  request: RequestFacts,
  trace: RequestTrace,
  response: { status: number; contentType: string | null },
  metered: Metered,
): RequestLogRow {
  const usage = parseUsage(
    decoder.decode(metered.head),
    decoder.decode(metered.tail),
    response.status,
  );
  const error = usage.error ?? (metered.abandoned ? "the client closed the connection" : null);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    id: uuidv7(request.time),
    time: new Date(request.time).toISOString(),
    hub,
    api_key: trace.apiKey,
    user_id: null,
    client: request.client,
    method: request.method,
    endpoint: request.endpoint,
    model: trace.model,
    server_id: trace.hostId,
    route: trace.route,
    attempts: trace.attempts,
    queued_ms: trace.queuedMs === null ? null : round(trace.queuedMs),
    status: response.status,
    error,
    stream: STREAM_TYPES.test(response.contentType ?? ""),
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    ttfb_ms: metered.firstByteAt === null ? null : round(metered.firstByteAt - request.startedAt),
    duration_ms: round(metered.endedAt - request.startedAt),
    load_ms: usage.loadMs === null ? null : round(usage.loadMs),
    bytes_in: request.bytesIn,
    bytes_out: metered.bytes,
  };
}

/** The data plane's handler: `Deno.serve`'s info and the request's trace as Hono's `env`. */
type DataPlane = (
  request: Request,
  env: { completed: Promise<void>; trace: RequestTrace },
) => Response | Promise<Response>;

/**
 * `dataPlane` as a `Deno.serve` handler that logs each request: it gives the request a trace,
 * meters the response, and hands `record` the row once the body has been sent or abandoned.
 * Liveness probes (`GET` and `HEAD /`) are not logged.
 */
export function withRequestLog(
  dataPlane: DataPlane,
  options: { hub: string; record: (row: RequestLogRow) => void },
): (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => Promise<Response> {
  return async (request, info) => {
    const startedAt = performance.now();
    const time = Date.now();
    const trace = newTrace();
    const response = await dataPlane(request, { completed: info.completed, trace });
    const url = new URL(request.url);
    if (url.pathname === "/" && (request.method === "GET" || request.method === "HEAD")) {
      return response;
    }
    const length = request.headers.get("content-length");
    const facts: RequestFacts = {
      time,
      startedAt,
      method: request.method,
      endpoint: url.pathname,
      client: info.remoteAddr.hostname,
      bytesIn: length === null ? null : Number(length),
    };
    const answer = { status: response.status, contentType: response.headers.get("content-type") };
    try {
      return await meterResponse(response, (metered) => {
        options.record(requestRow(options.hub, facts, trace, answer, metered));
      });
    } catch (error) {
      // The host failed while sending a whole answer: say so in the endpoint's words.
      const message = `the host failed while answering: ${describe(error)}`;
      return errorResponse(dialectOf(url.pathname), 502, message);
    }
  };
}
