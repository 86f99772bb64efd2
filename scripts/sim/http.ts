/**
 * HTTP plumbing shared by the simulator's routes: Ollama's content types, Go-style body decoding
 * errors, and a streaming body that sends each line as soon as it exists, stops the generation when
 * the client disconnects, and can be cut short by a fault.
 *
 * @module
 */

import { goTypeOf } from "../../shared/duration.ts";
import { SimError } from "./errors.ts";
import { goDecodeError } from "../../shared/go_json.ts";

const encoder = new TextEncoder();

/** `application/json; charset=utf-8`, as gin's `c.JSON` writes it. */
export const JSON_TYPE = "application/json; charset=utf-8";
/** Ollama's streaming type: no charset. */
export const NDJSON_TYPE = "application/x-ndjson";
/** OpenAI streaming type. */
export const SSE_TYPE = "text/event-stream";

/** A JSON response with Ollama's content type. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": JSON_TYPE } });
}

/** A plain-text answer, as gin writes its own 404 and 405. */
export function text(body: string, status: number, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain", ...headers } });
}

/** gin's 405 for a known path with the wrong method, naming the methods it does allow. */
export function methodNotAllowed(allow: readonly string[]): Response {
  return text("405 method not allowed", 405, { allow: allow.join(", ") });
}

/** An empty 200, as copy and delete answer. */
export function empty(status = 200): Response {
  return new Response(null, { status });
}

/** A native error body: `{"error": "..."}`. */
export function nativeError(error: SimError): Response {
  return json({ error: error.message }, error.status);
}

/** Turns anything thrown into a SimError: unknown errors become 500 with their message. */
export function toSimError(error: unknown): SimError {
  if (error instanceof SimError) return error;
  if (error instanceof SyntaxError || error instanceof TypeError || error instanceof RangeError) {
    return new SimError(400, error.message, { cause: error });
  }
  return new SimError(500, error instanceof Error ? error.message : String(error));
}

/** Field types as Go declares them in Ollama's request structs. */
export type GoType =
  | "string"
  | "bool"
  | "int"
  | "float64"
  | "[]string"
  | "[]int"
  | "map"
  | "[]map";

const JSON_KIND: Readonly<Record<string, string>> = {
  "float64": "number",
  "bool": "bool",
  "string": "string",
  "[]interface {}": "array",
  "map[string]interface {}": "object",
};

const GO_NAME: Readonly<Record<GoType, string>> = {
  string: "string",
  bool: "bool",
  int: "int",
  float64: "float64",
  "[]string": "[]string",
  "[]int": "[]int",
  map: "map[string]interface {}",
  "[]map": "[]api.Message",
};

function matches(value: unknown, type: GoType): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "bool":
      return typeof value === "boolean";
    case "int":
      return typeof value === "number" && Number.isInteger(value);
    case "float64":
      return typeof value === "number";
    case "[]string":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "[]int":
      return Array.isArray(value) && value.every((v) => Number.isInteger(v));
    case "map":
      return typeof value === "object" && !Array.isArray(value);
    case "[]map":
      return Array.isArray(value) &&
        value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v));
  }
}

/**
 * Reads a JSON object body as Go's `ShouldBindJSON` would, checking the named fields' types.
 *
 * @param struct The Go struct name for messages, e.g. `GenerateRequest`.
 * @throws {SimError} 400 `missing request body`, a decoder message, or a type mismatch message.
 */
export async function readBody(
  request: Request,
  struct: string,
  fields: Readonly<Record<string, GoType>> = {},
): Promise<Record<string, unknown>> {
  const text = await request.text();
  if (text.trim() === "") throw new SimError(400, "missing request body");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new SimError(400, goDecodeError(text, error as SyntaxError));
  }
  if (body === null) return {}; // Go decodes `null` into a struct as "no fields set"
  if (typeof body !== "object" || Array.isArray(body)) {
    const kind = JSON_KIND[goTypeOf(body)];
    throw new SimError(400, `json: cannot unmarshal ${kind} into Go value of type api.${struct}`);
  }
  const record = body as Record<string, unknown>;
  for (const [field, type] of Object.entries(fields)) {
    const value = record[field];
    if (value === undefined || value === null || matches(value, type)) continue;
    throw new SimError(
      400,
      `json: cannot unmarshal ${
        JSON_KIND[goTypeOf(value)]
      } into Go struct field ${struct}.${field} of type ${GO_NAME[type]}`,
    );
  }
  return record;
}

/** How a streamed event becomes bytes on the wire. */
export interface StreamFormat<T> {
  /** Encodes one event (a line, or an SSE event). */
  encode(event: T): string;
  /** What to send when the generation fails after the first byte; `undefined` ends silently. */
  error(error: SimError): string | undefined;
  /** Sent after the last event (e.g. `data: [DONE]`). */
  end?: string;
}

/** Options for {@link streamResponse}. */
export interface StreamOptions {
  contentType: string;
  /** Aborts the connection (no clean end) after this many events: the cut-stream fault. */
  cutAfter?: number;
  /** Stops the source when the client goes away. */
  abort: AbortController;
}

/**
 * A streaming response that writes each event as soon as the source yields it. The caller has
 * already awaited the first event, so headers go out only when there is something to send.
 */
export function streamResponse<T>(
  first: T,
  rest: AsyncIterator<T>,
  format: StreamFormat<T>,
  options: StreamOptions,
): Response {
  let sent = 0;
  let pendingFirst: T | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (options.cutAfter !== undefined && sent >= options.cutAfter) {
        options.abort.abort();
        await rest.return?.();
        controller.error(new Error("stream cut by the simulator's fault switch"));
        return;
      }
      try {
        let next: T;
        if (pendingFirst !== undefined) {
          next = pendingFirst;
          pendingFirst = undefined;
        } else {
          const step = await rest.next();
          if (step.done) {
            if (format.end) controller.enqueue(encoder.encode(format.end));
            controller.close();
            return;
          }
          next = step.value;
        }
        sent++;
        controller.enqueue(encoder.encode(format.encode(next)));
      } catch (error) {
        if (options.abort.signal.aborted) {
          controller.close();
          return;
        }
        const line = format.error(toSimError(error));
        if (line !== undefined) controller.enqueue(encoder.encode(line));
        controller.close();
      }
    },
    async cancel() {
      options.abort.abort();
      await rest.return?.();
    },
  });
  return new Response(body, {
    headers: { "content-type": options.contentType },
  });
}
