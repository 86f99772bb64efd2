/**
 * Corral's own error model: a {@link FleetError} with a stable code, rendered in one place per app
 * as `{ "src": "agent", "error": { "code": "...", "message": "..." } }`. Proxied Ollama and OpenAI
 * endpoints answer in their own dialect instead; this envelope is for Corral's own APIs.
 *
 * @module
 */

/** Stable, machine-readable error codes. */
export type ErrorCode =
  | "BAD_REQUEST"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "CONFLICT"
  | "TOO_MANY_REQUESTS"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "OLLAMA_UNREACHABLE"
  | "NO_HUB"
  | "HUB_UNREACHABLE"
  | "UNAVAILABLE"
  | "INTERNAL";

/** A domain failure with a stable code and the HTTP status it maps to. */
export class FleetError extends Error {
  /** Creates an error; `message` must not contain secrets. */
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status: number = 500,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "FleetError";
  }
}

/** The JSON body of an error from Corral's own APIs. */
export interface ErrorEnvelope {
  src: "agent" | "hub";
  error: { code: ErrorCode; message: string };
}

/**
 * Turns any thrown value into a status and an envelope; unexpected errors become a generic 500 so
 * that internals never leak.
 *
 * @param src Which side answers.
 * @param error What was thrown.
 * @returns The status and the body to send.
 * @example
 * ```ts
 * const { status, body } = toErrorBody("agent", new FleetError("NOT_FOUND", "No such page", 404));
 * ```
 */
export function toErrorBody(
  src: ErrorEnvelope["src"],
  error: unknown,
): { status: number; body: ErrorEnvelope } {
  if (error instanceof FleetError) {
    return {
      status: error.status,
      body: { src, error: { code: error.code, message: error.message } },
    };
  }
  return {
    status: 500,
    body: { src, error: { code: "INTERNAL", message: "Internal error: see the log" } },
  };
}
