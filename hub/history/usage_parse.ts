/**
 * Token counts, load time and errors from the ends of a response body, in all three dialects,
 * without parsing the body: the request log keeps the first and last few kilobytes of each
 * response and reads these fields from them.
 *
 * - Ollama puts `prompt_eval_count`, `eval_count` and `load_duration` (nanoseconds) in its final
 *   object or stream line.
 * - OpenAI puts `usage.prompt_tokens` / `completion_tokens` at the end of a completion, and in the
 *   last chunk of a stream when the client asked for `stream_options.include_usage`.
 * - Anthropic (and OpenAI's Responses API) say `input_tokens` / `output_tokens`; a message stream
 *   gives `input_tokens` in its first event and `output_tokens` in its last.
 * - Errors: the body of a 4xx/5xx, or the error line or event a stream that failed midway ends with.
 *
 * A field inside a JSON string (a model that writes `"eval_count":5` in its answer) cannot match:
 * its quotes are escaped there.
 *
 * @module
 */

/** What a response says about its own cost. */
export interface Usage {
  promptTokens: number | null;
  completionTokens: number | null;
  loadMs: number | null;
  error: string | null;
}

const PROMPT = /"(?:prompt_eval_count|prompt_tokens|input_tokens)":\s*(\d+)/g;
const COMPLETION = /"(?:eval_count|completion_tokens|output_tokens)":\s*(\d+)/g;
const LOAD = /"load_duration":\s*(\d+)/g;
const MAX_ERROR = 500;

function last(pattern: RegExp, text: string): number | null {
  let value: number | null = null;
  for (const match of text.matchAll(pattern)) value = Number(match[1]);
  return value;
}

/** The error message of a parsed error body in any dialect. */
function errorOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null) return null;
  const error = (value as { error?: unknown }).error;
  if (typeof error === "string") return error;
  if (typeof error === "object" && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  return null;
}

/** The JSON of the last line or server-sent event in `text`, skipping OpenAI's `[DONE]`. */
function lastJson(text: string): unknown {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 3; i--) {
    let line = lines[i]!;
    if (line.startsWith("event:")) continue;
    if (line.startsWith("data:")) line = line.slice(5).trim();
    if (line === "[DONE]") continue;
    try {
      return JSON.parse(line);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Reads the usage from a response's `head` and `tail` (the whole body when it was short, in which
 * case `head` is empty). `status` decides whether the body is an error.
 */
export function parseUsage(head: string, tail: string, status: number): Usage {
  const promptTokens = last(PROMPT, tail) ?? last(PROMPT, head);
  const completionTokens = last(COMPLETION, tail);
  const loadNs = last(LOAD, tail);
  let error: string | null = null;
  if (status >= 400) {
    const body = head + tail;
    try {
      error = errorOf(JSON.parse(body)) ?? body.trim();
    } catch {
      error = body.trim() || `HTTP ${status}`;
    }
  } else {
    error = errorOf(lastJson(tail));
  }
  return {
    promptTokens,
    completionTokens,
    loadMs: loadNs === null ? null : loadNs / 1e6,
    error: error === null ? null : error.slice(0, MAX_ERROR),
  };
}
