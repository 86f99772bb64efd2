/**
 * The simulator's one error type: an HTTP status and Ollama's exact message. The routes render it
 * in the dialect of the endpoint (native `{"error"}`, or the OpenAI envelope on `/v1`).
 *
 * @module
 */

/** An error Ollama would answer with `status` and `message`. */
export class SimError extends Error {
  /** @param status HTTP status Ollama answers with. */
  constructor(readonly status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "SimError";
  }
}

/** Ollama's exact text when `OLLAMA_MAX_QUEUE` is exceeded (two spaces, OLLAMA_API.md §4). */
export const QUEUE_FULL = "server busy, please try again.  maximum pending requests exceeded";

/** `model 'NAME' not found`, as generate, chat, embed, show and delete answer. */
export function modelNotFound(name: string): SimError {
  return new SimError(404, `model '${name}' not found`);
}

/** The error for work cut short because the simulator is closing. */
export function shuttingDown(): SimError {
  return new SimError(500, "server is shutting down");
}

/** The error for a request whose client went away while it waited. */
export function canceled(): SimError {
  return new SimError(499, "request canceled");
}
