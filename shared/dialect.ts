/**
 * Errors in the dialect of the endpoint (OLLAMA_API.md §4, §2.12, §3.1-3.2, §6.4 item 6): the hub
 * answers a native `/api/*` route as Ollama does, an OpenAI `/v1/*` route as Ollama's OpenAI layer
 * does, and `/v1/messages` as Ollama's Anthropic layer does, so that every client raises the error
 * type it expects. Pure: no I/O.
 *
 * The status-to-type mappings are Ollama's own (`openai.NewError`, `anthropic.NewError`), with two
 * additions for errors that only the hub produces, taken from the real APIs: OpenAI's 401 (its
 * `invalid_api_key` shape, since Ollama itself has no API keys) and Anthropic's 413
 * (`request_too_large`).
 *
 * @module
 */

/** The three API dialects the hub speaks. */
export type Dialect = "ollama" | "openai" | "anthropic";

/** The content type of a JSON error, as gin's `c.JSON` writes it. */
export const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

/**
 * The dialect of a request path.
 *
 * @param pathname The URL's path, e.g. `/v1/chat/completions`.
 * @returns `anthropic` for `/v1/messages` and below, `openai` for any other `/v1` path, `ollama`
 *   for everything else (`/api/*`, `/`).
 * @example
 * ```ts
 * dialectOf("/v1/messages"); // "anthropic"
 * dialectOf("/v1/models/qwen3:8b"); // "openai"
 * dialectOf("/api/chat"); // "ollama"
 * ```
 */
export function dialectOf(pathname: string): Dialect {
  if (pathname === "/v1/messages" || pathname.startsWith("/v1/messages/")) return "anthropic";
  if (pathname === "/v1" || pathname.startsWith("/v1/")) return "openai";
  return "ollama";
}

/** OpenAI's error `type` for a status: Ollama's mapping, plus OpenAI's own for 401. */
function openAIType(status: number): string {
  switch (status) {
    case 400:
    case 401: // OpenAI answers a bad or missing key with invalid_request_error.
      return "invalid_request_error";
    case 404:
      return "not_found_error";
    default:
      return "api_error";
  }
}

/** Anthropic's error `type` for a status: Ollama's `anthropic.NewError`, plus 413. */
function anthropicType(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    default:
      return "api_error";
  }
}

/** `req_` and 24 hex digits, as Ollama's `generateID("req")` writes from 12 random bytes. */
function requestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return "req_" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The JSON body of an error answered before the first byte.
 *
 * - `ollama`: `{"error":"<message>"}`.
 * - `openai`: `{"error":{"message","type","param":null,"code":null}}` with `type`
 *   `invalid_request_error` (400), `not_found_error` (404) or `api_error` (any other status, 503
 *   included, as Ollama does); a 401 is OpenAI's own `invalid_request_error` with
 *   `code: "invalid_api_key"`.
 * - `anthropic`: `{"type":"error","error":{"type","message"},"request_id":"req_<24 hex>"}` with
 *   `type` by status: 400 `invalid_request_error`, 401 `authentication_error`, 403
 *   `permission_error`, 404 `not_found_error`, 413 `request_too_large`, 429 `rate_limit_error`,
 *   503 and 529 `overloaded_error`, else `api_error`.
 *
 * @param dialect The endpoint's dialect ({@link dialectOf}).
 * @param status The HTTP status that will carry the body.
 * @param message The message, free of secrets.
 * @returns The body, ready for `JSON.stringify`.
 * @example
 * ```ts
 * errorBody("openai", 404, "model 'x' not found");
 * // {"error":{"message":"model 'x' not found","type":"not_found_error","param":null,"code":null}}
 * ```
 */
export function errorBody(dialect: Dialect, status: number, message: string): unknown {
  switch (dialect) {
    case "ollama":
      return { error: message };
    case "openai":
      return {
        error: {
          message,
          type: openAIType(status),
          param: null,
          code: status === 401 ? "invalid_api_key" : null,
        },
      };
    case "anthropic":
      return {
        type: "error",
        error: { type: anthropicType(status), message },
        request_id: requestId(),
      };
  }
}

/**
 * An error response before the first byte: {@link errorBody} as JSON with `status`.
 *
 * @param dialect The endpoint's dialect.
 * @param status The HTTP status.
 * @param message The message, free of secrets.
 * @param headers Extra headers (e.g. `Retry-After`); the content type is always
 *   {@link JSON_CONTENT_TYPE}.
 * @returns The response.
 * @example
 * ```ts
 * errorResponse("ollama", 503, "no host can serve 'qwen3:8b'", { "retry-after": "5" });
 * ```
 */
export function errorResponse(
  dialect: Dialect,
  status: number,
  message: string,
  headers?: HeadersInit,
): Response {
  const all = new Headers(headers);
  all.set("content-type", JSON_CONTENT_TYPE);
  return new Response(JSON.stringify(errorBody(dialect, status, message)), {
    status,
    headers: all,
  });
}

/**
 * What to write to a stream that fails after its first byte, the status being already sent:
 *
 * - `ollama` (NDJSON): the line `{"error":"<message>"}\n`; ollama-js throws it.
 * - `openai` (SSE): `data: {"error":{"message","type":"api_error","param":null,"code":null}}\n\n`;
 *   openai-node raises an `APIError` for a data object with `error`. (Ollama itself just ends the
 *   stream, which clients cannot tell from a complete one.)
 * - `anthropic` (SSE): `event: error\ndata: {"type":"error","error":{"type":"api_error",
 *   "message"}}\n\n`, Ollama's `StreamErrorEvent`.
 *
 * @param dialect The endpoint's dialect.
 * @param message The message, free of secrets.
 * @returns The text to write; nothing may follow it but the end of the stream.
 * @example
 * ```ts
 * streamErrorChunk("ollama", "host lost"); // '{"error":"host lost"}\n'
 * ```
 */
export function streamErrorChunk(dialect: Dialect, message: string): string {
  switch (dialect) {
    case "ollama":
      return JSON.stringify({ error: message }) + "\n";
    case "openai":
      return `data: ${
        JSON.stringify({ error: { message, type: "api_error", param: null, code: null } })
      }\n\n`;
    case "anthropic":
      return `event: error\ndata: ${
        JSON.stringify({ type: "error", error: { type: "api_error", message } })
      }\n\n`;
  }
}
