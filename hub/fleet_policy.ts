/**
 * The fleet's context and keep-alive policy: the `num_ctx` and `keep_alive` the hub sets on native
 * requests that carry none (README, "Routing"). Pure: configuration parsing and the body rewrite.
 *
 * Why: a request without `num_ctx` gets a context chosen by each host's VRAM (4k, 32k or 256k), so
 * the same model takes 6 GB on one host and 40 GB on another and every copy differs; one without
 * `keep_alive` is unloaded after the host's 5 minutes idle. With one context and a long keep-alive
 * every copy of a model has the same, predictable size and stays loaded while it is used, which is
 * what lets the router keep loads from thrashing VRAM.
 *
 * Only Ollama's native inference endpoints are rewritten (`/api/generate`, `/api/chat`,
 * `/api/embed`, `/api/embeddings`): Ollama's OpenAI-compatible endpoints take neither field, so
 * their requests get each host's default context, which the router accounts for.
 *
 * @module
 */

import { parseKeepAlive } from "../shared/duration.ts";
import { Invalid, type InvalidPart } from "../shared/config_fields.ts";
import { isModelPattern, patternMatches } from "./auth.ts";

/** What the hub sets on requests for one model; `null` leaves Ollama's own behaviour. */
export interface ModelPolicy {
  /** The context to set when a request carries no `options.num_ctx`. */
  numCtx: number | null;
  /** The `keep_alive` to set when a request carries none: a Go duration or seconds, as Ollama reads it. */
  keepAlive: string | number | null;
}

/** The fleet-wide policy and its per-model overrides (first matching pattern wins). */
export interface FleetPolicy extends ModelPolicy {
  models: readonly ({ pattern: string } & Partial<ModelPolicy>)[];
  /**
   * A request that sets its own `num_ctx` may run on a loaded runner with a larger context (the hub
   * then sends it that context) instead of making Ollama load one with exactly its own: it gets
   * more context than it asked for, never less, and two clients with different contexts share one
   * runner instead of each keeping one loaded.
   */
  shareLarger: boolean;
}

/** The default context: large enough for most chats and tools, small enough to fit everywhere. */
export const DEFAULT_NUM_CTX = 8192;
/** The default keep-alive: a model in use stays loaded; Ollama's own default is 5 minutes. */
export const DEFAULT_KEEP_ALIVE = "30m";
/** The word that leaves a setting to Ollama. */
export const OLLAMA_DEFAULT = "ollama";

/** The shipped policy. */
export const DEFAULT_POLICY: FleetPolicy = Object.freeze({
  numCtx: DEFAULT_NUM_CTX,
  keepAlive: DEFAULT_KEEP_ALIVE,
  models: [],
  shareLarger: true,
});

/** The endpoints whose bodies take `options.num_ctx` and `keep_alive`. */
export const POLICY_PATHS: ReadonlySet<string> = new Set([
  "/api/generate",
  "/api/chat",
  "/api/embed",
  "/api/embeddings",
]);

/** Reads a `num_ctx` setting: a context length, or `ollama` (or 0) for Ollama's own default. */
export function numCtxSetting(value: unknown): number | null {
  if (value === OLLAMA_DEFAULT || value === 0 || value === "0") return null;
  const n = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 256 || n > 4_194_304) {
    throw new Invalid(
      `must be a context length from 256 to 4194304 tokens, or "${OLLAMA_DEFAULT}" for each host's default`,
    );
  }
  return n;
}

/** Reads a `keep_alive` setting: a Go duration (`30m`, `-1`), seconds, or `ollama`. */
export function keepAliveSetting(value: unknown): string | number | null {
  if (value === OLLAMA_DEFAULT) return null;
  const given = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  try {
    if (parseKeepAlive(given) === undefined) throw new SyntaxError("empty");
  } catch {
    throw new Invalid(
      `must be a duration such as 30m or 1h, seconds, -1 for ever, or "${OLLAMA_DEFAULT}" for each host's own`,
    );
  }
  return given as string | number;
}

/** Reads `routing.models`: a mapping of model patterns to `{num_ctx?, keep_alive?}`. */
export function modelPolicies(value: unknown): FleetPolicy["models"] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Invalid("must be a mapping of model patterns to { num_ctx, keep_alive }");
  }
  const found: InvalidPart[] = [];
  const out: ({ pattern: string } & Partial<ModelPolicy>)[] = [];
  for (const [pattern, raw] of Object.entries(value)) {
    const at = `.${pattern}`;
    if (!isModelPattern(pattern)) {
      found.push({ at, message: "must be a model name, NAME:* or *" });
      continue;
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
      found.push({ at, message: "must be a mapping with num_ctx and/or keep_alive" });
      continue;
    }
    const entry: { pattern: string } & Partial<ModelPolicy> = { pattern };
    for (const [key, v] of Object.entries(raw)) {
      try {
        if (key === "num_ctx") entry.numCtx = numCtxSetting(v);
        else if (key === "keep_alive") entry.keepAlive = keepAliveSetting(v);
        else throw new Invalid(`unknown setting "${key}" (num_ctx, keep_alive)`);
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        found.push(...error.parts.map((p) => ({ at: `${at}.${key}${p.at}`, message: p.message })));
      }
    }
    out.push(entry);
  }
  if (found.length > 0) throw Invalid.many(found);
  return out;
}

/** The policy for one model (a model key): its first matching override over the fleet's. */
export function policyFor(policy: FleetPolicy, model: string): ModelPolicy {
  const override = policy.models.find((m) => patternMatches(m.pattern, model));
  return {
    numCtx: override?.numCtx !== undefined ? override.numCtx : policy.numCtx,
    keepAlive: override?.keepAlive !== undefined ? override.keepAlive : policy.keepAlive,
  };
}

/** What applying the policy to one request did. */
export interface Applied {
  /** The request's `num_ctx` after the policy, for the router; `null` when it sets none. */
  numCtx: number | null;
  /** Whether the body was changed (and must be re-encoded). */
  changed: boolean;
}

/**
 * Sets the policy's `num_ctx` and `keep_alive` on a native request body that carries none, in
 * place. A value the client gave is never changed, even one of the wrong type (Ollama answers it).
 */
export function applyPolicy(body: Record<string, unknown>, policy: ModelPolicy): Applied {
  let changed = false;
  let options = body.options;
  const given = isObject(options) ? options.num_ctx : undefined;
  let numCtx = typeof given === "number" && given > 0 ? given : null;
  if (
    given === undefined && policy.numCtx !== null && (options === undefined || isObject(options))
  ) {
    options = { ...(options as Record<string, unknown> | undefined), num_ctx: policy.numCtx };
    body.options = options;
    numCtx = policy.numCtx;
    changed = true;
  }
  if (body.keep_alive === undefined && policy.keepAlive !== null) {
    body.keep_alive = policy.keepAlive;
    changed = true;
  }
  return { numCtx, changed };
}

/** The body, re-encoded with `options.num_ctx` set to `numCtx` (the parsed body is not changed). */
export function withNumCtx(body: Record<string, unknown>, numCtx: number): Uint8Array<ArrayBuffer> {
  const options = isObject(body.options) ? body.options : {};
  return new TextEncoder().encode(
    JSON.stringify({ ...body, options: { ...options, num_ctx: numCtx } }),
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
